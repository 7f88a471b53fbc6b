// A learnable dense parameter and its gradient, on one device.
#pragma once

#include <string>

#include "core/tensor.h"

namespace halo::trainer {

struct Parameter {
  Parameter() = default;
  Parameter(std::string n, int64_t rows, int64_t cols, core::Device device)
      : name(std::move(n)),
        value(rows, cols, device),
        grad(core::Tensor::Zeros(rows, cols, device)) {}

  std::string name;  // "layer0.weight", unique within a model
  core::Tensor value;
  core::Tensor grad;  // overwritten by each backward pass
};

}  // namespace halo::trainer
