#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/kernels/kernel_test_util.h"

namespace halo::kernels {
namespace {

using core::Tensor;
using testing::ExpectClose;
using testing::Poisoned;
using testing::RandomTensor;

// c = alpha * op(a) op(b) + beta * c with plain loops in double.
std::vector<double> NaiveGemm(bool ta, bool tb, double alpha, const Tensor& a, const Tensor& b,
                              double beta, const std::vector<float>& c0, int64_t m, int64_t n,
                              int64_t k) {
  const std::vector<float> av = a.ToVector();
  const std::vector<float> bv = b.ToVector();
  std::vector<double> c(m * n);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const double aip = ta ? av[p * a.cols() + i] : av[i * a.cols() + p];
        const double bpj = tb ? bv[j * b.cols() + p] : bv[p * b.cols() + j];
        acc += aip * bpj;
      }
      c[i * n + j] = alpha * acc + (beta == 0.0 ? 0.0 : beta * c0[i * n + j]);
    }
  }
  return c;
}

TEST(GemmTest, AllTransposeCombinations) {
  const int64_t m = 7, n = 5, k = 9;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "trans_a=" << ta << " trans_b=" << tb);
      const Tensor a = ta ? RandomTensor(k, m, 1) : RandomTensor(m, k, 1);
      const Tensor b = tb ? RandomTensor(n, k, 2) : RandomTensor(k, n, 2);
      Tensor c = RandomTensor(m, n, 3);
      const std::vector<float> c0 = c.ToVector();
      Gemm(ta, tb, 1.5f, a, b, 0.5f, &c);
      ExpectClose(c.ToVector(), NaiveGemm(ta, tb, 1.5, a, b, 0.5, c0, m, n, k), 1e-5, 1e-5, "c");
    }
  }
}

TEST(GemmTest, BetaZeroIgnoresOldContents) {
  const Tensor a = RandomTensor(4, 3, 1);
  const Tensor b = RandomTensor(3, 6, 2);
  Tensor c = Poisoned(4, 6);
  Gemm(false, false, 1.0f, a, b, 0.0f, &c);
  ExpectClose(c.ToVector(), NaiveGemm(false, false, 1.0, a, b, 0.0, c.ToVector(), 4, 6, 3), 1e-5,
              1e-5, "c");
}

TEST(GemmTest, EmptyInnerDimensionScalesC) {
  const Tensor a(4, 0);
  const Tensor b(0, 2);
  Tensor c = Tensor::FromVector({1, 2, 3, 4, 5, 6, 7, 8}, 4, 2);
  Gemm(false, false, 1.0f, a, b, 2.0f, &c);
  EXPECT_EQ(c.ToVector(), (std::vector<float>{2, 4, 6, 8, 10, 12, 14, 16}));
  Tensor d = Poisoned(4, 2);
  Gemm(false, false, 1.0f, a, b, 0.0f, &d);
  EXPECT_EQ(d.ToVector(), std::vector<float>(8, 0.0f));
}

TEST(GemmDeathTest, ShapeMismatchAborts) {
  // The OpenMP pool is already up: re-exec the binary rather than fork a threaded process.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const Tensor a = RandomTensor(4, 3, 1);
  const Tensor b = RandomTensor(4, 2, 2);
  Tensor c(4, 2);
  EXPECT_DEATH(Gemm(false, false, 1.0f, a, b, 0.0f, &c), "Gemm: op\\(a\\) is \\[4 x 3\\]");
}

TEST(DenseOpsTest, BiasAxpyScaleNorm) {
  const int64_t rows = 2100, cols = 5;  // more rows than one BiasGrad block
  Tensor x = RandomTensor(rows, cols, 1);
  const std::vector<float> x0 = x.ToVector();
  const Tensor bias = RandomTensor(1, cols, 2);
  const std::vector<float> bv = bias.ToVector();

  AddBias(bias, &x);
  std::vector<double> want(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) want[i] = x0[i] + bv[i % cols];
  ExpectClose(x.ToVector(), want, 1e-6, 1e-6, "AddBias");

  Tensor gb = Poisoned(1, cols);
  BiasGrad(x, &gb);
  std::vector<double> col_sums(cols, 0.0);
  const std::vector<float> xv = x.ToVector();
  for (int64_t i = 0; i < rows * cols; ++i) col_sums[i % cols] += xv[i];
  ExpectClose(gb.ToVector(), col_sums, 1e-4, 1e-5, "BiasGrad");

  const Tensor y0 = RandomTensor(rows, cols, 3);
  Tensor y = y0.Clone();
  Axpy(-0.25f, x, &y);
  const std::vector<float> yv0 = y0.ToVector();
  for (int64_t i = 0; i < rows * cols; ++i) want[i] = yv0[i] - 0.25 * xv[i];
  ExpectClose(y.ToVector(), want, 1e-6, 1e-6, "Axpy");

  Scale(3.0f, &y);
  const std::vector<float> yv = y.ToVector();
  for (int64_t i = 0; i < rows * cols; ++i) want[i] *= 3.0;
  ExpectClose(yv, want, 1e-5, 1e-5, "Scale");

  double sq = 0.0;
  for (float v : yv) sq += static_cast<double>(v) * v;
  EXPECT_NEAR(SquaredNorm(y), sq, 1e-9 * sq);
}

}  // namespace
}  // namespace halo::kernels
