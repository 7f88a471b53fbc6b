// GATConv (Velickovic et al.), multi-head:
//   z = x W                                   [num_src x H*F]
//   e(u -> v, h) = LeakyReLU(a_src[h] . z_u[h] + a_dst[h] . z_v[h])
//   alpha = softmax over v's in-edges (per head), with attention dropout while training
//   out_v[h] = SUM_u alpha(u -> v, h) z_u[h];  heads concatenated [H*F] or averaged [F]; + b
// The block should carry self-loops (BlockOptions::add_self_loops), as in the paper.
#pragma once

#include "trainer/layers/layer.h"

namespace halo::trainer {

class GatConv : public Layer {
 public:
  GatConv(int64_t in_dim, int64_t head_dim, int64_t heads, bool concat, float negative_slope,
          float attn_dropout, const std::string& name, core::Device device, uint64_t seed);
  core::Tensor Forward(const GraphBlock& block, const core::Tensor& x, bool training,
                       uint64_t seed) override;
  core::Tensor Backward(const core::Tensor& grad_out, bool need_grad_input = true) override;
  std::vector<Parameter*> parameters() override {
    return {&weight_, &attn_src_, &attn_dst_, &bias_};
  }
  int64_t in_dim() const override { return weight_.value.rows(); }
  int64_t out_dim() const override { return concat_ ? heads_ * head_dim_ : head_dim_; }

 private:
  int64_t head_dim_, heads_;
  bool concat_;
  float negative_slope_, attn_dropout_;
  Parameter weight_;        // [in x H*F]
  Parameter attn_src_;      // [1 x H*F]
  Parameter attn_dst_;      // [1 x H*F]
  Parameter bias_;          // [1 x out_dim]
  core::Tensor head_mean_;  // [H*F x F] constant averaging matrix (concat == false)
  // Forward state.
  const GraphBlock* block_ = nullptr;
  const core::Tensor* x_ = nullptr;
  core::Tensor z_, el_, er_, scores_, alpha_, alpha_drop_;
  core::Array<uint8_t> drop_mask_;
  bool dropped_ = false;
};

}  // namespace halo::trainer
