// CPU elementwise activations and dropout. Outputs may alias inputs (the API allows it), so these
// loops use no __restrict.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/parallel.h"
#include "kernels/dropout_hash.h"

namespace halo::kernels::cpu {

void ActivationForward(Activation act, float slope, const core::Tensor& x, core::Tensor* y) {
  const int64_t n = x.numel();
  const float* xd = x.data();
  float* yd = y->data();
  switch (act) {
    case Activation::kNone:
      if (yd != xd && n > 0) std::memcpy(yd, xd, sizeof(float) * n);
      break;
    case Activation::kRelu:
#pragma omp parallel for schedule(static) if (WorthParallel(n))
      for (int64_t i = 0; i < n; ++i) yd[i] = xd[i] > 0.0f ? xd[i] : 0.0f;
      break;
    case Activation::kElu:
#pragma omp parallel for schedule(static) if (WorthParallel(n))
      for (int64_t i = 0; i < n; ++i) yd[i] = xd[i] > 0.0f ? xd[i] : std::expm1(xd[i]);
      break;
    case Activation::kLeakyRelu:
#pragma omp parallel for schedule(static) if (WorthParallel(n))
      for (int64_t i = 0; i < n; ++i) yd[i] = xd[i] > 0.0f ? xd[i] : slope * xd[i];
      break;
  }
}

void ActivationBackward(Activation act, float slope, const core::Tensor& x,
                        const core::Tensor& grad_y, core::Tensor* grad_x) {
  const int64_t n = x.numel();
  const float* xd = x.data();
  const float* gy = grad_y.data();
  float* gx = grad_x->data();
  switch (act) {
    case Activation::kNone:
      if (gx != gy && n > 0) std::memcpy(gx, gy, sizeof(float) * n);
      break;
    case Activation::kRelu:
#pragma omp parallel for schedule(static) if (WorthParallel(n))
      for (int64_t i = 0; i < n; ++i) gx[i] = xd[i] > 0.0f ? gy[i] : 0.0f;
      break;
    case Activation::kElu:
      // d/dx expm1(x) = exp(x) for x <= 0.
#pragma omp parallel for schedule(static) if (WorthParallel(n))
      for (int64_t i = 0; i < n; ++i) gx[i] = xd[i] > 0.0f ? gy[i] : gy[i] * std::exp(xd[i]);
      break;
    case Activation::kLeakyRelu:
#pragma omp parallel for schedule(static) if (WorthParallel(n))
      for (int64_t i = 0; i < n; ++i) gx[i] = xd[i] > 0.0f ? gy[i] : slope * gy[i];
      break;
  }
}

void DropoutForward(float p, uint64_t seed, const core::Tensor& x, core::Tensor* y,
                    core::Array<uint8_t>* mask) {
  const int64_t n = x.numel();
  const float* xd = x.data();
  float* yd = y->data();
  uint8_t* md = mask->data();
  if (p == 0.0f) {
    if (yd != xd && n > 0) std::memcpy(yd, xd, sizeof(float) * n);
    if (n > 0) std::memset(md, 1, static_cast<size_t>(n));
    return;
  }
  // The scale is computed once in float; CUDA uses the same expression so outputs match exactly.
  const float scale = 1.0f / (1.0f - p);
  // One hash per block of kDropoutLanes elements (see dropout_hash.h); blocks are independent.
  // Lane draws are 16-bit integers u, and u / 65536 >= p exactly when u >= ceil(p * 65536).
  const uint32_t threshold = static_cast<uint32_t>(std::ceil(static_cast<double>(p) * 65536.0));
  const int64_t full = n / kDropoutLanes;
#pragma omp parallel for schedule(static) if (WorthParallel(n))
  for (int64_t b = 0; b < full; ++b) {
    const uint64_t h = DropoutBlockHash(seed, b);
    const int64_t i = b * kDropoutLanes;
    for (int l = 0; l < kDropoutLanes; ++l) {
      const uint8_t keep = ((h >> (16 * l)) & 0xFFFFu) >= threshold ? 1 : 0;
      md[i + l] = keep;
      yd[i + l] = keep ? xd[i + l] * scale : 0.0f;
    }
  }
  for (int64_t i = full * kDropoutLanes; i < n; ++i) {
    const uint8_t keep = DropoutKeepHash(p, seed, i) ? 1 : 0;
    md[i] = keep;
    yd[i] = keep ? xd[i] * scale : 0.0f;
  }
}

void DropoutBackward(float p, const core::Array<uint8_t>& mask, const core::Tensor& grad_y,
                     core::Tensor* grad_x) {
  const int64_t n = grad_y.numel();
  const uint8_t* md = mask.data();
  const float* gy = grad_y.data();
  float* gx = grad_x->data();
  const float scale = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static) if (WorthParallel(n))
  for (int64_t i = 0; i < n; ++i) gx[i] = md[i] != 0 ? gy[i] * scale : 0.0f;
}

}  // namespace halo::kernels::cpu
