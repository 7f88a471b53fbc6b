// Row gather and scatter-add: moving feature rows between a node set and a sub-set of it.
#pragma once

#include "core/tensor.h"

namespace halo::kernels {

// out[i, :] = x[idx[i], :]. out is resized by the caller to [idx.size() x x.cols()].
void GatherRows(const core::Tensor& x, const core::Array<int64_t>& idx, core::Tensor* out);

// out[idx[i], :] += x[i, :]; repeated indices accumulate (deterministic order on CPU).
void ScatterAddRows(const core::Tensor& x, const core::Array<int64_t>& idx, core::Tensor* out);

}  // namespace halo::kernels
