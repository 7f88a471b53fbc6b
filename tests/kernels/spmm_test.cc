#include "kernels/spmm.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "tests/kernels/kernel_test_util.h"

namespace halo::kernels {
namespace {

using core::Tensor;
using testing::CheckFiniteDifferences;
using testing::Dot;
using testing::ExpectClose;
using testing::Graph;
using testing::MakeGraph;
using testing::Poisoned;
using testing::RandomTensor;
using testing::RandomVector;

// Naive reference of the forward pass in double; argmax by first maximum over the float
// products (the kernel's values), -1 for empty rows.
struct Reference {
  std::vector<double> out;
  std::vector<int64_t> argmax;
};

Reference NaiveSpMM(const Graph& g, const Tensor& x, const Tensor* w, Reduce reduce) {
  const int64_t cols = x.cols();
  const int64_t heads = w == nullptr ? 1 : w->cols();
  const int64_t feats = cols / heads;
  const std::vector<float> xv = x.ToVector();
  const std::vector<float> wv = w == nullptr ? std::vector<float>() : w->ToVector();
  Reference ref;
  ref.out.assign(g.rows() * cols, 0.0);
  ref.argmax.assign(g.rows() * cols, -1);
  for (int64_t v = 0; v < g.rows(); ++v) {
    const int64_t begin = g.csr.indptr[v];
    const int64_t end = g.csr.indptr[v + 1];
    for (int64_t c = 0; c < cols; ++c) {
      double acc = 0.0;
      float best = 0.0f;
      int64_t best_e = -1;
      for (int64_t e = begin; e < end; ++e) {
        const int64_t u = g.csr.indices[e];
        const float wf = w == nullptr ? 1.0f : wv[e * heads + c / feats];
        const float prod = wf * xv[u * cols + c];
        acc += static_cast<double>(wf) * xv[u * cols + c];
        if (best_e < 0 || prod > best) {
          best = prod;
          best_e = e;
        }
      }
      double val = acc;
      if (reduce == Reduce::kMean && end > begin) val = acc / static_cast<double>(end - begin);
      if (reduce == Reduce::kMax) val = best_e < 0 ? 0.0 : best;
      ref.out[v * cols + c] = val;
      ref.argmax[v * cols + c] = reduce == Reduce::kMax ? best_e : -1;
    }
  }
  return ref;
}

std::vector<double> NaiveBackwardX(const Graph& g, const Tensor& grad_out, const Tensor* w,
                                   Reduce reduce, const std::vector<int64_t>& argmax) {
  const int64_t cols = grad_out.cols();
  const int64_t heads = w == nullptr ? 1 : w->cols();
  const int64_t feats = cols / heads;
  const std::vector<float> go = grad_out.ToVector();
  const std::vector<float> wv = w == nullptr ? std::vector<float>() : w->ToVector();
  std::vector<double> gx(g.num_cols * cols, 0.0);
  for (int64_t v = 0; v < g.rows(); ++v) {
    const int64_t deg = g.csr.degree(v);
    for (int64_t e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; ++e) {
      const int64_t u = g.csr.indices[e];
      for (int64_t c = 0; c < cols; ++c) {
        if (reduce == Reduce::kMax && argmax[v * cols + c] != e) continue;
        double coef = w == nullptr ? 1.0 : wv[e * heads + c / feats];
        if (reduce == Reduce::kMean) coef /= static_cast<double>(deg);
        gx[u * cols + c] += coef * go[v * cols + c];
      }
    }
  }
  return gx;
}

std::vector<double> NaiveBackwardW(const Graph& g, const Tensor& grad_out, const Tensor& x,
                                   Reduce reduce, const std::vector<int64_t>& argmax,
                                   int64_t heads) {
  const int64_t cols = x.cols();
  const int64_t feats = cols / heads;
  const std::vector<float> go = grad_out.ToVector();
  const std::vector<float> xv = x.ToVector();
  std::vector<double> gw(g.edges() * heads, 0.0);
  for (int64_t v = 0; v < g.rows(); ++v) {
    const int64_t deg = g.csr.degree(v);
    for (int64_t e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; ++e) {
      const int64_t u = g.csr.indices[e];
      for (int64_t c = 0; c < cols; ++c) {
        if (reduce == Reduce::kMax && argmax[v * cols + c] != e) continue;
        double term = static_cast<double>(go[v * cols + c]) * xv[u * cols + c];
        if (reduce == Reduce::kMean) term /= static_cast<double>(deg);
        gw[e * heads + c / feats] += term;
      }
    }
  }
  return gw;
}

const char* Name(Reduce r) {
  return r == Reduce::kSum ? "sum" : r == Reduce::kMean ? "mean" : "max";
}

// (heads, feats, reduce, weighted); heads > 1 only with weights.
using Param = std::tuple<int64_t, int64_t, Reduce, bool>;

class SpMMTest : public ::testing::TestWithParam<Param> {};

TEST_P(SpMMTest, MatchesNaiveForwardAndBackward) {
  const auto [heads, feats, reduce, weighted] = GetParam();
  const int64_t cols = heads * feats;
  const Graph g = MakeGraph(/*num_rows=*/37, /*num_cols=*/23, /*seed=*/7 + cols);
  const Tensor x = RandomTensor(g.num_cols, cols, 11);
  const Tensor w = RandomTensor(g.edges(), heads, 12, 0.1f, 2.0f);
  const Tensor* wp = weighted ? &w : nullptr;

  Tensor out = Poisoned(g.rows(), cols);
  core::Array<int64_t> argmax(g.rows() * cols);
  SpMM(g.view(), x, wp, reduce, &out, &argmax);
  const Reference ref = NaiveSpMM(g, x, wp, reduce);
  ExpectClose(out.ToVector(), ref.out, 1e-5, 1e-5, "out");
  if (reduce == Reduce::kMax) {
    EXPECT_EQ(argmax.ToVector(), ref.argmax);
    // Row 0 is empty by construction.
    for (int64_t c = 0; c < cols; ++c) EXPECT_EQ(argmax.data()[c], -1);
  }

  const Tensor grad_out = RandomTensor(g.rows(), cols, 13);
  Tensor grad_x = Poisoned(g.num_cols, cols);
  SpMMBackwardX(g.view(), grad_out, wp, reduce, &argmax, &grad_x);
  ExpectClose(grad_x.ToVector(), NaiveBackwardX(g, grad_out, wp, reduce, ref.argmax), 1e-5, 1e-5,
              "grad_x");
  // The last source has no out-edges: its gradient is exactly zero.
  for (int64_t c = 0; c < cols; ++c) EXPECT_EQ(grad_x.data()[(g.num_cols - 1) * cols + c], 0.0f);

  Tensor grad_w = Poisoned(g.edges(), heads);
  SpMMBackwardW(g.view(), grad_out, x, reduce, &argmax, heads, &grad_w);
  ExpectClose(grad_w.ToVector(), NaiveBackwardW(g, grad_out, x, reduce, ref.argmax, heads), 1e-5,
              1e-5, "grad_w");
}

INSTANTIATE_TEST_SUITE_P(
    Unweighted, SpMMTest,
    ::testing::Combine(::testing::Values(int64_t{1}), ::testing::Values(1, 3, 16),
                       ::testing::Values(Reduce::kSum, Reduce::kMean, Reduce::kMax),
                       ::testing::Values(false)));
INSTANTIATE_TEST_SUITE_P(
    Weighted, SpMMTest,
    ::testing::Combine(::testing::Values(int64_t{1}, int64_t{4}), ::testing::Values(1, 3, 16),
                       ::testing::Values(Reduce::kSum, Reduce::kMean, Reduce::kMax),
                       ::testing::Values(true)));

// Finite differences of L = sum(R .* SpMM(x, w)) with respect to x and w.
TEST(SpMMGradientTest, FiniteDifferencesSumAndMeanWeighted) {
  for (Reduce reduce : {Reduce::kSum, Reduce::kMean}) {
    SCOPED_TRACE(Name(reduce));
    const int64_t heads = 2;
    const int64_t feats = 3;
    const int64_t cols = heads * feats;
    const Graph g = MakeGraph(9, 6, 3);
    Tensor x = RandomTensor(g.num_cols, cols, 4);
    Tensor w = RandomTensor(g.edges(), heads, 5, 0.2f, 1.5f);
    const std::vector<float> r = RandomVector(g.rows() * cols, 6);
    const Tensor r_t = Tensor::FromVector(r, g.rows(), cols);
    Tensor out(g.rows(), cols);
    auto loss = [&] {
      SpMM(g.view(), x, &w, reduce, &out, nullptr);
      return Dot(r, out);
    };
    Tensor grad_x(g.num_cols, cols);
    Tensor grad_w(g.edges(), heads);
    SpMMBackwardX(g.view(), r_t, &w, reduce, nullptr, &grad_x);
    SpMMBackwardW(g.view(), r_t, x, reduce, nullptr, heads, &grad_w);
    CheckFiniteDifferences(&x, grad_x.ToVector(), loss, 1e-2, 2e-3, 1e-3, "d/dx");
    CheckFiniteDifferences(&w, grad_w.ToVector(), loss, 1e-2, 2e-3, 1e-3, "d/dw");
  }
}

TEST(SpMMTest, EmptyGraphAndZeroWidth) {
  core::Csr csr;
  csr.indptr = {0, 0, 0};
  const DeviceCsr g = DeviceCsr::FromCsr(csr, 3, core::Device::kCpu);
  const Tensor x = RandomTensor(3, 4, 1);
  Tensor out = Poisoned(2, 4);
  core::Array<int64_t> argmax(8);
  SpMM(g.view(), x, nullptr, Reduce::kMax, &out, &argmax);
  for (float v : out.ToVector()) EXPECT_EQ(v, 0.0f);
  for (int64_t a : argmax.ToVector()) EXPECT_EQ(a, -1);
  SpMM(g.view(), x, nullptr, Reduce::kMean, &out, nullptr);
  for (float v : out.ToVector()) EXPECT_EQ(v, 0.0f);
  Tensor grad_x = Poisoned(3, 4);
  SpMMBackwardX(g.view(), out, nullptr, Reduce::kSum, nullptr, &grad_x);
  for (float v : grad_x.ToVector()) EXPECT_EQ(v, 0.0f);
}

// The transposed accumulation (and the parallel transpose behind it, used from 32K edges) gives
// the right values and the same bits whatever the thread count.
TEST(SpMMTest, BackwardXIsDeterministicAcrossThreadCounts) {
  const Graph g = MakeGraph(12000, 2000, 99);
  ASSERT_GT(g.edges(), 32768);
  const Tensor grad_out = RandomTensor(g.rows(), 8, 1);
  const Tensor w = RandomTensor(g.edges(), 2, 2);
  std::vector<std::vector<float>> results;
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2, 5}) {
    omp_set_num_threads(threads);
    Tensor grad_x(g.num_cols, 8);
    SpMMBackwardX(g.view(), grad_out, &w, Reduce::kMean, nullptr, &grad_x);
    results.push_back(grad_x.ToVector());
  }
  omp_set_num_threads(saved);
  ExpectClose(results[0], NaiveBackwardX(g, grad_out, &w, Reduce::kMean, {}), 1e-4, 1e-5, "grad_x");
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(results[0], results[2]);
}

