#include "kernels/gather_scatter.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <random>
#include <vector>

#include "tests/kernels/kernel_test_util.h"

namespace halo::kernels {
namespace {

using core::Tensor;
using testing::Poisoned;
using testing::RandomTensor;

std::vector<int64_t> RandomIndices(int64_t n, int64_t bound, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> d(0, bound - 1);
  std::vector<int64_t> v(n);
  for (int64_t& x : v) x = d(rng);
  return v;
}

TEST(GatherRowsTest, CopiesRowsIncludingRepeats) {
  const Tensor x = RandomTensor(10, 3, 1);
  const std::vector<int64_t> idx = {4, 0, 4, 9, 2};
  Tensor out = Poisoned(5, 3);
  GatherRows(x, core::Array<int64_t>::FromVector(idx), &out);
  const std::vector<float> xv = x.ToVector();
  const std::vector<float> ov = out.ToVector();
  for (size_t i = 0; i < idx.size(); ++i) {
    for (int c = 0; c < 3; ++c) EXPECT_EQ(ov[i * 3 + c], xv[idx[i] * 3 + c]) << i;
  }
}

// Scatter-add equals the serial loop bit for bit (same order of additions), for any thread count.
TEST(ScatterAddRowsTest, MatchesSerialLoopExactly) {
  const int64_t n = 5000, targets = 300, cols = 7;
  const Tensor x = RandomTensor(n, cols, 1);
  const std::vector<int64_t> idx = RandomIndices(n, targets - 1, 2);  // last target untouched
  const Tensor base = RandomTensor(targets, cols, 3);
  std::vector<float> want = base.ToVector();
  const std::vector<float> xv = x.ToVector();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c < cols; ++c) want[idx[i] * cols + c] += xv[i * cols + c];
  }
  const int saved = omp_get_max_threads();
  for (int threads : {1, 3}) {
    omp_set_num_threads(threads);
    Tensor out = base.Clone();
    ScatterAddRows(x, core::Array<int64_t>::FromVector(idx), &out);
    EXPECT_EQ(out.ToVector(), want) << threads << " threads";
  }
  omp_set_num_threads(saved);
}

TEST(GatherScatterDeathTest, BadIndexOrShapeAborts) {
  // The OpenMP pool is already up: re-exec the binary rather than fork a threaded process.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const Tensor x = RandomTensor(4, 2, 1);
  Tensor out(1, 2);
  EXPECT_DEATH(GatherRows(x, core::Array<int64_t>::FromVector({4}), &out), "outside \\[0, 4\\)");
  Tensor wrong(2, 2);
  EXPECT_DEATH(GatherRows(x, core::Array<int64_t>::FromVector({1}), &wrong), "GatherRows: out");
}

}  // namespace
}  // namespace halo::kernels
