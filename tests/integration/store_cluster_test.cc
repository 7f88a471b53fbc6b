// Bundled Cora partitioned into 2 and 4 parts, one halo-store process per part on loopback, read
// through StoreClient and compared byte for byte with the source files: features, labels, masks
// and in-neighbors for random and adversarial ID lists, samples that are true edges with exact
// counts, and stores with memory budgets below the data (same answers, RocksDB misses).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <thread>

#include "storage/store_client.h"
#include "tests/integration/cora_cluster.h"
#include "tests/test_util.h"

namespace halo::testing {
namespace {

using core::StatusCode;

class StoreClusterTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    const int n = GetParam();
    cora_ = PartitionCora(tmp_.File("cora"), n);
    ASSERT_EQ(cora_.meta.num_parts, n);
    ASSERT_EQ(cora_.num_nodes(), 2708);
    // Part 0 reads every feature row from RocksDB; with 4 parts, part 2 holds a few rows in
    // memory and reads the rest from RocksDB; the others hold all their rows.
    std::vector<std::vector<std::string>> flags(static_cast<size_t>(n));
    flags[0] = {"--mem_budget_mb=0"};
    if (n == 4) flags[2] = {"--mem_budget_mb=0.5"};
    stores_ = StartStores(cora_.dir, n, flags);
    ASSERT_FALSE(HasFailure());
    storage::StoreClientOptions opt;
    opt.deadline = kCallDeadline;
    auto client = storage::StoreClient::Create(cora_.meta, Endpoints(stores_), opt);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  // Features, labels and masks of `ids` equal the source's, byte for byte.
  void ExpectRows(const std::vector<int64_t>& ids, const std::string& what) {
    SCOPED_TRACE(what);
    auto x = client_->GetFeatures(ids);
    ASSERT_TRUE(x.ok()) << x.status().ToString();
    const std::vector<float> want = cora_.Features(ids);
    ASSERT_EQ(x->size(), want.size());
    ASSERT_TRUE(want.empty() ||
                std::memcmp(x->data(), want.data(), want.size() * sizeof(float)) == 0);
    auto y = client_->GetLabels(ids);
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    EXPECT_EQ(y.value(), cora_.Labels(ids));
    auto m = client_->GetMasks(ids);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m.value(), cora_.Masks(ids));
  }

  std::vector<int64_t> AllIds() const {
    std::vector<int64_t> ids(static_cast<size_t>(cora_.num_nodes()));
    std::iota(ids.begin(), ids.end(), 0);
    return ids;
  }

  TempDir tmp_;
  CoraPartition cora_;
  std::vector<std::unique_ptr<StoreProcess>> stores_;
  std::unique_ptr<storage::StoreClient> client_;
};

