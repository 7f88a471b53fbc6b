// RowCache: hits return exactly the inserted row, a colliding ID replaces a slot's row (never
// returns another ID's row), capacity 0 never hits, and concurrent use stays consistent.
#include "storage/row_cache.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace halo::storage {
namespace {

std::vector<float> RowOf(int64_t id, int64_t dim) {
  std::vector<float> row(static_cast<size_t>(dim));
  for (int64_t c = 0; c < dim; ++c) row[static_cast<size_t>(c)] = static_cast<float>(id * 10 + c);
  return row;
}

TEST(RowCacheTest, HitsReturnTheInsertedRowAndCollisionsNeverMixRows) {
  constexpr int64_t kDim = 5;
  RowCache cache(/*capacity_rows=*/8, kDim);  // far fewer slots than IDs: many collisions
  std::vector<float> out(kDim);
  EXPECT_FALSE(cache.Lookup(3, out.data()));
  for (int64_t id = 0; id < 100; ++id) cache.Insert(id, RowOf(id, kDim).data());
  int hits = 0;
  for (int64_t id = 0; id < 100; ++id) {
    if (cache.Lookup(id, out.data())) {
      ++hits;
      EXPECT_EQ(out, RowOf(id, kDim)) << id;
    }
  }
  EXPECT_GT(hits, 0);
  EXPECT_LE(hits, 8);
  EXPECT_EQ(cache.hits(), hits);
}

TEST(RowCacheTest, ZeroCapacityNeverHits) {
  RowCache cache(0, 4);
  const std::vector<float> row = RowOf(1, 4);
  cache.Insert(1, row.data());
  std::vector<float> out(4);
  EXPECT_FALSE(cache.Lookup(1, out.data()));
}

TEST(RowCacheTest, ConcurrentInsertsAndLookupsStayConsistent) {
  constexpr int64_t kDim = 16;
  RowCache cache(1024, kDim);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> out(kDim);
      for (int64_t i = 0; i < 20000; ++i) {
        const int64_t id = (i * 7 + t * 13) % 3000;
        if (cache.Lookup(id, out.data())) {
          EXPECT_EQ(out, RowOf(id, kDim));
        } else {
          cache.Insert(id, RowOf(id, kDim).data());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(cache.hits(), 0);
}

}  // namespace
}  // namespace halo::storage
