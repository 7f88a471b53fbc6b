// SimilarityIndex against a naive loop over every row: the flat index gives exactly the top k
// (ties aside) for cosine, inner product and L2; IVF keeps recall@10 >= 0.9 on clustered data;
// the query row is never in its own answer; auto picks by size.
#include "serving/similarity_index.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/serving/serving_test_util.h"

namespace halo::testing {
namespace {

using serving::IndexType;
using serving::Metric;
using serving::Neighbor;
using serving::SimilarityIndex;
using serving::SimilarityOptions;

std::vector<int64_t> Ids(const std::vector<Neighbor>& v) {
  std::vector<int64_t> out;
  for (const Neighbor& n : v) out.push_back(n.id);
  return out;
}

class FlatIndex : public ::testing::TestWithParam<Metric> {};

TEST_P(FlatIndex, EqualsNaiveTopK) {
  const Metric metric = GetParam();
  const EmbeddingData d = MakeData(2000, 32, 0, 21, false);
  SimilarityOptions opt;
  opt.metric = metric;
  opt.type = IndexType::kFlat;
  auto index = SimilarityIndex::Build(d.embeddings.data(), d.num_nodes, d.dim, opt);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ(index.value()->type(), IndexType::kFlat);
  for (int64_t q = 0; q < d.num_nodes; q += 67) {
    std::vector<Neighbor> top;
    ASSERT_TRUE(index.value()->SearchById(q, 10, &top).ok());
    const std::vector<int64_t> got = Ids(top);
    ExpectSameTopK(d, q, got, NaiveTopK(d, q, 10, metric), metric);
    EXPECT_EQ(std::count(got.begin(), got.end(), q), 0) << "query " << q << " in its own answer";
    // Scores are the metric's values, best first.
    for (size_t i = 0; i < top.size(); ++i) {
      const double want = NaiveScore(d.row(q), d.row(top[i].id), d.dim, metric);
      EXPECT_NEAR(metric == Metric::kL2 ? -top[i].score : top[i].score, want,
                  1e-4 * std::max(1.0, std::abs(want)));
      if (i > 0 && metric != Metric::kL2) {
        EXPECT_GE(top[i - 1].score, top[i].score);
      }
      if (i > 0 && metric == Metric::kL2) {
        EXPECT_LE(top[i - 1].score, top[i].score);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllMetrics, FlatIndex,
                         ::testing::Values(Metric::kCosine, Metric::kInnerProduct, Metric::kL2),
                         [](const auto& info) { return serving::MetricName(info.param); });

TEST(IvfIndex, RecallAt10OnClusteredData) {
  const EmbeddingData d = MakeData(20000, 32, 0, 22, false, /*clusters=*/200, /*noise=*/1.0f);
  for (Metric metric : {Metric::kCosine, Metric::kL2}) {
    SimilarityOptions opt;
    opt.metric = metric;
    opt.type = IndexType::kIvf;
    opt.nprobe = 16;
    auto index = SimilarityIndex::Build(d.embeddings.data(), d.num_nodes, d.dim, opt);
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    EXPECT_EQ(index.value()->type(), IndexType::kIvf);
    EXPECT_EQ(index.value()->nlist(), 141);  // round(sqrt(20000))
    EXPECT_EQ(index.value()->nprobe(), 16);
    int64_t hits = 0, total = 0;
    for (int64_t q = 0; q < d.num_nodes; q += 199) {
      std::vector<Neighbor> top;
      ASSERT_TRUE(index.value()->SearchById(q, 10, &top).ok());
      const std::vector<int64_t> want = NaiveTopK(d, q, 10, metric);
      const std::set<int64_t> want_set(want.begin(), want.end());
      for (const Neighbor& n : top) {
        EXPECT_NE(n.id, q);
        hits += want_set.count(n.id);
      }
      total += 10;
    }
    const double recall = static_cast<double>(hits) / static_cast<double>(total);
    EXPECT_GE(recall, 0.9) << serving::MetricName(metric);
    RecordProperty(std::string("recall_") + serving::MetricName(metric), std::to_string(recall));
  }
}

TEST(SimilarityIndex, AutoPicksByRowCount) {
  const EmbeddingData d = MakeData(500, 8, 0, 23, false);
  SimilarityOptions opt;  // auto
  opt.ivf_threshold = 501;
  auto flat = SimilarityIndex::Build(d.embeddings.data(), d.num_nodes, d.dim, opt);
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat.value()->type(), IndexType::kFlat);
  EXPECT_EQ(flat.value()->nlist(), 0);
  opt.ivf_threshold = 500;
  opt.nprobe = 1000;  // clamped to nlist
  auto ivf = SimilarityIndex::Build(d.embeddings.data(), d.num_nodes, d.dim, opt);
  ASSERT_TRUE(ivf.ok()) << ivf.status().ToString();
  EXPECT_EQ(ivf.value()->type(), IndexType::kIvf);
  EXPECT_EQ(ivf.value()->nlist(), 22);
  EXPECT_EQ(ivf.value()->nprobe(), 22);
  // Probing every cell makes IVF exact.
  for (int64_t q : {0, 77, 499}) {
    std::vector<Neighbor> top;
    ASSERT_TRUE(ivf.value()->SearchById(q, 5, &top).ok());
    ExpectSameTopK(d, q, Ids(top), NaiveTopK(d, q, 5, Metric::kCosine), Metric::kCosine);
  }
}

TEST(SimilarityIndex, SmallStoresAndBadQueries) {
  const EmbeddingData d = MakeData(4, 3, 0, 24, false);
  auto index = SimilarityIndex::Build(d.embeddings.data(), d.num_nodes, d.dim, {});
  ASSERT_TRUE(index.ok());
  std::vector<Neighbor> top;
  ASSERT_TRUE(index.value()->SearchById(2, 10, &top).ok());
  EXPECT_EQ(top.size(), 3u);  // every other row
  ExpectSameTopK(d, 2, Ids(top), NaiveTopK(d, 2, 10, Metric::kCosine), Metric::kCosine);
  EXPECT_EQ(index.value()->SearchById(4, 1, &top).code(), core::StatusCode::kNotFound);
  EXPECT_EQ(index.value()->SearchById(-1, 1, &top).code(), core::StatusCode::kNotFound);
  EXPECT_EQ(index.value()->SearchById(0, 0, &top).code(), core::StatusCode::kInvalidArgument);
  // A free query vector, nothing excluded: the row itself comes first.
  ASSERT_TRUE(index.value()->Search(d.row(1), 1, -1, &top).ok());
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].id, 1);
  EXPECT_NEAR(top[0].score, 1.0f, 1e-5);

  EXPECT_FALSE(SimilarityIndex::Build(nullptr, 0, 3, {}).ok());
  SimilarityOptions bad;
  bad.nprobe = 0;
  EXPECT_FALSE(SimilarityIndex::Build(d.embeddings.data(), 4, 3, bad).ok());
}

TEST(SimilarityIndex, ParseNames) {
  EXPECT_EQ(serving::ParseMetric("cosine").value(), Metric::kCosine);
  EXPECT_EQ(serving::ParseMetric("ip").value(), Metric::kInnerProduct);
  EXPECT_EQ(serving::ParseMetric("l2").value(), Metric::kL2);
  EXPECT_FALSE(serving::ParseMetric("dot").ok());
  EXPECT_EQ(serving::ParseIndexType("auto").value(), IndexType::kAuto);
  EXPECT_EQ(serving::ParseIndexType("flat").value(), IndexType::kFlat);
  EXPECT_EQ(serving::ParseIndexType("ivf").value(), IndexType::kIvf);
  EXPECT_FALSE(serving::ParseIndexType("hnsw").ok());
}

}  // namespace
}  // namespace halo::testing
