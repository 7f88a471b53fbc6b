#include "kernels/cuda/cuda_extra_kernels.h"
#include "kernels/normalize.h"

namespace halo::kernels::cuda {

namespace {

// One warp per row: rows are independent, features are reduced with shuffles.
__global__ void RowL2NormalizeKernel(const float* x, int64_t n, int64_t d, float* y, float* norms) {
  const int64_t warp = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (warp >= n) return;
  const float* xr = x + warp * d;
  float sq = 0.0f;
  for (int64_t c = lane; c < d; c += 32) sq += xr[c] * xr[c];
  for (int off = 16; off > 0; off >>= 1) sq += __shfl_xor_sync(0xffffffffu, sq, off);
  const float norm = fmaxf(sqrtf(sq), kNormalizeEps);
  if (lane == 0) norms[warp] = norm;
  for (int64_t c = lane; c < d; c += 32) y[warp * d + c] = xr[c] / norm;
}

__global__ void RowL2NormalizeBackwardKernel(const float* y, const float* norms, const float* gy,
                                             int64_t n, int64_t d, float* gx) {
  const int64_t warp = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (warp >= n) return;
  float dot = 0.0f;
  for (int64_t c = lane; c < d; c += 32) dot += gy[warp * d + c] * y[warp * d + c];
  for (int off = 16; off > 0; off >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, off);
  for (int64_t c = lane; c < d; c += 32) {
    gx[warp * d + c] = (gy[warp * d + c] - y[warp * d + c] * dot) / norms[warp];
  }
}

unsigned WarpBlocks(int64_t rows) { return static_cast<unsigned>((rows * 32 + 255) / 256); }

}  // namespace

void RowL2Normalize(const core::Tensor& x, core::Tensor* y, core::Tensor* norms) {
  if (x.rows() == 0) return;
  RowL2NormalizeKernel<<<WarpBlocks(x.rows()), 256>>>(x.data(), x.rows(), x.cols(), y->data(),
                                                      norms->data());
}

void RowL2NormalizeBackward(const core::Tensor& y, const core::Tensor& norms,
                            const core::Tensor& grad_y, core::Tensor* grad_x) {
  if (y.rows() == 0) return;
  RowL2NormalizeBackwardKernel<<<WarpBlocks(y.rows()), 256>>>(y.data(), norms.data(), grad_y.data(),
                                                              y.rows(), y.cols(), grad_x->data());
}

}  // namespace halo::kernels::cuda
