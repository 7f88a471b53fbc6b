// Per-head dot products of node rows with a learned vector: GAT's attention logits.
//   out[n, h] = SUM_f z[n, h*F + f] * a[0, h*F + f]        (z [N x H*F], a [1 x H*F], out [N x H])
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace halo::kernels {

void HeadDot(const core::Tensor& z, const core::Tensor& a, int64_t heads, core::Tensor* out);

// grad_z[n, h*F + f] += grad_out[n, h] * a[0, h*F + f]   (accumulates into grad_z)
// grad_a[0, h*F + f]  = SUM_n grad_out[n, h] * z[n, h*F + f]   (overwrites grad_a)
void HeadDotBackward(const core::Tensor& z, const core::Tensor& a, int64_t heads,
                     const core::Tensor& grad_out, core::Tensor* grad_z, core::Tensor* grad_a);

}  // namespace halo::kernels
