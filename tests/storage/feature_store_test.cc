#include "storage/feature_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "storage/part_store_writer.h"
#include "tests/test_util.h"

namespace halo::storage {
namespace {

using core::StatusCode;

// A random part: rows node_begin .. node_begin + n - 1.
struct Rows {
  core::NodeId begin = 1000;
  int64_t n = 5000;
  int64_t dim = 16;
  std::vector<float> features;
  std::vector<int64_t> labels;
  std::vector<uint8_t> train, val, test;

  explicit Rows(uint32_t seed, int64_t rows = 5000, int64_t d = 16) : n(rows), dim(d) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> x;
    features.resize(static_cast<size_t>(n * dim));
    for (float& f : features) f = x(rng);
    for (int64_t i = 0; i < n; ++i) {
      labels.push_back(static_cast<int64_t>(rng() % 10) - 1);
      train.push_back(rng() % 2);
      val.push_back(rng() % 2);
      test.push_back(rng() % 2);
    }
  }
  PartStoreData Data() const {
    PartStoreData d;
    d.node_begin = begin;
    d.num_rows = n;
    d.feature_dim = dim;
    d.features = features.data();
    d.labels = labels.data();
    d.train_mask = train.data();
    d.val_mask = val.data();
    d.test_mask = test.data();
    return d;
  }
  size_t row_bytes() const { return static_cast<size_t>(dim) * sizeof(float); }
  const float* row(core::NodeId id) const { return features.data() + (id - begin) * dim; }
};

std::unique_ptr<FeatureStore> OpenOk(const std::string& dir, const FeatureStoreOptions& opt) {
  auto s = FeatureStore::Open(dir, opt);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

// Checks features, labels and masks of `ids` against `rows` byte for byte.
void ExpectRows(const FeatureStore& store, const Rows& rows, const std::vector<int64_t>& ids) {
  std::vector<float> out(ids.size() * static_cast<size_t>(rows.dim), -7.0f);
  ASSERT_TRUE(store.GetFeatures(ids.data(), ids.size(), out.data()).ok());
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_EQ(std::memcmp(out.data() + i * rows.dim, rows.row(ids[i]), rows.row_bytes()), 0)
        << "row " << i << " id " << ids[i];
  }
  std::vector<int64_t> labels(ids.size(), -9);
  ASSERT_TRUE(store.GetLabels(ids.data(), ids.size(), labels.data()).ok());
  std::vector<uint8_t> masks(ids.size() * 3, 9);
  ASSERT_TRUE(store.GetMasks(ids.data(), ids.size(), masks.data()).ok());
  for (size_t i = 0; i < ids.size(); ++i) {
    const size_t r = static_cast<size_t>(ids[i] - rows.begin);
    ASSERT_EQ(labels[i], rows.labels[r]) << ids[i];
    ASSERT_EQ(masks[3 * i], rows.train[r]);
    ASSERT_EQ(masks[3 * i + 1], rows.val[r]);
    ASSERT_EQ(masks[3 * i + 2], rows.test[r]);
  }
}

std::vector<int64_t> RandomIds(const Rows& rows, size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int64_t> ids(count);
  for (auto& id : ids) id = rows.begin + static_cast<int64_t>(rng() % rows.n);
  return ids;
}

// Budget (MiB) that holds `hot` feature rows plus the slot index.
double BudgetFor(const Rows& rows, int64_t hot) {
  return static_cast<double>(rows.n * 4 + hot * static_cast<int64_t>(rows.row_bytes())) /
         (1024.0 * 1024.0);
}

class FeatureStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.File("store");
    const core::Status s = WritePartStore(dir_, rows_.Data());
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  halo::testing::TempDir tmp_;
  Rows rows_{7};
  std::string dir_;
};

