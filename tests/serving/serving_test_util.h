// Test helpers of tests/serving: deterministic embedding data, a store written from it in shuffled
// batches, and the naive top-k reference the similarity index is checked against.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "serving/embedding_store.h"
#include "serving/similarity_index.h"

namespace halo::testing {

// The rows of a store: row i = global ID i.
struct EmbeddingData {
  int64_t num_nodes = 0, dim = 0, num_classes = 0;
  std::vector<float> embeddings;  // num_nodes x dim
  std::vector<float> logits;      // num_nodes x num_classes (empty without classes)
  std::vector<int64_t> node_map;  // global -> original (empty: none)
  std::string version;

  const float* row(int64_t id) const { return embeddings.data() + id * dim; }
};

// Gaussian rows; with `clusters` > 0, each row is one of `clusters` random centers plus noise of
// `noise` standard deviation (the data IVF is meant for). The node map (if asked) sends global g
// to 1000 + 7 * (a shuffled g).
inline EmbeddingData MakeData(int64_t n, int64_t dim, int64_t classes, uint64_t seed,
                              bool node_map = true, int64_t clusters = 0, float noise = 0.1f) {
  EmbeddingData d;
  d.num_nodes = n;
  d.dim = dim;
  d.num_classes = classes;
  d.version = "v-seed" + std::to_string(seed);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  d.embeddings.resize(static_cast<size_t>(n * dim));
  if (clusters > 0) {
    std::vector<float> centers(static_cast<size_t>(clusters * dim));
    for (float& c : centers) c = normal(rng);
    std::uniform_int_distribution<int64_t> pick(0, clusters - 1);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = pick(rng);
      for (int64_t j = 0; j < dim; ++j) {
        d.embeddings[static_cast<size_t>(i * dim + j)] =
            centers[static_cast<size_t>(c * dim + j)] + noise * normal(rng);
      }
    }
  } else {
    for (float& x : d.embeddings) x = normal(rng);
  }
  d.logits.resize(static_cast<size_t>(n * classes));
  for (float& x : d.logits) x = normal(rng);
  if (node_map) {
    std::vector<int64_t> perm(static_cast<size_t>(n));
    std::iota(perm.begin(), perm.end(), int64_t{0});
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int64_t p : perm) d.node_map.push_back(1000 + 7 * p);
  }
  return d;
}

inline int64_t ArgMax(const float* row, int64_t n) { return std::max_element(row, row + n) - row; }

// Writes `d` to `dir` through EmbeddingStoreWriter: IDs in a shuffled order, in batches of
// varying size, logits (when any) with explicit predictions for every other batch.
inline void WriteStore(const std::string& dir, const EmbeddingData& d, bool overwrite = false,
                       size_t buffer_bytes = size_t{256} << 20) {
  serving::EmbeddingStoreOptions opt;
  opt.dim = d.dim;
  opt.num_nodes = d.num_nodes;
  opt.num_classes = d.num_classes;
  opt.version = d.version;
  opt.overwrite = overwrite;
  opt.buffer_bytes = buffer_bytes;
  opt.model = {{"model", "test"}, {"layers", "2"}};
  auto writer = serving::EmbeddingStoreWriter::Create(dir, opt);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  std::vector<int64_t> order(static_cast<size_t>(d.num_nodes));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::mt19937_64 rng(static_cast<uint64_t>(d.num_nodes) * 31 + 7);
  std::shuffle(order.begin(), order.end(), rng);
  size_t pos = 0;
  int batch_no = 0;
  while (pos < order.size()) {
    const size_t n = std::min(order.size() - pos, size_t{1} + rng() % 97);
    std::vector<int64_t> ids(order.begin() + static_cast<long>(pos),
                             order.begin() + static_cast<long>(pos + n));
    std::vector<float> emb, logits;
    std::vector<int64_t> pred;
    for (int64_t id : ids) {
      emb.insert(emb.end(), d.row(id), d.row(id) + d.dim);
      const float* l = d.logits.data() + id * d.num_classes;
      logits.insert(logits.end(), l, l + d.num_classes);
      pred.push_back(ArgMax(l, d.num_classes));
    }
    const bool with_pred = d.num_classes > 0 && batch_no % 2 == 0;
    core::Status s =
        writer.value()->Add(ids.data(), n, emb.data(), d.num_classes > 0 ? logits.data() : nullptr,
                            with_pred ? pred.data() : nullptr);
    ASSERT_TRUE(s.ok()) << s.ToString();
    pos += n;
    ++batch_no;
  }
  if (!d.node_map.empty()) {
    core::Status s = writer.value()->SetNodeMap(d.node_map);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  core::Status s = writer.value()->Finish();
  ASSERT_TRUE(s.ok()) << s.ToString();
}

// Naive similarity of rows a and b under `metric`, in double precision (higher = closer; for L2
// the negated squared distance).
inline double NaiveScore(const float* a, const float* b, int64_t dim, serving::Metric metric) {
  double dot = 0, na = 0, nb = 0, l2 = 0;
  for (int64_t j = 0; j < dim; ++j) {
    dot += static_cast<double>(a[j]) * b[j];
    na += static_cast<double>(a[j]) * a[j];
    nb += static_cast<double>(b[j]) * b[j];
    const double diff = static_cast<double>(a[j]) - b[j];
    l2 += diff * diff;
  }
  switch (metric) {
    case serving::Metric::kCosine:
      return dot / std::sqrt(na * nb);
    case serving::Metric::kInnerProduct:
      return dot;
    case serving::Metric::kL2:
      return -l2;
  }
  return 0;
}

// The k best rows for row `query` (itself excluded) by a loop over every row.
inline std::vector<int64_t> NaiveTopK(const EmbeddingData& d, int64_t query, int64_t k,
                                      serving::Metric metric) {
  std::vector<std::pair<double, int64_t>> all;
  for (int64_t i = 0; i < d.num_nodes; ++i) {
    if (i != query) all.push_back({-NaiveScore(d.row(query), d.row(i), d.dim, metric), i});
  }
  const size_t kk = std::min(all.size(), static_cast<size_t>(k));
  std::partial_sort(all.begin(), all.begin() + static_cast<long>(kk), all.end());
  std::vector<int64_t> out;
  for (size_t i = 0; i < kk; ++i) out.push_back(all[i].second);
  return out;
}

// Expects `got` to be the exact top-k `want`, ties aside: where the IDs differ, their reference
// scores must agree within `tol`.
inline void ExpectSameTopK(const EmbeddingData& d, int64_t query, const std::vector<int64_t>& got,
                           const std::vector<int64_t>& want, serving::Metric metric,
                           double tol = 1e-5) {
  ASSERT_EQ(got.size(), want.size()) << "query " << query;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] == want[i]) continue;
    const double a = NaiveScore(d.row(query), d.row(got[i]), d.dim, metric);
    const double b = NaiveScore(d.row(query), d.row(want[i]), d.dim, metric);
    EXPECT_NEAR(a, b, tol) << "query " << query << " rank " << i << ": got " << got[i] << ", want "
                           << want[i];
  }
}

}  // namespace halo::testing
