#include "core/csr.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace halo::core {
namespace {

TEST(CsrTest, BuildSortsRowsAndDedupes) {
  // Edges (row <- col): 2<-0, 0<-1, 2<-1, 2<-0 (dup, different weight), 1<-1.
  std::vector<NodeId> row = {2, 0, 2, 2, 1};
  std::vector<NodeId> col = {0, 1, 1, 0, 1};
  std::vector<float> w = {0.5f, 1.0f, 2.0f, 9.0f, 3.0f};
  Csr csr = BuildCsr(3, row, col, w, /*dedupe=*/true);
  EXPECT_EQ(csr.indptr, (std::vector<EdgeId>{0, 1, 2, 4}));
  EXPECT_EQ(csr.indices, (std::vector<NodeId>{1, 1, 0, 1}));
  EXPECT_EQ(csr.weights, (std::vector<float>{1.0f, 3.0f, 0.5f, 2.0f}));  // first weight kept
  EXPECT_TRUE(csr.Validate(3, "test").ok());
  Csr keep = BuildCsr(3, row, col, {}, /*dedupe=*/false);
  EXPECT_EQ(keep.num_entries(), 5);
  EXPECT_FALSE(keep.weighted());
}

TEST(CsrTest, BuildMatchesNaiveSetsOnRandomGraph) {
  std::mt19937_64 rng(7);
  const int64_t n = 200;
  std::vector<NodeId> row, col;
  std::vector<std::set<NodeId>> naive(n);
  for (int i = 0; i < 3000; ++i) {
    NodeId r = static_cast<NodeId>(rng() % n), c = static_cast<NodeId>(rng() % n);
    row.push_back(r);
    col.push_back(c);
    naive[r].insert(c);
  }
  Csr csr = BuildCsr(n, row, col, {}, true);
  for (int64_t r = 0; r < n; ++r) {
    std::vector<NodeId> got(csr.indices.begin() + csr.indptr[r],
                            csr.indices.begin() + csr.indptr[r + 1]);
    EXPECT_EQ(got, std::vector<NodeId>(naive[r].begin(), naive[r].end())) << "row " << r;
  }
}

TEST(CsrTest, ValidateCatchesCorruption) {
  Csr csr;
  csr.indptr = {0, 2, 1};
  csr.indices = {0};
  EXPECT_EQ(csr.Validate(2, "g").code(), StatusCode::kCorruption);
  csr.indptr = {0, 1, 2};
  csr.indices = {0, 5};
  Status st = csr.Validate(2, "g");
  EXPECT_EQ(st.code(), StatusCode::kOutOfRange);
  EXPECT_NE(st.message().find("column 5"), std::string::npos);
  csr.indices = {0, 1};
  csr.weights = {1.0f};
  EXPECT_EQ(csr.Validate(2, "g").code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace halo::core
