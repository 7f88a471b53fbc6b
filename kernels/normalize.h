// Row-wise L2 normalization (GraphSAGE's optional output normalization):
//   y[r, :] = x[r, :] / max(||x[r, :]||, eps)
#pragma once

#include "core/tensor.h"

namespace halo::kernels {

constexpr float kNormalizeEps = 1e-12f;

// norms [rows x 1] receives max(||x[r]||, eps) for the backward pass.
void RowL2Normalize(const core::Tensor& x, core::Tensor* y, core::Tensor* norms);

// grad_x[r] = (grad_y[r] - y[r] * <grad_y[r], y[r]>) / norms[r]   (overwrites grad_x; for rows
// whose norm was clamped to eps the projection is still applied, a negligible approximation)
void RowL2NormalizeBackward(const core::Tensor& y, const core::Tensor& norms,
                            const core::Tensor& grad_y, core::Tensor* grad_x);

}  // namespace halo::kernels
