#include "kernels/csr_view.h"

#include <gtest/gtest.h>

#include <vector>

namespace halo::kernels {
namespace {

TEST(DeviceCsrTest, ViewDescribesTheCopiedGraph) {
  core::Csr csr;
  csr.indptr = {0, 2, 2, 5};
  csr.indices = {1, 3, 0, 0, 2};
  const DeviceCsr g = DeviceCsr::FromCsr(csr, 4, core::Device::kCpu);
  EXPECT_EQ(g.num_rows(), 3);
  EXPECT_EQ(g.num_cols(), 4);
  EXPECT_EQ(g.num_edges(), 5);
  EXPECT_EQ(g.device(), core::Device::kCpu);
  const CsrView v = g.view();
  EXPECT_EQ(v.num_rows, 3);
  EXPECT_EQ(v.num_cols, 4);
  EXPECT_EQ(v.num_edges, 5);
  EXPECT_EQ(std::vector<int64_t>(v.indptr, v.indptr + 4), csr.indptr);
  EXPECT_EQ(std::vector<int64_t>(v.indices, v.indices + 5), csr.indices);
  // A copy, not a view of the caller's vectors.
  EXPECT_NE(v.indices, csr.indices.data());
}

TEST(DeviceCsrTest, DefaultIsEmpty) {
  const DeviceCsr g;
  const CsrView v = g.view();
  EXPECT_EQ(v.num_rows, 0);
  EXPECT_EQ(v.num_edges, 0);
}

TEST(DeviceCsrDeathTest, RejectsOutOfRangeColumns) {
  // The OpenMP pool is already up: re-exec the binary rather than fork a threaded process.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  core::Csr csr;
  csr.indptr = {0, 1};
  csr.indices = {5};
  EXPECT_DEATH(DeviceCsr::FromCsr(csr, 3, core::Device::kCpu), "outside \\[0, 3\\)");
}

}  // namespace
}  // namespace halo::kernels
