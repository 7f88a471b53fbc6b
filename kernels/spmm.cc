#include "kernels/spmm.h"

#include "kernels/dispatch.h"

namespace halo::kernels {

using internal::CheckOn;

namespace {

// Checks x-like [num_cols x C] / out-like [num_rows x C] operands and the optional weights;
// returns the head count H (1 without weights).
int64_t CheckWeights(const char* op, const CsrView& g, int64_t cols, const Tensor* w) {
  if (w == nullptr) return 1;
  CheckOn(g.device, *w, op, "w");
  HALO_CHECK(w->rows() == g.num_edges && w->cols() >= 1)
      << op << ": w is [" << w->rows() << " x " << w->cols() << "], expected [" << g.num_edges
      << " x H]";
  HALO_CHECK(cols % w->cols() == 0)
      << op << ": feature width " << cols << " is not a multiple of " << w->cols() << " heads";
  return w->cols();
}

void CheckArgmax(const char* op, const CsrView& g, Reduce reduce,
                 const core::Array<int64_t>* argmax, int64_t numel) {
  if (reduce != Reduce::kMax) return;
  HALO_CHECK(argmax != nullptr) << op << ": Reduce::kMax needs argmax";
  CheckOn(g.device, *argmax, op, "argmax");
  HALO_CHECK(argmax->size() == numel)
      << op << ": argmax has " << argmax->size() << " entries, expected " << numel;
}

}  // namespace

void SpMM(const CsrView& g, const Tensor& x, const Tensor* w, Reduce reduce, Tensor* out,
          core::Array<int64_t>* argmax) {
  HALO_CHECK(out != nullptr) << "SpMM: null out";
  CheckOn(g.device, x, "SpMM", "x");
  CheckOn(g.device, *out, "SpMM", "out");
  HALO_CHECK(x.rows() == g.num_cols)
      << "SpMM: x has " << x.rows() << " rows, graph has " << g.num_cols << " sources";
  HALO_CHECK(out->rows() == g.num_rows && out->cols() == x.cols())
      << "SpMM: out is [" << out->rows() << " x " << out->cols() << "], expected [" << g.num_rows
      << " x " << x.cols() << "]";
  CheckWeights("SpMM", g, x.cols(), w);
  CheckArgmax("SpMM", g, reduce, argmax, out->numel());
  return HALO_DISPATCH(g.device, SpMM, g, x, w, reduce, out, argmax);
}

void SpMMBackwardX(const CsrView& g, const Tensor& grad_out, const Tensor* w, Reduce reduce,
                   const core::Array<int64_t>* argmax, Tensor* grad_x) {
  HALO_CHECK(grad_x != nullptr) << "SpMMBackwardX: null grad_x";
  CheckOn(g.device, grad_out, "SpMMBackwardX", "grad_out");
  CheckOn(g.device, *grad_x, "SpMMBackwardX", "grad_x");
  HALO_CHECK(grad_out.rows() == g.num_rows) << "SpMMBackwardX: grad_out has " << grad_out.rows()
                                            << " rows, graph has " << g.num_rows << " destinations";
  HALO_CHECK(grad_x->rows() == g.num_cols && grad_x->cols() == grad_out.cols())
      << "SpMMBackwardX: grad_x is [" << grad_x->rows() << " x " << grad_x->cols()
      << "], expected [" << g.num_cols << " x " << grad_out.cols() << "]";
  CheckWeights("SpMMBackwardX", g, grad_out.cols(), w);
  CheckArgmax("SpMMBackwardX", g, reduce, argmax, grad_out.numel());
  return HALO_DISPATCH(g.device, SpMMBackwardX, g, grad_out, w, reduce, argmax, grad_x);
}

void SpMMBackwardW(const CsrView& g, const Tensor& grad_out, const Tensor& x, Reduce reduce,
                   const core::Array<int64_t>* argmax, int64_t heads, Tensor* grad_w) {
  HALO_CHECK(grad_w != nullptr) << "SpMMBackwardW: null grad_w";
  CheckOn(g.device, grad_out, "SpMMBackwardW", "grad_out");
  CheckOn(g.device, x, "SpMMBackwardW", "x");
  CheckOn(g.device, *grad_w, "SpMMBackwardW", "grad_w");
  HALO_CHECK(x.rows() == g.num_cols)
      << "SpMMBackwardW: x has " << x.rows() << " rows, graph has " << g.num_cols << " sources";
  HALO_CHECK(grad_out.rows() == g.num_rows && grad_out.cols() == x.cols())
      << "SpMMBackwardW: grad_out is [" << grad_out.rows() << " x " << grad_out.cols()
      << "], expected [" << g.num_rows << " x " << x.cols() << "]";
  HALO_CHECK(heads >= 1 && x.cols() % heads == 0) << "SpMMBackwardW: feature width " << x.cols()
                                                  << " is not a multiple of " << heads << " heads";
  HALO_CHECK(grad_w->rows() == g.num_edges && grad_w->cols() == heads)
      << "SpMMBackwardW: grad_w is [" << grad_w->rows() << " x " << grad_w->cols()
      << "], expected [" << g.num_edges << " x " << heads << "]";
  CheckArgmax("SpMMBackwardW", g, reduce, argmax, grad_out.numel());
  return HALO_DISPATCH(g.device, SpMMBackwardW, g, grad_out, x, reduce, argmax, heads, grad_w);
}

}  // namespace halo::kernels
