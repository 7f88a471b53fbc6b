#include "trainer/layers/sage.h"

#include "core/check.h"
#include "kernels/activation.h"
#include "kernels/gemm.h"
#include "kernels/normalize.h"
#include "trainer/init.h"

namespace halo::trainer {

using core::Tensor;

core::Result<SageAggregator> ParseSageAggregator(const std::string& name) {
  if (name == "mean") return SageAggregator::kMean;
  if (name == "gcn") return SageAggregator::kGcn;
  if (name == "pool") return SageAggregator::kPool;
  return core::Status::InvalidArgument("unknown SAGE aggregator '" + name +
                                       "' (use mean, gcn or pool)");
}

SageConv::SageConv(int64_t in_dim, int64_t out_dim, SageAggregator aggregator, bool root_weight,
                   bool normalize, const std::string& name, core::Device device, uint64_t seed)
    : in_dim_(in_dim),
      out_dim_(out_dim),
      aggregator_(aggregator),
      root_weight_(root_weight && aggregator != SageAggregator::kGcn),
      normalize_(normalize),
      w_neigh_(name + ".w_neigh", in_dim, out_dim, device),
      bias_(name + ".bias", 1, out_dim, device) {
  GlorotUniform(MixSeed(seed, 1), &w_neigh_.value);
  ZeroInit(&bias_.value);
  if (root_weight_) {
    w_root_ = Parameter(name + ".w_root", in_dim, out_dim, device);
    GlorotUniform(MixSeed(seed, 2), &w_root_.value);
  }
  if (aggregator_ == SageAggregator::kPool) {
    w_pool_ = Parameter(name + ".w_pool", in_dim, in_dim, device);
    b_pool_ = Parameter(name + ".b_pool", 1, in_dim, device);
    GlorotUniform(MixSeed(seed, 3), &w_pool_.value);
    ZeroInit(&b_pool_.value);
  }
}

std::vector<Parameter*> SageConv::parameters() {
  std::vector<Parameter*> params = {&w_neigh_, &bias_};
  if (root_weight_) params.push_back(&w_root_);
  if (aggregator_ == SageAggregator::kPool) {
    params.push_back(&w_pool_);
    params.push_back(&b_pool_);
  }
  return params;
}

Tensor SageConv::Forward(const GraphBlock& block, const Tensor& x, bool, uint64_t) {
  HALO_CHECK(x.rows() == block.num_src && x.cols() == in_dim_) << "SageConv input shape";
  block_ = &block;
  x_ = &x;
  const core::Device device = x.device();
  agg_ = Tensor(block.num_dst, in_dim_, device);
  if (aggregator_ == SageAggregator::kPool) {
    pooled_pre_ = Tensor(x.rows(), in_dim_, device);
    kernels::Gemm(false, false, 1.0f, x, w_pool_.value, 0.0f, &pooled_pre_);
    kernels::AddBias(b_pool_.value, &pooled_pre_);
    pooled_ = Tensor(x.rows(), in_dim_, device);
    kernels::ActivationForward(kernels::Activation::kRelu, 0.0f, pooled_pre_, &pooled_);
    argmax_ = core::Array<int64_t>(block.num_dst * in_dim_, device);
    kernels::SpMM(block.view(), pooled_, nullptr, kernels::Reduce::kMax, &agg_, &argmax_);
  } else {
    // mean; gcn is mean over a block that carries self-loops.
    kernels::SpMM(block.view(), x, nullptr, kernels::Reduce::kMean, &agg_, nullptr);
  }
  Tensor out(block.num_dst, out_dim_, device);
  kernels::Gemm(false, false, 1.0f, agg_, w_neigh_.value, 0.0f, &out);
  if (root_weight_) {
    const Tensor x_dst = x.RowsView(0, block.num_dst);
    kernels::Gemm(false, false, 1.0f, x_dst, w_root_.value, 1.0f, &out);
  }
  kernels::AddBias(bias_.value, &out);
  if (!normalize_) return out;
  out_ = Tensor(out.rows(), out.cols(), device);
  norms_ = Tensor(out.rows(), 1, device);
  kernels::RowL2Normalize(out, &out_, &norms_);
  return out_.Clone();
}

Tensor SageConv::Backward(const Tensor& grad_out_in, bool need_grad_input) {
  const core::Device device = grad_out_in.device();
  Tensor normalized_grad;
  const Tensor* grad_out = &grad_out_in;
  if (normalize_) {
    normalized_grad = Tensor(grad_out_in.rows(), grad_out_in.cols(), device);
    kernels::RowL2NormalizeBackward(out_, norms_, grad_out_in, &normalized_grad);
    grad_out = &normalized_grad;
  }
  kernels::BiasGrad(*grad_out, &bias_.grad);
  kernels::Gemm(true, false, 1.0f, agg_, *grad_out, 0.0f, &w_neigh_.grad);
  if (root_weight_) {
    const Tensor x_dst = x_->RowsView(0, block_->num_dst);
    kernels::Gemm(true, false, 1.0f, x_dst, *grad_out, 0.0f, &w_root_.grad);
  }
  const bool pool = aggregator_ == SageAggregator::kPool;
  if (!need_grad_input && !pool) return Tensor();
  Tensor grad_agg(block_->num_dst, in_dim_, device);
  kernels::Gemm(false, true, 1.0f, *grad_out, w_neigh_.value, 0.0f, &grad_agg);
  Tensor grad_x;
  if (pool) {
    // The pool weights' gradients need the aggregation's backward even for the first layer.
    Tensor grad_pooled(block_->num_src, in_dim_, device);
    kernels::SpMMBackwardX(block_->view(), grad_agg, nullptr, kernels::Reduce::kMax, &argmax_,
                           &grad_pooled);
    kernels::ActivationBackward(kernels::Activation::kRelu, 0.0f, pooled_pre_, grad_pooled,
                                &grad_pooled);
    kernels::BiasGrad(grad_pooled, &b_pool_.grad);
    kernels::Gemm(true, false, 1.0f, *x_, grad_pooled, 0.0f, &w_pool_.grad);
    if (!need_grad_input) return Tensor();
    grad_x = Tensor(block_->num_src, in_dim_, device);
    kernels::Gemm(false, true, 1.0f, grad_pooled, w_pool_.value, 0.0f, &grad_x);
  } else {
    grad_x = Tensor(block_->num_src, in_dim_, device);
    kernels::SpMMBackwardX(block_->view(), grad_agg, nullptr, kernels::Reduce::kMean, nullptr,
                           &grad_x);
  }
  if (root_weight_) {
    Tensor grad_x_dst = grad_x.RowsView(0, block_->num_dst);
    kernels::Gemm(false, true, 1.0f, *grad_out, w_root_.value, 1.0f, &grad_x_dst);
  }
  return grad_x;
}

}  // namespace halo::trainer
