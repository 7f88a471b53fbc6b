#include "ps/shard_map.h"

#include <algorithm>

#include "core/check.h"

namespace halo::ps {

ShardMap::ShardMap(Routing routing, int64_t num_rows, int num_shards)
    : routing_(std::move(routing)), num_rows_(num_rows), num_shards_(num_shards) {
  HALO_CHECK(num_shards_ >= 1) << "num_shards " << num_shards_;
  if (routing_.kind == Routing::Kind::kRanges) {
    const std::vector<int64_t>& off = routing_.offsets;
    HALO_CHECK(off.size() >= 2 && off.front() == 0 && off.back() == num_rows_)
        << "routing offsets do not cover [0, " << num_rows_ << ")";
    std::vector<int64_t> next(static_cast<size_t>(num_shards_), 0);
    range_base_.resize(off.size() - 1);
    for (size_t i = 0; i + 1 < off.size(); ++i) {
      int64_t& base = next[i % static_cast<size_t>(num_shards_)];
      range_base_[i] = base;
      base += off[i + 1] - off[i];
    }
  }
}

size_t ShardMap::RangeOf(int64_t row) const {
  const std::vector<int64_t>& off = routing_.offsets;
  // The last range starting at or before `row` that is not empty.
  const auto it = std::upper_bound(off.begin(), off.end() - 1, row);
  return static_cast<size_t>(it - off.begin()) - 1;
}

int ShardMap::Shard(int64_t row) const {
  if (routing_.kind == Routing::Kind::kModulo) return static_cast<int>(row % num_shards_);
  return static_cast<int>(RangeOf(row) % static_cast<size_t>(num_shards_));
}

int64_t ShardMap::LocalIndex(int64_t row) const {
  if (routing_.kind == Routing::Kind::kModulo) return row / num_shards_;
  const size_t r = RangeOf(row);
  return range_base_[r] + (row - routing_.offsets[r]);
}

int64_t ShardMap::NumLocalRows(int shard) const {
  if (routing_.kind == Routing::Kind::kModulo) {
    if (shard >= num_rows_) return 0;
    return (num_rows_ - shard + num_shards_ - 1) / num_shards_;
  }
  int64_t n = 0;
  const std::vector<int64_t>& off = routing_.offsets;
  for (size_t i = static_cast<size_t>(shard); i + 1 < off.size();
       i += static_cast<size_t>(num_shards_)) {
    n += off[i + 1] - off[i];
  }
  return n;
}

std::vector<int64_t> ShardMap::LocalRows(int shard) const {
  std::vector<int64_t> rows;
  rows.reserve(static_cast<size_t>(NumLocalRows(shard)));
  if (routing_.kind == Routing::Kind::kModulo) {
    for (int64_t r = shard; r < num_rows_; r += num_shards_) rows.push_back(r);
    return rows;
  }
  const std::vector<int64_t>& off = routing_.offsets;
  for (size_t i = static_cast<size_t>(shard); i + 1 < off.size();
       i += static_cast<size_t>(num_shards_)) {
    for (int64_t r = off[i]; r < off[i + 1]; ++r) rows.push_back(r);
  }
  return rows;
}

}  // namespace halo::ps