TEST_F(FeatureStoreTest, AllHotReadsBackByteForByte) {
  auto store = OpenOk(dir_, {});
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->node_begin(), 1000);
  EXPECT_EQ(store->node_end(), 6000);
  EXPECT_EQ(store->num_rows(), 5000);
  EXPECT_EQ(store->feature_dim(), 16);
  EXPECT_TRUE(store->has_features() && store->has_labels() && store->has_masks());
  EXPECT_TRUE(store->all_hot());

  std::vector<int64_t> all(static_cast<size_t>(rows_.n));
  std::iota(all.begin(), all.end(), rows_.begin);
  ExpectRows(*store, rows_, all);
  std::vector<int64_t> random = RandomIds(rows_, 3000, 1);
  random.push_back(random[0]);  // duplicates
  random.push_back(random[0]);
  ExpectRows(*store, rows_, random);
  ExpectRows(*store, rows_, {});  // empty request
  ASSERT_TRUE(store->GetFeatures(nullptr, 0, nullptr).ok());

  const FeatureStoreStats st = store->Stats();
  EXPECT_EQ(st.hot_rows, rows_.n);
  EXPECT_EQ(st.hits, static_cast<int64_t>(all.size() + random.size()));
  EXPECT_EQ(st.misses, 0);
  EXPECT_EQ(st.rocksdb_keys, 0);
}

TEST_F(FeatureStoreTest, OutOfRangeNamesTheFirstBadId) {
  for (double budget : {1024.0, 0.0}) {
    FeatureStoreOptions opt;
    opt.mem_budget_mb = budget;
    auto store = OpenOk(dir_, opt);
    ASSERT_NE(store, nullptr);
    for (int64_t bad : {int64_t{999}, int64_t{6000}, int64_t{-1}, int64_t{1} << 40}) {
      std::vector<int64_t> ids = {1000, 5999, bad, 998};
      std::vector<float> out(ids.size() * 16, 3.0f);
      core::Status s = store->GetFeatures(ids.data(), ids.size(), out.data());
      EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
      EXPECT_NE(s.message().find("global ID " + std::to_string(bad)), std::string::npos)
          << s.message();
      EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](float f) { return f == 3.0f; }));
      std::vector<int64_t> labels(ids.size());
      EXPECT_EQ(store->GetLabels(ids.data(), ids.size(), labels.data()).code(),
                StatusCode::kOutOfRange);
      std::vector<uint8_t> masks(ids.size() * 3);
      EXPECT_EQ(store->GetMasks(ids.data(), ids.size(), masks.data()).code(),
                StatusCode::kOutOfRange);
    }
  }
}

TEST_F(FeatureStoreTest, PartialHotSetGivesIdenticalAnswers) {
  FeatureStoreOptions opt;
  opt.mem_budget_mb = BudgetFor(rows_, rows_.n / 10);  // 10% of rows hot
  auto store = OpenOk(dir_, opt);
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(store->all_hot());
  FeatureStoreStats st = store->Stats();
  EXPECT_EQ(st.hot_rows, rows_.n / 10);
  EXPECT_LE(static_cast<double>(st.hot_bytes), opt.mem_budget_mb * 1024 * 1024);

  std::vector<int64_t> ids = RandomIds(rows_, 4000, 2);
  ids.insert(ids.end(), {1000, 1000, 5999, 5999, 1001});  // hot (lowest IDs) and cold duplicates
  ExpectRows(*store, rows_, ids);
  st = store->Stats();
  EXPECT_EQ(st.hits + st.misses, static_cast<int64_t>(ids.size()));
  EXPECT_GT(st.hits, 200);     // ~10% of 4000
  EXPECT_GT(st.misses, 3000);  // ~90%
  EXPECT_GT(st.multiget_calls, 0);
  // Duplicated cold IDs are fetched once: fewer keys than misses.
  EXPECT_LT(st.rocksdb_keys, st.misses);

  // Without degrees, the lowest IDs are hot.
  const int64_t before = store->Stats().hits;
  std::vector<int64_t> first_rows(static_cast<size_t>(rows_.n / 10));
  std::iota(first_rows.begin(), first_rows.end(), rows_.begin);
  std::vector<float> out(first_rows.size() * 16);
  ASSERT_TRUE(store->GetFeatures(first_rows.data(), first_rows.size(), out.data()).ok());
  EXPECT_EQ(store->Stats().hits - before, static_cast<int64_t>(first_rows.size()));
}

