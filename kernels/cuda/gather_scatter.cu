// CUDA row gather and scatter-add (kernels/gather_scatter.h); scatter uses atomicAdd.

#include "core/check.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace halo::kernels::cuda {

namespace {

__global__ void GatherRowsKernel(const float* __restrict__ x, const int64_t* __restrict__ idx,
                                 int64_t n, int64_t cols, float* __restrict__ out) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; i < n;
       i += stride) {
    const float* src = x + idx[i] * cols;
    float* dst = out + i * cols;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) dst[c] = src[c];
  }
}

__global__ void ScatterAddRowsKernel(const float* __restrict__ x, const int64_t* __restrict__ idx,
                                     int64_t n, int64_t cols, float* __restrict__ out) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; i < n;
       i += stride) {
    const float* src = x + i * cols;
    float* dst = out + idx[i] * cols;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) atomicAdd(dst + c, src[c]);
  }
}

}  // namespace

void GatherRows(const core::Tensor& x, const core::Array<int64_t>& idx, core::Tensor* out) {
  CheckOnGpu(x, "GatherRows: x");
  const int64_t n = idx.size();
  const int64_t cols = x.cols();
  EnsureTensor(out, n, cols);
  if (n == 0 || cols == 0) return;
  const int width = GroupWidth(cols);
  const dim3 block = GroupBlock(width);
  GatherRowsKernel<<<GridFor(n, block.y), block>>>(x.data(), idx.data(), n, cols, out->data());
  HALO_CUDA_LAUNCH_CHECK();
}

// Repeated indices accumulate through atomicAdd, so their sum order (and last bits) varies.
void ScatterAddRows(const core::Tensor& x, const core::Array<int64_t>& idx, core::Tensor* out) {
  CheckOnGpu(x, "ScatterAddRows: x");
  CheckOnGpu(*out, "ScatterAddRows: out");
  const int64_t n = idx.size();
  const int64_t cols = x.cols();
  HALO_CHECK(x.rows() == n) << "ScatterAddRows: x has " << x.rows() << " rows for " << n
                            << " indices";
  HALO_CHECK(out->cols() == cols) << "ScatterAddRows: out has " << out->cols() << " columns, x has "
                                  << cols;
  if (n == 0 || cols == 0) return;
  const int width = GroupWidth(cols);
  const dim3 block = GroupBlock(width);
  ScatterAddRowsKernel<<<GridFor(n, block.y), block>>>(x.data(), idx.data(), n, cols, out->data());
  HALO_CUDA_LAUNCH_CHECK();
}

}  // namespace halo::kernels::cuda
