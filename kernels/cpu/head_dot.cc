#include <cmath>

#include "kernels/cpu/cpu_extra_kernels.h"

namespace halo::kernels::cpu {

void HeadDot(const core::Tensor& z, const core::Tensor& a, int64_t heads, core::Tensor* out) {
  const int64_t n = z.rows(), width = z.cols(), f_dim = width / heads;
  const float* zd = z.data();
  const float* ad = a.data();
  float* od = out->data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t h = 0; h < heads; ++h) {
      float acc = 0.0f;
      for (int64_t f = 0; f < f_dim; ++f) acc += zd[r * width + h * f_dim + f] * ad[h * f_dim + f];
      od[r * heads + h] = acc;
    }
  }
}

void HeadDotBackward(const core::Tensor& z, const core::Tensor& a, int64_t heads,
                     const core::Tensor& grad_out, core::Tensor* grad_z, core::Tensor* grad_a) {
  const int64_t n = z.rows(), width = z.cols(), f_dim = width / heads;
  const float* zd = z.data();
  const float* ad = a.data();
  const float* gd = grad_out.data();
  if (grad_z != nullptr) {
    float* gz = grad_z->data();
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t h = 0; h < heads; ++h) {
        const float g = gd[r * heads + h];
        for (int64_t f = 0; f < f_dim; ++f) gz[r * width + h * f_dim + f] += g * ad[h * f_dim + f];
      }
    }
  }
  if (grad_a != nullptr) {
    float* ga = grad_a->data();
    // Columns are independent: parallel over columns, sequential (deterministic) over rows.
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < width; ++c) {
      const int64_t h = c / f_dim;
      double acc = 0.0;
      for (int64_t r = 0; r < n; ++r)
        acc += static_cast<double>(gd[r * heads + h]) * zd[r * width + c];
      ga[c] = static_cast<float>(acc);
    }
  }
}

}  // namespace halo::kernels::cpu
