#include "kernels/sddmm.h"

#include "kernels/dispatch.h"

namespace halo::kernels {

using internal::CheckOn;

namespace {

void CheckOperands(const char* op_name, const CsrView& g, SddmmOp op, const Tensor& dst,
                   const Tensor& src, int64_t heads) {
  CheckOn(g.device, dst, op_name, "dst");
  CheckOn(g.device, src, op_name, "src");
  HALO_CHECK(heads >= 1) << op_name << ": heads must be >= 1, got " << heads;
  HALO_CHECK(dst.rows() == g.num_rows && src.rows() == g.num_cols)
      << op_name << ": dst has " << dst.rows() << " rows and src " << src.rows() << ", graph is "
      << g.num_rows << " destinations x " << g.num_cols << " sources";
  HALO_CHECK(dst.cols() == src.cols())
      << op_name << ": dst has " << dst.cols() << " columns, src has " << src.cols();
  if (op == SddmmOp::kAdd) {
    HALO_CHECK(dst.cols() == heads) << op_name << ": kAdd needs [N x " << heads
                                    << "] operands, got " << dst.cols() << " columns";
  } else {
    HALO_CHECK(dst.cols() % heads == 0) << op_name << ": feature width " << dst.cols()
                                        << " is not a multiple of " << heads << " heads";
  }
}

}  // namespace

void SDDMM(const CsrView& g, SddmmOp op, const Tensor& dst, const Tensor& src, int64_t heads,
           Tensor* out) {
  HALO_CHECK(out != nullptr) << "SDDMM: null out";
  CheckOperands("SDDMM", g, op, dst, src, heads);
  CheckOn(g.device, *out, "SDDMM", "out");
  HALO_CHECK(out->rows() == g.num_edges && out->cols() == heads)
      << "SDDMM: out is [" << out->rows() << " x " << out->cols() << "], expected [" << g.num_edges
      << " x " << heads << "]";
  return HALO_DISPATCH(g.device, SDDMM, g, op, dst, src, heads, out);
}

void SDDMMBackward(const CsrView& g, SddmmOp op, const Tensor& dst, const Tensor& src,
                   int64_t heads, const Tensor& grad_out, Tensor* grad_dst, Tensor* grad_src) {
  CheckOperands("SDDMMBackward", g, op, dst, src, heads);
  CheckOn(g.device, grad_out, "SDDMMBackward", "grad_out");
  HALO_CHECK(grad_out.rows() == g.num_edges && grad_out.cols() == heads)
      << "SDDMMBackward: grad_out is [" << grad_out.rows() << " x " << grad_out.cols()
      << "], expected [" << g.num_edges << " x " << heads << "]";
  if (grad_dst != nullptr) {
    CheckOn(g.device, *grad_dst, "SDDMMBackward", "grad_dst");
    HALO_CHECK(grad_dst->SameShape(dst))
        << "SDDMMBackward: grad_dst is [" << grad_dst->rows() << " x " << grad_dst->cols()
        << "], dst is [" << dst.rows() << " x " << dst.cols() << "]";
  }
  if (grad_src != nullptr) {
    CheckOn(g.device, *grad_src, "SDDMMBackward", "grad_src");
    HALO_CHECK(grad_src->SameShape(src))
        << "SDDMMBackward: grad_src is [" << grad_src->rows() << " x " << grad_src->cols()
        << "], src is [" << src.rows() << " x " << src.cols() << "]";
  }
  if (grad_dst == nullptr && grad_src == nullptr) return;
  return HALO_DISPATCH(g.device, SDDMMBackward, g, op, dst, src, heads, grad_out, grad_dst,
                       grad_src);
}

}  // namespace halo::kernels
