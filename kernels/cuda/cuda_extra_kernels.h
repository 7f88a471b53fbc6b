// cuda implementations of kernels/head_dot.h and kernels/normalize.h (same contracts).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace halo::kernels::cuda {

void HeadDot(const core::Tensor& z, const core::Tensor& a, int64_t heads, core::Tensor* out);
void HeadDotBackward(const core::Tensor& z, const core::Tensor& a, int64_t heads,
                     const core::Tensor& grad_out, core::Tensor* grad_z, core::Tensor* grad_a);
void RowL2Normalize(const core::Tensor& x, core::Tensor* y, core::Tensor* norms);
void RowL2NormalizeBackward(const core::Tensor& y, const core::Tensor& norms,
                            const core::Tensor& grad_y, core::Tensor* grad_x);

}  // namespace halo::kernels::cuda
