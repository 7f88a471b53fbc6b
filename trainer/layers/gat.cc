#include "trainer/layers/gat.h"

#include <cmath>

#include "core/check.h"
#include "kernels/activation.h"
#include "kernels/edge_softmax.h"
#include "kernels/gemm.h"
#include "kernels/head_dot.h"
#include "kernels/sddmm.h"
#include "kernels/spmm.h"
#include "trainer/init.h"

namespace halo::trainer {

using core::Tensor;

GatConv::GatConv(int64_t in_dim, int64_t head_dim, int64_t heads, bool concat, float negative_slope,
                 float attn_dropout, const std::string& name, core::Device device, uint64_t seed)
    : head_dim_(head_dim),
      heads_(heads),
      concat_(concat),
      negative_slope_(negative_slope),
      attn_dropout_(attn_dropout),
      weight_(name + ".weight", in_dim, heads * head_dim, device),
      attn_src_(name + ".attn_src", 1, heads * head_dim, device),
      attn_dst_(name + ".attn_dst", 1, heads * head_dim, device),
      bias_(name + ".bias", 1, concat ? heads * head_dim : head_dim, device) {
  GlorotUniform(MixSeed(seed, 1), &weight_.value);
  // Glorot over each head's [F x 1] attention vector.
  const float bound = static_cast<float>(std::sqrt(6.0 / static_cast<double>(head_dim + 1)));
  UniformInit(MixSeed(seed, 2), bound, &attn_src_.value);
  UniformInit(MixSeed(seed, 3), bound, &attn_dst_.value);
  ZeroInit(&bias_.value);
  if (!concat_) {
    std::vector<float> m(static_cast<size_t>(heads * head_dim * head_dim), 0.0f);
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t f = 0; f < head_dim; ++f) {
        m[static_cast<size_t>((h * head_dim + f) * head_dim + f)] =
            1.0f / static_cast<float>(heads);
      }
    }
    head_mean_ = Tensor::FromVector(m, heads * head_dim, head_dim, device);
  }
}

Tensor GatConv::Forward(const GraphBlock& block, const Tensor& x, bool training, uint64_t seed) {
  HALO_CHECK(x.rows() == block.num_src && x.cols() == in_dim()) << "GatConv input shape";
  block_ = &block;
  x_ = &x;
  const core::Device device = x.device();
  const int64_t width = heads_ * head_dim_;
  const int64_t num_edges = block.csr.num_edges();
  z_ = Tensor(x.rows(), width, device);
  kernels::Gemm(false, false, 1.0f, x, weight_.value, 0.0f, &z_);
  el_ = Tensor(x.rows(), heads_, device);
  kernels::HeadDot(z_, attn_src_.value, heads_, &el_);
  er_ = Tensor(block.num_dst, heads_, device);
  kernels::HeadDot(z_.RowsView(0, block.num_dst), attn_dst_.value, heads_, &er_);
  scores_ = Tensor(num_edges, heads_, device);
  kernels::SDDMM(block.view(), kernels::SddmmOp::kAdd, er_, el_, heads_, &scores_);
  Tensor activated(num_edges, heads_, device);
  kernels::ActivationForward(kernels::Activation::kLeakyRelu, negative_slope_, scores_, &activated);
  alpha_ = Tensor(num_edges, heads_, device);
  kernels::EdgeSoftmax(block.view(), activated, &alpha_);
  dropped_ = training && attn_dropout_ > 0.0f;
  const Tensor* weights = &alpha_;
  if (dropped_) {
    alpha_drop_ = Tensor(num_edges, heads_, device);
    drop_mask_ = core::Array<uint8_t>(num_edges * heads_, device);
    kernels::DropoutForward(attn_dropout_, seed, alpha_, &alpha_drop_, &drop_mask_);
    weights = &alpha_drop_;
  }
  Tensor heads_out(block.num_dst, width, device);
  kernels::SpMM(block.view(), z_, weights, kernels::Reduce::kSum, &heads_out, nullptr);
  if (concat_) {
    kernels::AddBias(bias_.value, &heads_out);
    return heads_out;
  }
  Tensor out(block.num_dst, head_dim_, device);
  kernels::Gemm(false, false, 1.0f, heads_out, head_mean_, 0.0f, &out);
  kernels::AddBias(bias_.value, &out);
  return out;
}

Tensor GatConv::Backward(const Tensor& grad_out, bool need_grad_input) {
  const core::Device device = grad_out.device();
  const int64_t width = heads_ * head_dim_;
  const int64_t num_edges = block_->csr.num_edges();
  kernels::BiasGrad(grad_out, &bias_.grad);
  Tensor grad_heads_storage;
  const Tensor* grad_heads = &grad_out;
  if (!concat_) {
    grad_heads_storage = Tensor(block_->num_dst, width, device);
    kernels::Gemm(false, true, 1.0f, grad_out, head_mean_, 0.0f, &grad_heads_storage);
    grad_heads = &grad_heads_storage;
  }
  const Tensor* weights = dropped_ ? &alpha_drop_ : &alpha_;
  // Through the aggregation: to z (as sources) and to the attention weights.
  Tensor grad_z(block_->num_src, width, device);
  kernels::SpMMBackwardX(block_->view(), *grad_heads, weights, kernels::Reduce::kSum, nullptr,
                         &grad_z);
  Tensor grad_alpha(num_edges, heads_, device);
  kernels::SpMMBackwardW(block_->view(), *grad_heads, z_, kernels::Reduce::kSum, nullptr, heads_,
                         &grad_alpha);
  if (dropped_) kernels::DropoutBackward(attn_dropout_, drop_mask_, grad_alpha, &grad_alpha);
  Tensor grad_scores(num_edges, heads_, device);
  kernels::EdgeSoftmaxBackward(block_->view(), alpha_, grad_alpha, &grad_scores);
  kernels::ActivationBackward(kernels::Activation::kLeakyRelu, negative_slope_, scores_,
                              grad_scores, &grad_scores);
  Tensor grad_er(block_->num_dst, heads_, device);
  Tensor grad_el(block_->num_src, heads_, device);
  kernels::SDDMMBackward(block_->view(), kernels::SddmmOp::kAdd, er_, el_, heads_, grad_scores,
                         &grad_er, &grad_el);
  // Through the attention logits into z and the attention vectors.
  kernels::HeadDotBackward(z_, attn_src_.value, heads_, grad_el, &grad_z, &attn_src_.grad);
  Tensor grad_z_dst = grad_z.RowsView(0, block_->num_dst);
  kernels::HeadDotBackward(z_.RowsView(0, block_->num_dst), attn_dst_.value, heads_, grad_er,
                           &grad_z_dst, &attn_dst_.grad);
  kernels::Gemm(true, false, 1.0f, *x_, grad_z, 0.0f, &weight_.grad);
  if (!need_grad_input) return Tensor();
  Tensor grad_x(block_->num_src, in_dim(), device);
  kernels::Gemm(false, true, 1.0f, grad_z, weight_.value, 0.0f, &grad_x);
  return grad_x;
}

}  // namespace halo::trainer
