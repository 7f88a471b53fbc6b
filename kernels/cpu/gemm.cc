// CPU dense ops: GEMM through OpenBLAS's cblas_sgemm; the rest are plain OpenMP loops.
#include <cblas.h>

#include <algorithm>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/parallel.h"

namespace halo::kernels::cpu {

void Gemm(bool trans_a, bool trans_b, float alpha, const core::Tensor& a, const core::Tensor& b,
          float beta, core::Tensor* c) {
  const int64_t m = c->rows();
  const int64_t n = c->cols();
  const int64_t k = trans_a ? a.rows() : a.cols();
  if (m == 0 || n == 0) return;
  if (k == 0) {
    // c = beta * c, with BLAS's rule that beta == 0 ignores c's old contents.
    if (beta == 0.0f) {
      c->SetZero();
    } else {
      Scale(beta, c);
    }
    return;
  }
  // Leading dimensions are the stored (row-major) widths; BLAS wants them >= 1.
  const int lda = static_cast<int>(std::max<int64_t>(1, a.cols()));
  const int ldb = static_cast<int>(std::max<int64_t>(1, b.cols()));
  const int ldc = static_cast<int>(std::max<int64_t>(1, c->cols()));
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), alpha, a.data(), lda, b.data(), ldb, beta, c->data(), ldc);
}

void AddBias(const core::Tensor& bias, core::Tensor* x) {
  const int64_t rows = x->rows();
  const int64_t cols = x->cols();
  const float* __restrict b = bias.data();
  float* __restrict xd = x->data();
#pragma omp parallel for schedule(static) if (WorthParallel(rows * cols))
  for (int64_t r = 0; r < rows; ++r) {
    float* __restrict xr = xd + r * cols;
    for (int64_t c = 0; c < cols; ++c) xr[c] += b[c];
  }
}

void BiasGrad(const core::Tensor& grad, core::Tensor* grad_bias) {
  const int64_t rows = grad.rows();
  const int64_t cols = grad.cols();
  if (cols == 0) return;
  // Partial sums over fixed row blocks, then the blocks in order: rows stream contiguously and the
  // result does not depend on the thread count.
  constexpr int64_t kBlock = 1024;
  const int64_t num_blocks = (rows + kBlock - 1) / kBlock;
  std::vector<double> partial(num_blocks * cols, 0.0);
  const float* __restrict g = grad.data();
#pragma omp parallel for schedule(static) if (WorthParallel(rows * cols))
  for (int64_t b = 0; b < num_blocks; ++b) {
    double* __restrict p = partial.data() + b * cols;
    const int64_t end = std::min(rows, (b + 1) * kBlock);
    for (int64_t r = b * kBlock; r < end; ++r) {
      const float* __restrict gr = g + r * cols;
      for (int64_t c = 0; c < cols; ++c) p[c] += gr[c];
    }
  }
  float* __restrict gb = grad_bias->data();
  for (int64_t c = 0; c < cols; ++c) {
    double acc = 0.0;
    for (int64_t b = 0; b < num_blocks; ++b) acc += partial[b * cols + c];
    gb[c] = static_cast<float>(acc);
  }
}

void Axpy(float alpha, const core::Tensor& x, core::Tensor* y) {
  const int64_t n = x.numel();
  const float* __restrict xd = x.data();
  float* __restrict yd = y->data();
#pragma omp parallel for schedule(static) if (WorthParallel(n))
  for (int64_t i = 0; i < n; ++i) yd[i] += alpha * xd[i];
}

void Scale(float alpha, core::Tensor* x) {
  const int64_t n = x->numel();
  float* __restrict xd = x->data();
#pragma omp parallel for schedule(static) if (WorthParallel(n))
  for (int64_t i = 0; i < n; ++i) xd[i] *= alpha;
}

double SquaredNorm(const core::Tensor& x) {
  const int64_t n = x.numel();
  const float* __restrict xd = x.data();
  double acc = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : acc) if (WorthParallel(n))
  for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(xd[i]) * xd[i];
  return acc;
}

}  // namespace halo::kernels::cpu
