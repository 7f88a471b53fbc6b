#include "kernels/normalize.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/cpu_extra_kernels.h"

namespace halo::kernels::cpu {

void RowL2Normalize(const core::Tensor& x, core::Tensor* y, core::Tensor* norms) {
  const int64_t n = x.rows(), d = x.cols();
  const float* xd = x.data();
  float* yd = y->data();
  float* nd = norms->data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < n; ++r) {
    double sq = 0.0;
    for (int64_t c = 0; c < d; ++c) sq += static_cast<double>(xd[r * d + c]) * xd[r * d + c];
    const float norm = std::max(static_cast<float>(std::sqrt(sq)), kNormalizeEps);
    nd[r] = norm;
    for (int64_t c = 0; c < d; ++c) yd[r * d + c] = xd[r * d + c] / norm;
  }
}

void RowL2NormalizeBackward(const core::Tensor& y, const core::Tensor& norms,
                            const core::Tensor& grad_y, core::Tensor* grad_x) {
  const int64_t n = y.rows(), d = y.cols();
  const float* yd = y.data();
  const float* nd = norms.data();
  const float* gy = grad_y.data();
  float* gx = grad_x->data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < n; ++r) {
    double dot = 0.0;
    for (int64_t c = 0; c < d; ++c) dot += static_cast<double>(gy[r * d + c]) * yd[r * d + c];
    const float fdot = static_cast<float>(dot);
    for (int64_t c = 0; c < d; ++c) gx[r * d + c] = (gy[r * d + c] - yd[r * d + c] * fdot) / nd[r];
  }
}

}  // namespace halo::kernels::cpu
