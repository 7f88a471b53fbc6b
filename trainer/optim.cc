#include "trainer/optim.h"

#include "kernels/optim.h"

namespace halo::trainer {

using core::Status;

Optimizer::Optimizer(const OptimizerConfig& config, std::vector<Parameter*> params)
    : config_(config), params_(std::move(params)) {
  for (Parameter* p : params_) {
    const auto rows = p->value.rows(), cols = p->value.cols();
    const auto device = p->value.device();
    buf1_.push_back(core::Tensor::Zeros(rows, cols, device));
    buf2_.push_back(config_.name == "sgd" ? core::Tensor()
                                          : core::Tensor::Zeros(rows, cols, device));
  }
}

core::Result<std::unique_ptr<Optimizer>> Optimizer::Create(const OptimizerConfig& config,
                                                           std::vector<Parameter*> params) {
  if (config.name != "sgd" && config.name != "adam" && config.name != "adamw") {
    return Status::InvalidArgument("unknown optimizer '" + config.name +
                                   "' (use sgd, adam, adamw)");
  }
  return std::unique_ptr<Optimizer>(new Optimizer(config, std::move(params)));
}

void Optimizer::Step() {
  ++step_;
  for (size_t i = 0; i < params_.size(); ++i) {
    Parameter* p = params_[i];
    if (config_.name == "sgd") {
      kernels::SgdStep(config_.lr, config_.momentum, config_.weight_decay, step_, p->grad,
                       &buf1_[i], &p->value);
    } else {
      kernels::AdamStep(config_.lr, config_.beta1, config_.beta2, config_.eps, config_.weight_decay,
                        config_.name == "adamw", step_, p->grad, &buf1_[i], &buf2_[i], &p->value);
    }
  }
}

std::vector<core::Tensor*> Optimizer::state() {
  std::vector<core::Tensor*> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    out.push_back(&buf1_[i]);
    if (buf2_[i].numel() > 0) out.push_back(&buf2_[i]);
  }
  return out;
}

}  // namespace halo::trainer
