// GCNConv (Kipf & Welling): out = A_hat (x W) + b, with A_hat the symmetric normalization of the
// block with self-loops (its edge weights, see BlockOptions{add_self_loops, gcn_norm}).
#pragma once

#include "trainer/layers/layer.h"

namespace halo::trainer {

class GcnConv : public Layer {
 public:
  GcnConv(int64_t in_dim, int64_t out_dim, const std::string& name, core::Device device,
          uint64_t seed);
  core::Tensor Forward(const GraphBlock& block, const core::Tensor& x, bool training,
                       uint64_t seed) override;
  core::Tensor Backward(const core::Tensor& grad_out, bool need_grad_input = true) override;
  std::vector<Parameter*> parameters() override { return {&weight_, &bias_}; }
  int64_t in_dim() const override { return weight_.value.rows(); }
  int64_t out_dim() const override { return weight_.value.cols(); }

 private:
  Parameter weight_;  // [in x out]
  Parameter bias_;    // [1 x out]
  const GraphBlock* block_ = nullptr;
  const core::Tensor* x_ = nullptr;
};

}  // namespace halo::trainer