TEST_P(StoreClusterTest, RowsMatchTheSourceFiles) {
  const int64_t n = cora_.num_nodes();
  const core::PartInfo& p1 = cora_.meta.parts[1];
  ExpectRows({}, "empty");
  ExpectRows({5, 5, n - 1, 5, 0, n - 1, p1.node_begin, p1.node_begin}, "duplicates");
  std::mt19937_64 rng(42);
  std::vector<int64_t> one_part(300);
  for (int64_t& id : one_part) {
    id = p1.node_begin + static_cast<int64_t>(rng() % static_cast<uint64_t>(p1.num_inner));
  }
  ExpectRows(one_part, "all from part 1");
  std::vector<int64_t> every = AllIds();
  std::shuffle(every.begin(), every.end(), rng);
  ExpectRows(every, "every node, shuffled");
  std::vector<int64_t> descending = AllIds();
  std::reverse(descending.begin(), descending.end());
  ExpectRows(descending, "every node, descending");
  std::vector<int64_t> random(1000);
  for (int64_t& id : random) id = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
  ExpectRows(random, "random with repeats");
  // Part boundaries.
  std::vector<int64_t> edges;
  for (const core::PartInfo& info : cora_.meta.parts) {
    edges.push_back(info.node_begin);
    edges.push_back(info.node_end - 1);
  }
  ExpectRows(edges, "first and last ID of every part");

  // Out of range: OutOfRange naming the ID, for every kind of request.
  for (int64_t bad : {int64_t{-1}, n, n + 1000}) {
    const std::vector<int64_t> ids = {0, n - 1, bad, 3};
    const std::string needle = "global ID " + std::to_string(bad);
    auto x = client_->GetFeatures(ids);
    ASSERT_EQ(x.status().code(), StatusCode::kOutOfRange) << x.status().ToString();
    EXPECT_NE(x.status().message().find(needle), std::string::npos) << x.status().message();
    EXPECT_EQ(client_->GetLabels(ids).status().code(), StatusCode::kOutOfRange);
    EXPECT_EQ(client_->GetMasks(ids).status().code(), StatusCode::kOutOfRange);
    EXPECT_EQ(client_->GetNeighbors(ids).status().code(), StatusCode::kOutOfRange);
    EXPECT_EQ(client_->SampleNeighbors(ids, 3, false, 1).status().code(), StatusCode::kOutOfRange);
  }

  // Several threads at once through one client.
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 r(static_cast<uint64_t>(100 + t));
      for (int k = 0; k < 10; ++k) {
        std::vector<int64_t> ids(200);
        for (int64_t& id : ids) id = static_cast<int64_t>(r() % static_cast<uint64_t>(n));
        auto x = client_->GetFeatures(ids);
        const std::vector<float> want = cora_.Features(ids);
        if (!x.ok() || std::memcmp(x->data(), want.data(), want.size() * sizeof(float)) != 0) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_P(StoreClusterTest, NeighborsAndSamplesAreTrueEdges) {
  const std::vector<int64_t> every = AllIds();
  auto all = client_->GetNeighbors(every);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->offsets.size(), every.size() + 1);
  for (int64_t v : every) {
    std::vector<int64_t> got(all->neighbors.begin() + all->offsets[static_cast<size_t>(v)],
                             all->neighbors.begin() + all->offsets[static_cast<size_t>(v) + 1]);
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, cora_.InNeighbors(v)) << "in-neighbors of global " << v;
  }
  // Duplicates and order.
  const std::vector<int64_t> dup = {7, 2000, 7, 7};
  auto d = client_->GetNeighbors(dup);
  ASSERT_TRUE(d.ok());
  for (size_t i = 0; i < dup.size(); ++i) {
    std::vector<int64_t> got(d->neighbors.begin() + d->offsets[i],
                             d->neighbors.begin() + d->offsets[i + 1]);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, cora_.InNeighbors(dup[i]));
  }
  auto empty = client_->GetNeighbors({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->offsets, std::vector<int64_t>{0});

  // Samples: only true edges, exact counts, distinct without replacement, deterministic, and
  // the same sample for a repeated ID.
  std::vector<int64_t> seeds = every;
  seeds.push_back(11);
  seeds.push_back(11);
  for (bool replace : {false, true}) {
    for (int fanout : {0, 1, 5}) {
      SCOPED_TRACE("fanout " + std::to_string(fanout) + (replace ? " with" : " without") +
                   " replacement");
      auto s = client_->SampleNeighbors(seeds, fanout, replace, 99);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      for (size_t i = 0; i < seeds.size(); ++i) {
        const std::vector<int64_t> truth = cora_.InNeighbors(seeds[i]);
        std::vector<int64_t> got(s->neighbors.begin() + s->offsets[i],
                                 s->neighbors.begin() + s->offsets[i + 1]);
        const size_t want = replace ? (truth.empty() ? 0 : static_cast<size_t>(fanout))
                                    : std::min(truth.size(), static_cast<size_t>(fanout));
        ASSERT_EQ(got.size(), want) << "seed " << seeds[i];
        for (int64_t u : got) {
          ASSERT_TRUE(std::binary_search(truth.begin(), truth.end(), u))
              << u << " -> " << seeds[i] << " is not an edge";
        }
        if (!replace) {
          std::sort(got.begin(), got.end());
          ASSERT_EQ(std::unique(got.begin(), got.end()), got.end()) << "seed " << seeds[i];
        }
      }
      const size_t a = seeds.size() - 2, b = seeds.size() - 1, first = 11;
      EXPECT_TRUE(std::equal(
          s->neighbors.begin() + s->offsets[a], s->neighbors.begin() + s->offsets[b],
          s->neighbors.begin() + s->offsets[first], s->neighbors.begin() + s->offsets[first + 1]));
      auto again = client_->SampleNeighbors(seeds, fanout, replace, 99);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(again->neighbors, s->neighbors);
    }
  }
  // fanout < 0: every neighbor, as GetNeighbors.
  auto full = client_->SampleNeighbors(every, -1, false, 5);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->neighbors, all->neighbors);
}

TEST_P(StoreClusterTest, MemoryBudgetsBelowTheDataGiveTheSameAnswers) {
  ExpectRows(AllIds(), "every node");
  for (int p = 0; p < GetParam(); ++p) {
    ASSERT_TRUE(client_->Ping(p).ok());
    auto text = client_->Stats(p);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    const nlohmann::json stats = nlohmann::json::parse(text.value());
    const core::PartInfo& info = cora_.meta.parts[static_cast<size_t>(p)];
    SCOPED_TRACE("part " + std::to_string(p) + " stats " + text.value());
    EXPECT_EQ(stats["part"], p);
    EXPECT_EQ(stats["node_begin"], info.node_begin);
    EXPECT_EQ(stats["node_end"], info.node_end);
    EXPECT_EQ(stats["feature_dim"], 1433);
    EXPECT_GE(stats["requests"]["GetFeatures"].get<int64_t>(), 1);
    EXPECT_EQ(stats["requests"]["errors"], 0);
    EXPECT_EQ(stats["hits"].get<int64_t>() + stats["misses"].get<int64_t>(), info.num_inner);
    if (p == 0) {  // --mem_budget_mb=0
      EXPECT_EQ(stats["hot_rows"], 0);
      EXPECT_EQ(stats["misses"], info.num_inner);
      EXPECT_GT(stats["rocksdb_keys"].get<int64_t>(), 0);
    } else if (p == 2 && GetParam() == 4) {  // --mem_budget_mb=0.5: some rows hot
      EXPECT_GT(stats["hits"].get<int64_t>(), 0);
      EXPECT_GT(stats["misses"].get<int64_t>(), 0);
    } else {
      EXPECT_TRUE(stats["all_hot"].get<bool>());
      EXPECT_EQ(stats["misses"], 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cora, StoreClusterTest, ::testing::Values(2, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::to_string(info.param) + "parts";
                         });

}  // namespace
}  // namespace halo::testing
