// CUDA optimizer steps (kernels/optim.h): one elementwise kernel per rule, with the same float
// expressions as the CPU version (torch.optim.SGD / Adam / AdamW).

#include <cmath>

#include "core/check.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace halo::kernels::cuda {

namespace {

__global__ void SgdKernel(float lr, float weight_decay, const float* __restrict__ grad, int64_t n,
                          float* __restrict__ param) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    param[i] -= lr * (grad[i] + weight_decay * param[i]);
  }
}

// buf = g at the first step (PyTorch seeds the buffer with the first gradient), else
// momentum * buf + g; param -= lr * buf.
__global__ void SgdMomentumKernel(float lr, float momentum, float weight_decay, bool first,
                                  const float* __restrict__ grad, int64_t n,
                                  float* __restrict__ buf, float* __restrict__ param) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const float g = grad[i] + weight_decay * param[i];
    const float b = first ? g : momentum * buf[i] + g;
    buf[i] = b;
    param[i] -= lr * b;
  }
}

__global__ void AdamKernel(float beta1, float beta2, float eps, float l2, float shrink,
                           float step_size, float bias2_sqrt, const float* __restrict__ grad,
                           int64_t n, float* __restrict__ m, float* __restrict__ v,
                           float* __restrict__ param) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const float p = param[i];
    const float g = grad[i] + l2 * p;
    const float mi = beta1 * m[i] + (1.0f - beta1) * g;
    const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const float denom = sqrtf(vi) / bias2_sqrt + eps;
    param[i] = p * shrink - step_size * mi / denom;
  }
}

void CheckSameSize(const core::Tensor& param, const core::Tensor& t, const char* what) {
  CheckOnGpu(t, what);
  HALO_CHECK(t.numel() == param.numel())
      << what << " has " << t.numel() << " elements, param has " << param.numel();
}

}  // namespace

void SgdStep(float lr, float momentum, float weight_decay, int64_t step, const core::Tensor& grad,
             core::Tensor* momentum_buf, core::Tensor* param) {
  CheckOnGpu(*param, "SgdStep: param");
  CheckSameSize(*param, grad, "SgdStep: grad");
  HALO_CHECK(step >= 1) << "SgdStep: step counts from 1, got " << step;
  const int64_t n = param->numel();
  if (momentum == 0.0f) {
    if (n == 0) return;
    SgdKernel<<<GridFor(n, kBlock), kBlock>>>(lr, weight_decay, grad.data(), n, param->data());
    HALO_CUDA_LAUNCH_CHECK();
    return;
  }
  HALO_CHECK(momentum_buf != nullptr) << "SgdStep: momentum needs a buffer";
  CheckSameSize(*param, *momentum_buf, "SgdStep: momentum_buf");
  if (n == 0) return;
  SgdMomentumKernel<<<GridFor(n, kBlock), kBlock>>>(
      lr, momentum, weight_decay, step == 1, grad.data(), n, momentum_buf->data(), param->data());
  HALO_CUDA_LAUNCH_CHECK();
}

void AdamStep(float lr, float beta1, float beta2, float eps, float weight_decay, bool decoupled,
              int64_t step, const core::Tensor& grad, core::Tensor* m, core::Tensor* v,
              core::Tensor* param) {
  CheckOnGpu(*param, "AdamStep: param");
  CheckSameSize(*param, grad, "AdamStep: grad");
  CheckSameSize(*param, *m, "AdamStep: m");
  CheckSameSize(*param, *v, "AdamStep: v");
  HALO_CHECK(step >= 1) << "AdamStep: step counts from 1, got " << step;
  const int64_t n = param->numel();
  if (n == 0) return;
  // Bias corrections in double on the host, as the CPU computes them.
  const double t = static_cast<double>(step);
  const float bias1 = static_cast<float>(1.0 - std::pow(static_cast<double>(beta1), t));
  const float bias2_sqrt =
      static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(beta2), t)));
  const float step_size = lr / bias1;
  const float l2 = decoupled ? 0.0f : weight_decay;
  const float shrink = decoupled ? 1.0f - lr * weight_decay : 1.0f;
  AdamKernel<<<GridFor(n, kBlock), kBlock>>>(beta1, beta2, eps, l2, shrink, step_size, bias2_sqrt,
                                             grad.data(), n, m->data(), v->data(), param->data());
  HALO_CUDA_LAUNCH_CHECK();
}

}  // namespace halo::kernels::cuda
