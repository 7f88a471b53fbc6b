// A GNN of N graph layers with dropout before each layer and an activation between layers.
// Forward over one block per layer (blocks[i] feeds layer i); Backward from d(loss)/d(logits)
// fills every parameter's gradient.
#pragma once

#include <memory>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "kernels/activation.h"
#include "trainer/config.h"
#include "trainer/graph_block.h"
#include "trainer/layers/layer.h"

namespace halo::trainer {

class Model {
 public:
  static core::Result<std::unique_ptr<Model>> Create(const ModelConfig& config, int64_t in_dim,
                                                     int64_t num_classes, core::Device device,
                                                     uint64_t seed);

  // x: input rows of blocks[0]'s sources; returns logits for blocks.back()'s destinations.
  // `step_seed` drives dropout masks.
  core::Tensor Forward(const std::vector<const GraphBlock*>& blocks, const core::Tensor& x,
                       bool training, uint64_t step_seed);
  // With `need_grad_input`, returns d(loss)/d(x) (for learnable input embeddings); otherwise an
  // empty tensor.
  core::Tensor Backward(const core::Tensor& grad_logits, bool need_grad_input = false);
  // Inference of layer i alone (layer-wise full-graph inference): its output for `block`'s
  // destinations from input rows `x` of its sources, after the activation unless i is the last
  // layer. Equals what Forward(training=false) computes at that layer.
  core::Tensor InferLayer(int i, const GraphBlock& block, const core::Tensor& x);

  std::vector<Parameter*> parameters();
  int num_layers() const { return static_cast<int>(layers_.size()); }
  // What the blocks fed to this model must carry.
  const BlockOptions& block_options() const { return block_options_; }
  Layer* layer(int i) { return layers_[static_cast<size_t>(i)].get(); }

 private:
  Model() = default;

  std::vector<std::unique_ptr<Layer>> layers_;
  BlockOptions block_options_;
  float dropout_ = 0.0f;
  kernels::Activation activation_ = kernels::Activation::kRelu;
  float slope_ = 0.01f;
  // Per-layer forward state.
  std::vector<core::Tensor> dropped_inputs_;  // input of layer i after dropout (when applied)
  std::vector<core::Tensor> pre_act_;         // output of hidden layer i before activation
  std::vector<core::Tensor> hidden_;          // output of hidden layer i after activation
  std::vector<core::Array<uint8_t>> masks_;
  std::vector<bool> dropped_;
};

}  // namespace halo::trainer
