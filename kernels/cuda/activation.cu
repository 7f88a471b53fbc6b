// CUDA activations and dropout (kernels/activation.h): elementwise grid-stride kernels. Outputs
// may alias inputs (each thread reads and writes only its own elements), so no __restrict__ on
// the tensors. Dropout draws its mask from the counter-based hash of kernels/dropout_hash.h, the
// same function the CPU uses, so both devices produce identical masks.

#include "core/check.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"
#include "kernels/dropout_hash.h"

namespace halo::kernels::cuda {

namespace {

__global__ void ActivationForwardKernel(Activation act, float slope, const float* x, int64_t n,
                                        float* y) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const float v = x[i];
    float out = v;
    switch (act) {
      case Activation::kNone:
        break;
      case Activation::kRelu:
        out = v > 0.0f ? v : 0.0f;
        break;
      case Activation::kElu:
        out = v > 0.0f ? v : expm1f(v);
        break;
      case Activation::kLeakyRelu:
        out = v > 0.0f ? v : slope * v;
        break;
    }
    y[i] = out;
  }
}

__global__ void ActivationBackwardKernel(Activation act, float slope, const float* x,
                                         const float* grad_y, int64_t n, float* grad_x) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const float v = x[i];
    const float g = grad_y[i];
    float out = g;
    switch (act) {
      case Activation::kNone:
        break;
      case Activation::kRelu:
        out = v > 0.0f ? g : 0.0f;
        break;
      case Activation::kElu:
        out = v > 0.0f ? g : g * expf(v);  // d/dx expm1(x) = exp(x)
        break;
      case Activation::kLeakyRelu:
        out = v > 0.0f ? g : slope * g;
        break;
    }
    grad_x[i] = out;
  }
}

__global__ void DropoutForwardKernel(float p, float scale, uint64_t seed, const float* x, int64_t n,
                                     float* y, uint8_t* __restrict__ mask) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const bool keep = DropoutKeepHash(p, seed, i);
    mask[i] = keep ? 1 : 0;
    y[i] = keep ? x[i] * scale : 0.0f;
  }
}

__global__ void DropoutBackwardKernel(float scale, const uint8_t* __restrict__ mask,
                                      const float* grad_y, int64_t n, float* grad_x) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    grad_x[i] = mask[i] != 0 ? grad_y[i] * scale : 0.0f;
  }
}

}  // namespace

void ActivationForward(Activation act, float slope, const core::Tensor& x, core::Tensor* y) {
  CheckOnGpu(x, "ActivationForward: x");
  EnsureTensor(y, x.rows(), x.cols());
  const int64_t n = x.numel();
  if (n == 0 || (act == Activation::kNone && y->data() == x.data())) return;
  ActivationForwardKernel<<<GridFor(n, kBlock), kBlock>>>(act, slope, x.data(), n, y->data());
  HALO_CUDA_LAUNCH_CHECK();
}

void ActivationBackward(Activation act, float slope, const core::Tensor& x,
                        const core::Tensor& grad_y, core::Tensor* grad_x) {
  CheckOnGpu(x, "ActivationBackward: x");
  CheckOnGpu(grad_y, "ActivationBackward: grad_y");
  HALO_CHECK(grad_y.numel() == x.numel()) << "ActivationBackward: grad_y and x differ in size";
  EnsureTensor(grad_x, x.rows(), x.cols());
  const int64_t n = x.numel();
  if (n == 0 || (act == Activation::kNone && grad_x->data() == grad_y.data())) return;
  ActivationBackwardKernel<<<GridFor(n, kBlock), kBlock>>>(act, slope, x.data(), grad_y.data(), n,
                                                           grad_x->data());
  HALO_CUDA_LAUNCH_CHECK();
}

void DropoutForward(float p, uint64_t seed, const core::Tensor& x, core::Tensor* y,
                    core::Array<uint8_t>* mask) {
  CheckOnGpu(x, "DropoutForward: x");
  HALO_CHECK(p >= 0.0f && p < 1.0f) << "DropoutForward: p must be in [0, 1), got " << p;
  EnsureTensor(y, x.rows(), x.cols());
  const int64_t n = x.numel();
  EnsureArray(mask, n);
  if (n == 0) return;
  // The same float expression as the CPU, so kept values match bit for bit. With p == 0 every
  // draw is kept and the scale is exactly 1: y is a copy of x and the mask all ones.
  const float scale = 1.0f / (1.0f - p);
  DropoutForwardKernel<<<GridFor(n, kBlock), kBlock>>>(p, scale, seed, x.data(), n, y->data(),
                                                       mask->data());
  HALO_CUDA_LAUNCH_CHECK();
}

void DropoutBackward(float p, const core::Array<uint8_t>& mask, const core::Tensor& grad_y,
                     core::Tensor* grad_x) {
  CheckOnGpu(grad_y, "DropoutBackward: grad_y");
  HALO_CHECK(p >= 0.0f && p < 1.0f) << "DropoutBackward: p must be in [0, 1), got " << p;
  const int64_t n = grad_y.numel();
  HALO_CHECK(mask.size() == n) << "DropoutBackward: mask has " << mask.size() << " entries for "
                               << n << " elements";
  EnsureTensor(grad_x, grad_y.rows(), grad_y.cols());
  if (n == 0) return;
  const float scale = 1.0f / (1.0f - p);
  DropoutBackwardKernel<<<GridFor(n, kBlock), kBlock>>>(scale, mask.data(), grad_y.data(), n,
                                                        grad_x->data());
  HALO_CUDA_LAUNCH_CHECK();
}

}  // namespace halo::kernels::cuda