// Large inputs through the kernel's parallel, prefetching path, against the reference. Row 2 sums
// 9000 floats, hence the looser tolerance.
TEST(SpMMTest, LargerGraphSum) {
  const Graph g = MakeGraph(4000, 3000, 5);
  const Tensor x = RandomTensor(g.num_cols, 128, 6);
  Tensor out = Poisoned(g.rows(), 128);
  SpMM(g.view(), x, nullptr, Reduce::kSum, &out, nullptr);
  ExpectClose(out.ToVector(), NaiveSpMM(g, x, nullptr, Reduce::kSum).out, 1e-3, 1e-5, "out");
}

TEST(SpMMDeathTest, ShapeMismatchAborts) {
  // The OpenMP pool is already up: re-exec the binary rather than fork a threaded process.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const Graph g = MakeGraph(5, 4, 1);
  const Tensor x = RandomTensor(g.num_cols + 1, 3, 1);
  Tensor out(g.rows(), 3);
  EXPECT_DEATH(SpMM(g.view(), x, nullptr, Reduce::kSum, &out, nullptr), "SpMM: x has");
  const Tensor x_ok = RandomTensor(g.num_cols, 3, 1);
  EXPECT_DEATH(SpMM(g.view(), x_ok, nullptr, Reduce::kMax, &out, nullptr), "needs argmax");
}

}  // namespace
}  // namespace halo::kernels
