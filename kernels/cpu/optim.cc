// CPU optimizer steps: elementwise, following torch.optim.SGD / Adam / AdamW exactly.
#include <cmath>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/parallel.h"

namespace halo::kernels::cpu {

void SgdStep(float lr, float momentum, float weight_decay, int64_t step, const core::Tensor& grad,
             core::Tensor* momentum_buf, core::Tensor* param) {
  const int64_t n = param->numel();
  const float* __restrict g = grad.data();
  float* __restrict p = param->data();
  if (momentum == 0.0f) {
#pragma omp parallel for schedule(static) if (WorthParallel(n))
    for (int64_t i = 0; i < n; ++i) p[i] -= lr * (g[i] + weight_decay * p[i]);
    return;
  }
  float* __restrict buf = momentum_buf->data();
  // PyTorch seeds the buffer with the first gradient rather than decaying from zero.
  const bool first = step == 1;
#pragma omp parallel for schedule(static) if (WorthParallel(n))
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] + weight_decay * p[i];
    buf[i] = first ? gi : momentum * buf[i] + gi;
    p[i] -= lr * buf[i];
  }
}

void AdamStep(float lr, float beta1, float beta2, float eps, float weight_decay, bool decoupled,
              int64_t step, const core::Tensor& grad, core::Tensor* m, core::Tensor* v,
              core::Tensor* param) {
  const int64_t n = param->numel();
  const float* __restrict g = grad.data();
  float* __restrict md = m->data();
  float* __restrict vd = v->data();
  float* __restrict p = param->data();
  const double t = static_cast<double>(step);
  const float bias1 = static_cast<float>(1.0 - std::pow(static_cast<double>(beta1), t));
  const float bias2_sqrt =
      static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(beta2), t)));
  const float step_size = lr / bias1;
  const float l2 = decoupled ? 0.0f : weight_decay;
  const float shrink = decoupled ? 1.0f - lr * weight_decay : 1.0f;
#pragma omp parallel for schedule(static) if (WorthParallel(n))
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] + l2 * p[i];
    md[i] = beta1 * md[i] + (1.0f - beta1) * gi;
    vd[i] = beta2 * vd[i] + (1.0f - beta2) * gi * gi;
    const float denom = std::sqrt(vd[i]) / bias2_sqrt + eps;
    p[i] = p[i] * shrink - step_size * md[i] / denom;
  }
}

}  // namespace halo::kernels::cpu
