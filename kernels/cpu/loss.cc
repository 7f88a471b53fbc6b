// CPU softmax cross-entropy and accuracy, one row per iteration.
#include <cmath>

#include "core/check.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/parallel.h"

namespace halo::kernels::cpu {

float SoftmaxCrossEntropy(const core::Tensor& logits, const core::Array<int64_t>& labels,
                          core::Tensor* grad_logits) {
  const int64_t rows = logits.rows();
  const int64_t cols = logits.cols();
  const int64_t* lab = labels.data();
  const float* __restrict x = logits.data();
  float* __restrict gd = grad_logits->data();

  int64_t count = 0;
  for (int64_t r = 0; r < rows; ++r) {
    HALO_CHECK(lab[r] < cols) << "SoftmaxCrossEntropy: label " << lab[r] << " at row " << r
                              << " but only " << cols << " classes";
    if (lab[r] >= 0) ++count;
  }
  if (count == 0) {
    grad_logits->SetZero();
    return 0.0f;
  }
  const float inv_count = 1.0f / static_cast<float>(count);
  double loss = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : loss) if (WorthParallel(rows * cols))
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict xr = x + r * cols;
    float* __restrict gr = gd + r * cols;
    if (lab[r] < 0) {
      for (int64_t c = 0; c < cols; ++c) gr[c] = 0.0f;
      continue;
    }
    // log_softmax = x - max - log(sum exp(x - max)): every exp() argument is <= 0.
    float m = xr[0];
    for (int64_t c = 1; c < cols; ++c) m = std::fmax(m, xr[c]);
    double sum = 0.0;
    for (int64_t c = 0; c < cols; ++c) {
      const float ex = std::exp(xr[c] - m);
      gr[c] = ex;
      sum += ex;
    }
    const double log_sum = std::log(sum);
    loss += log_sum - static_cast<double>(xr[lab[r]] - m);
    const float scale = static_cast<float>(1.0 / sum) * inv_count;
    for (int64_t c = 0; c < cols; ++c) gr[c] *= scale;
    gr[lab[r]] -= inv_count;
  }
  return static_cast<float>(loss / static_cast<double>(count));
}

int64_t CountCorrect(const core::Tensor& logits, const core::Array<int64_t>& labels) {
  const int64_t rows = logits.rows();
  const int64_t cols = logits.cols();
  const int64_t* lab = labels.data();
  const float* x = logits.data();
  if (cols == 0) return 0;
  int64_t correct = 0;
#pragma omp parallel for schedule(static) reduction(+ : correct) if (WorthParallel(rows * cols))
  for (int64_t r = 0; r < rows; ++r) {
    if (lab[r] < 0) continue;
    const float* xr = x + r * cols;
    int64_t best = 0;
    for (int64_t c = 1; c < cols; ++c) {
      if (xr[c] > xr[best]) best = c;  // strict: the first maximum wins ties
    }
    if (best == lab[r]) ++correct;
  }
  return correct;
}

}  // namespace halo::kernels::cpu
