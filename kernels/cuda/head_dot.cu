#include "kernels/cuda/cuda_extra_kernels.h"

namespace halo::kernels::cuda {

namespace {

// One thread per (row, head): rows x heads is small relative to the feature work.
__global__ void HeadDotKernel(const float* z, const float* a, int64_t n, int64_t heads,
                              int64_t f_dim, float* out) {
  const int64_t total = n * heads;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t r = i / heads, h = i % heads;
    const float* zr = z + r * heads * f_dim + h * f_dim;
    const float* ah = a + h * f_dim;
    float acc = 0.0f;
    for (int64_t f = 0; f < f_dim; ++f) acc += zr[f] * ah[f];
    out[i] = acc;
  }
}

__global__ void HeadDotGradZKernel(const float* a, const float* grad_out, int64_t n, int64_t heads,
                                   int64_t f_dim, float* grad_z) {
  const int64_t width = heads * f_dim, total = n * width;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t r = i / width, c = i % width;
    grad_z[i] += grad_out[r * heads + c / f_dim] * a[c];
  }
}

// One block per column; threads stride over rows and reduce in shared memory.
__global__ void HeadDotGradAKernel(const float* z, const float* grad_out, int64_t n, int64_t heads,
                                   int64_t f_dim, float* grad_a) {
  __shared__ float partial[256];
  const int64_t width = heads * f_dim;
  const int64_t c = blockIdx.x;
  const int64_t h = c / f_dim;
  float acc = 0.0f;
  for (int64_t r = threadIdx.x; r < n; r += blockDim.x)
    acc += grad_out[r * heads + h] * z[r * width + c];
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) grad_a[c] = partial[0];
}

int Blocks(int64_t work) {
  const int64_t b = (work + 255) / 256;
  return static_cast<int>(b < 65535 ? (b > 0 ? b : 1) : 65535);
}

}  // namespace

void HeadDot(const core::Tensor& z, const core::Tensor& a, int64_t heads, core::Tensor* out) {
  const int64_t f_dim = z.cols() / heads;
  HeadDotKernel<<<Blocks(z.rows() * heads), 256>>>(z.data(), a.data(), z.rows(), heads, f_dim,
                                                   out->data());
}

void HeadDotBackward(const core::Tensor& z, const core::Tensor& a, int64_t heads,
                     const core::Tensor& grad_out, core::Tensor* grad_z, core::Tensor* grad_a) {
  const int64_t f_dim = z.cols() / heads;
  if (grad_z != nullptr && z.rows() > 0) {
    HeadDotGradZKernel<<<Blocks(z.numel()), 256>>>(a.data(), grad_out.data(), z.rows(), heads,
                                                   f_dim, grad_z->data());
  }
  if (grad_a != nullptr && z.cols() > 0) {
    HeadDotGradAKernel<<<static_cast<unsigned>(z.cols()), 256>>>(
        z.data(), grad_out.data(), z.rows(), heads, f_dim, grad_a->data());
  }
}

}  // namespace halo::kernels::cuda
