// Optimizer update rules applied elementwise on a parameter's device.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace halo::kernels {

// SGD with momentum and L2 weight decay (PyTorch semantics):
//   g = grad + wd * param;  buf = momentum * buf + g (buf = g at step 1);  param -= lr * buf
// With momentum == 0 the buffer is unused (may be empty).
void SgdStep(float lr, float momentum, float weight_decay, int64_t step, const core::Tensor& grad,
             core::Tensor* momentum_buf, core::Tensor* param);

// Adam (decoupled == false: L2 added to the gradient) or AdamW (decoupled: param *= 1 - lr*wd).
// step counts from 1 and drives bias correction.
void AdamStep(float lr, float beta1, float beta2, float eps, float weight_decay, bool decoupled,
              int64_t step, const core::Tensor& grad, core::Tensor* m, core::Tensor* v,
              core::Tensor* param);

}  // namespace halo::kernels
