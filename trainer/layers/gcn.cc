#include "trainer/layers/gcn.h"

#include "core/check.h"
#include "kernels/gemm.h"
#include "kernels/spmm.h"
#include "trainer/init.h"

namespace halo::trainer {

using core::Tensor;

GcnConv::GcnConv(int64_t in_dim, int64_t out_dim, const std::string& name, core::Device device,
                 uint64_t seed)
    : weight_(name + ".weight", in_dim, out_dim, device),
      bias_(name + ".bias", 1, out_dim, device) {
  GlorotUniform(seed, &weight_.value);
  ZeroInit(&bias_.value);
}

Tensor GcnConv::Forward(const GraphBlock& block, const Tensor& x, bool, uint64_t) {
  HALO_CHECK(x.rows() == block.num_src && x.cols() == in_dim()) << "GcnConv input shape";
  HALO_CHECK(block.weight() != nullptr) << "GcnConv needs a block with gcn_norm weights";
  block_ = &block;
  x_ = &x;
  // Transform first: out_dim is usually smaller than in_dim, so aggregation moves fewer bytes.
  Tensor xw(x.rows(), out_dim(), x.device());
  kernels::Gemm(false, false, 1.0f, x, weight_.value, 0.0f, &xw);
  Tensor out(block.num_dst, out_dim(), x.device());
  kernels::SpMM(block.view(), xw, block.weight(), kernels::Reduce::kSum, &out, nullptr);
  kernels::AddBias(bias_.value, &out);
  return out;
}

Tensor GcnConv::Backward(const Tensor& grad_out, bool need_grad_input) {
  kernels::BiasGrad(grad_out, &bias_.grad);
  Tensor grad_xw(block_->num_src, out_dim(), grad_out.device());
  kernels::SpMMBackwardX(block_->view(), grad_out, block_->weight(), kernels::Reduce::kSum, nullptr,
                         &grad_xw);
  kernels::Gemm(true, false, 1.0f, *x_, grad_xw, 0.0f, &weight_.grad);
  if (!need_grad_input) return Tensor();
  Tensor grad_x(block_->num_src, in_dim(), grad_out.device());
  kernels::Gemm(false, true, 1.0f, grad_xw, weight_.value, 0.0f, &grad_x);
  return grad_x;
}

}  // namespace halo::trainer