TEST_F(FeatureStoreTest, ZeroBudgetReadsEverythingFromRocksDb) {
  FeatureStoreOptions opt;
  opt.mem_budget_mb = 0;
  opt.labels_in_memory = false;
  opt.block_cache_mb = 0;
  auto store = OpenOk(dir_, opt);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Stats().hot_rows, 0);
  EXPECT_EQ(store->Stats().hot_bytes, 0);
  std::vector<int64_t> all(static_cast<size_t>(rows_.n));
  std::iota(all.begin(), all.end(), rows_.begin);
  std::shuffle(all.begin(), all.end(), std::mt19937(3));
  ExpectRows(*store, rows_, all);
  ExpectRows(*store, rows_, RandomIds(rows_, 777, 4));
  const FeatureStoreStats st = store->Stats();
  EXPECT_EQ(st.hits, 0);
  EXPECT_EQ(st.misses, rows_.n + 777);
  // Features, labels and masks each went to RocksDB.
  EXPECT_GE(st.rocksdb_keys, 3 * rows_.n);
}

TEST_F(FeatureStoreTest, InDegreeRankingPicksTheTopRows) {
  std::vector<int64_t> degree(static_cast<size_t>(rows_.n));
  std::mt19937 rng(5);
  for (auto& d : degree) d = static_cast<int64_t>(rng() % 50);  // many ties
  const int64_t k = 321;
  FeatureStoreOptions opt;
  opt.mem_budget_mb = BudgetFor(rows_, k);
  opt.in_degree = degree;
  auto store = OpenOk(dir_, opt);
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(store->Stats().hot_rows, k);
  // Expected hot set: the k rows first by (degree desc, row asc).
  std::vector<int64_t> order(static_cast<size_t>(rows_.n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return degree[a] != degree[b] ? degree[a] > degree[b] : a < b;
  });
  std::vector<bool> hot(static_cast<size_t>(rows_.n), false);
  for (int64_t i = 0; i < k; ++i) hot[static_cast<size_t>(order[i])] = true;
  float out[16];
  for (int64_t r = 0; r < rows_.n; ++r) {
    const int64_t id = rows_.begin + r;
    const int64_t hits = store->Stats().hits;
    ASSERT_TRUE(store->GetFeatures(&id, 1, out).ok());
    ASSERT_EQ(store->Stats().hits - hits, hot[static_cast<size_t>(r)] ? 1 : 0) << "row " << r;
    ASSERT_EQ(std::memcmp(out, rows_.row(id), sizeof(out)), 0);
  }
  // A degree vector of the wrong size is refused.
  opt.in_degree.pop_back();
  auto bad = FeatureStore::Open(dir_, opt);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FeatureStoreTest, ConcurrentReadersAgree) {
  FeatureStoreOptions opt;
  opt.mem_budget_mb = BudgetFor(rows_, rows_.n / 4);
  opt.labels_in_memory = false;
  auto store = OpenOk(dir_, opt);
  ASSERT_NE(store, nullptr);
  // A second store on the same directory at the same time (read-only opens share it).
  auto all_hot = OpenOk(dir_, {});
  ASSERT_NE(all_hot, nullptr);
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> a, b;
      std::vector<int64_t> la;
      for (int iter = 0; iter < 40; ++iter) {
        std::vector<int64_t> ids = RandomIds(rows_, 500, static_cast<uint32_t>(100 * t + iter));
        a.assign(ids.size() * 16, 0);
        b.assign(ids.size() * 16, 1);
        la.assign(ids.size(), -5);
        if (!store->GetFeatures(ids.data(), ids.size(), a.data()).ok() ||
            !all_hot->GetFeatures(ids.data(), ids.size(), b.data()).ok() ||
            !store->GetLabels(ids.data(), ids.size(), la.data()).ok()) {
          ++failures[t];
          continue;
        }
        for (size_t i = 0; i < ids.size(); ++i) {
          if (std::memcmp(a.data() + i * 16, rows_.row(ids[i]), rows_.row_bytes()) != 0 ||
              std::memcmp(b.data() + i * 16, rows_.row(ids[i]), rows_.row_bytes()) != 0 ||
              la[i] != rows_.labels[static_cast<size_t>(ids[i] - rows_.begin)]) {
            ++failures[t];
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
  const FeatureStoreStats st = store->Stats();
  EXPECT_EQ(st.hits + st.misses, 4 * 40 * 500);
  EXPECT_GT(st.hits, 0);
  EXPECT_GT(st.misses, 0);
}

TEST(FeatureStoreKinds, AbsentKindsAreFailedPrecondition) {
  halo::testing::TempDir tmp;
  Rows rows(9, 100, 4);
  PartStoreData d = rows.Data();
  d.labels = nullptr;
  d.train_mask = nullptr;
  d.test_mask = nullptr;  // only val
  ASSERT_TRUE(WritePartStore(tmp.File("a"), d).ok());
  auto store = OpenOk(tmp.File("a"), {});
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(store->has_labels());
  EXPECT_TRUE(store->has_masks());
  const int64_t ids[] = {1000, 1099, 1050};
  int64_t labels[3];
  EXPECT_EQ(store->GetLabels(ids, 3, labels).code(), StatusCode::kFailedPrecondition);
  uint8_t masks[9];
  ASSERT_TRUE(store->GetMasks(ids, 3, masks).ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(masks[3 * i], 0);
    EXPECT_EQ(masks[3 * i + 1], rows.val[static_cast<size_t>(ids[i] - 1000)]);
    EXPECT_EQ(masks[3 * i + 2], 0);
  }

  // No features at all.
  d = rows.Data();
  d.feature_dim = 0;
  d.features = nullptr;
  ASSERT_TRUE(WritePartStore(tmp.File("b"), d).ok());
  store = OpenOk(tmp.File("b"), {});
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(store->has_features());
  EXPECT_EQ(store->feature_dim(), 0);
  float f[1];
  EXPECT_EQ(store->GetFeatures(ids, 3, f).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->GetLabels(ids, 3, labels).ok());
  EXPECT_EQ(labels[1], rows.labels[99]);
}

TEST(FeatureStoreKinds, EmptyPart) {
  halo::testing::TempDir tmp;
  PartStoreData d;
  d.node_begin = 10;
  d.feature_dim = 8;
  ASSERT_TRUE(WritePartStore(tmp.File("empty"), d).ok());
  auto store = OpenOk(tmp.File("empty"), {});
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->num_rows(), 0);
  EXPECT_TRUE(store->GetFeatures(nullptr, 0, nullptr).ok());
  const int64_t id = 10;
  float out[8];
  EXPECT_EQ(store->GetFeatures(&id, 1, out).code(), StatusCode::kOutOfRange);
}

TEST(PartStoreWriter, RefusesBadInputs) {
  halo::testing::TempDir tmp;
  Rows rows(11, 10, 2);
  ASSERT_TRUE(WritePartStore(tmp.File("s"), rows.Data()).ok());
  // Not empty any more.
  EXPECT_EQ(WritePartStore(tmp.File("s"), rows.Data()).code(), StatusCode::kAlreadyExists);
  PartStoreData d = rows.Data();
  d.features = nullptr;
  EXPECT_EQ(WritePartStore(tmp.File("t"), d).code(), StatusCode::kInvalidArgument);
  d = rows.Data();
  d.node_begin = -5;
  EXPECT_EQ(WritePartStore(tmp.File("u"), d).code(), StatusCode::kInvalidArgument);
  // The ingest staging folder is gone; the directory is a RocksDB database.
  EXPECT_FALSE(std::ifstream(tmp.File("s/ingest-tmp/features.sst")).good());
  EXPECT_TRUE(std::ifstream(tmp.File("s/CURRENT")).good());
}

TEST(FeatureStoreOpen, MissingDirectoryIsAnError) {
  halo::testing::TempDir tmp;
  auto s = FeatureStore::Open(tmp.File("nope"), {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace halo::storage
