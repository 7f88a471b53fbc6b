// Optimizers over a model's parameters: SGD (momentum, weight decay), Adam and AdamW. State
// (momentum buffers, moments, step) lives beside each parameter on its device and is part of a
// checkpoint.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "trainer/parameter.h"

namespace halo::trainer {

struct OptimizerConfig {
  std::string name = "adam";  // sgd | adam | adamw
  float lr = 0.01f;
  float weight_decay = 0.0f;
  float momentum = 0.9f;  // sgd
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
};

class Optimizer {
 public:
  static core::Result<std::unique_ptr<Optimizer>> Create(const OptimizerConfig& config,
                                                         std::vector<Parameter*> params);
  // Applies one update from the parameters' current gradients.
  void Step();
  int64_t step() const { return step_; }
  void set_lr(float lr) { config_.lr = lr; }
  // State tensors in a fixed order (for checkpoints): per parameter, its buffers.
  std::vector<core::Tensor*> state();
  void set_step(int64_t step) { step_ = step; }

 private:
  Optimizer(const OptimizerConfig& config, std::vector<Parameter*> params);
  OptimizerConfig config_;
  std::vector<Parameter*> params_;
  std::vector<core::Tensor> buf1_, buf2_;  // sgd: momentum; adam: m, v
  int64_t step_ = 0;
};

}  // namespace halo::trainer
