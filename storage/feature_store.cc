#include "storage/feature_store.h"

#include <rocksdb/iterator.h>
#include <rocksdb/slice.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <utility>

#include "storage/rocks_part.h"
#include "storage/store_format.h"

namespace halo::storage {

using core::NodeId;
using core::Result;
using core::Status;
using internal::Cf;
using internal::FromRocks;
using internal::RocksPart;

namespace {

// Keys per MultiGet call: bounds the blocks pinned at once.
constexpr size_t kMultiGetChunk = 512;

// Rows back to back, 64-byte aligned (a 512-byte row then spans 8 cache lines, not 9) and not
// zero-filled (every byte is written by the loader).
class RowBuffer {
 public:
  void Allocate(size_t bytes) {
    data_.reset(bytes == 0 ? nullptr
                           : static_cast<char*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64)));
    size_ = data_ != nullptr ? bytes : 0;
  }
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> data_;
  size_t size_ = 0;
};

// The rows of one kind: which of them are in memory and where.
struct Column {
  enum class Mode { kAll, kPartial, kNone };
  Cf cf = Cf::kFeatures;
  const char* name = "";
  bool present = false;
  size_t row_bytes = 0;
  Mode mode = Mode::kNone;
  RowBuffer hot;              // hot rows back to back (kAll: row r at r * row_bytes)
  std::vector<int32_t> slot;  // kPartial: slot of each row in `hot`, -1 = cold
  int64_t hot_rows = 0;
};

Column MakeColumn(Cf cf, const char* name, bool present, size_t row_bytes) {
  Column c;
  c.cf = cf;
  c.name = name;
  c.present = present;
  c.row_bytes = row_bytes;
  return c;
}

}  // namespace

class FeatureStore::Impl {
 public:
  std::unique_ptr<RocksPart> db;
  StoreMeta meta;
  Column features, labels, masks;
  mutable std::atomic<int64_t> hits{0}, misses{0}, rocksdb_keys{0}, multiget_calls{0};

  Status CheckIds(const int64_t* ids, size_t n) const;
  // Copies the rows of `ids` (checked) of `col` into `out` (n * row_bytes).
  Status Gather(const Column& col, const int64_t* ids, size_t n, char* out, bool count_hits) const;
  // Reads rows (sorted ascending, distinct, in range) from RocksDB; `sink(i, value)` receives
  // the value of rows[i].
  template <typename Sink>
  Status Fetch(const Column& col, const int64_t* rows, size_t count, Sink&& sink) const;
  Status AllocateHot(Column* col, size_t rows);
  // Loads every row of `col` by scanning its column family in key order.
  Status LoadAll(Column* col);
  // Loads the given rows (ascending) of `col` into its hot array (slots in that order).
  Status LoadPartial(Column* col, const std::vector<int64_t>& rows);
};

Status FeatureStore::Impl::CheckIds(const int64_t* ids, size_t n) const {
  const NodeId begin = meta.node_begin, end = meta.node_end();
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < begin || ids[i] >= end) {
      return Status::OutOfRange("global ID " + std::to_string(ids[i]) + " (position " +
                                std::to_string(i) + ") is not in part store range [" +
                                std::to_string(begin) + ", " + std::to_string(end) + ") of " +
                                db->dir());
    }
  }
  return Status::OK();
}

template <typename Sink>
Status FeatureStore::Impl::Fetch(const Column& col, const int64_t* rows, size_t count,
                                 Sink&& sink) const {
  rocksdb::ReadOptions ro;
  std::vector<char> key_bytes(kMultiGetChunk * kKeySize);
  std::vector<rocksdb::Slice> keys(kMultiGetChunk);
  std::vector<rocksdb::PinnableSlice> values(kMultiGetChunk);
  std::vector<rocksdb::Status> statuses(kMultiGetChunk);
  for (size_t start = 0; start < count; start += kMultiGetChunk) {
    const size_t m = std::min(kMultiGetChunk, count - start);
    for (size_t j = 0; j < m; ++j) {
      char* k = key_bytes.data() + j * kKeySize;
      EncodeNodeKey(meta.node_begin + rows[start + j], k);
      keys[j] = rocksdb::Slice(k, kKeySize);
    }
    db->db()->MultiGet(ro, db->cf(col.cf), m, keys.data(), values.data(), statuses.data(),
                       /*sorted_input=*/true);
    multiget_calls.fetch_add(1, std::memory_order_relaxed);
    for (size_t j = 0; j < m; ++j) {
      const NodeId id = meta.node_begin + rows[start + j];
      if (!statuses[j].ok()) {
        if (statuses[j].IsNotFound()) {
          return Status::Corruption(db->dir() + ": " + col.name + " row of global ID " +
                                    std::to_string(id) + " is missing");
        }
        return FromRocks(statuses[j], db->dir() + ": reading " + col.name + " of global ID " +
                                          std::to_string(id));
      }
      if (values[j].size() != col.row_bytes) {
        return Status::Corruption(db->dir() + ": " + col.name + " row of global ID " +
                                  std::to_string(id) + " has " + std::to_string(values[j].size()) +
                                  " bytes, expected " + std::to_string(col.row_bytes));
      }
      sink(start + j, values[j].data());
      values[j].Reset();
    }
  }
  rocksdb_keys.fetch_add(static_cast<int64_t>(count), std::memory_order_relaxed);
  return Status::OK();
}

Status FeatureStore::Impl::Gather(const Column& col, const int64_t* ids, size_t n, char* out,
                                  bool count_hits) const {
  if (!col.present) {
    return Status::FailedPrecondition(db->dir() + ": the part store has no " + col.name);
  }
  HALO_RETURN_IF_ERROR(CheckIds(ids, n));
  const size_t rb = col.row_bytes;
  if (col.mode == Column::Mode::kAll) {
    const char* hot = col.hot.data();
    for (size_t i = 0; i < n; ++i) {
      std::memcpy(out + i * rb, hot + static_cast<size_t>(ids[i] - meta.node_begin) * rb, rb);
    }
    if (count_hits) hits.fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed);
    return Status::OK();
  }
  // Hits are copied now; misses are collected as (row, position) and fetched sorted by row.
  std::vector<std::pair<int64_t, size_t>> cold;
  if (col.mode == Column::Mode::kPartial) {
    const int32_t* slot = col.slot.data();
    const char* hot = col.hot.data();
    for (size_t i = 0; i < n; ++i) {
      const int64_t row = ids[i] - meta.node_begin;
      const int32_t s = slot[row];
      if (s >= 0) {
        std::memcpy(out + i * rb, hot + static_cast<size_t>(s) * rb, rb);
      } else {
        cold.emplace_back(row, i);
      }
    }
  } else {
    cold.reserve(n);
    for (size_t i = 0; i < n; ++i) cold.emplace_back(ids[i] - meta.node_begin, i);
  }
  if (count_hits) {
    hits.fetch_add(static_cast<int64_t>(n - cold.size()), std::memory_order_relaxed);
    misses.fetch_add(static_cast<int64_t>(cold.size()), std::memory_order_relaxed);
  }
  if (cold.empty()) return Status::OK();
  std::sort(cold.begin(), cold.end());
  // Distinct rows, and for each the range of `cold` entries that want it.
  std::vector<int64_t> rows;
  std::vector<size_t> first;  // rows[k] is wanted by cold[first[k] .. first[k+1])
  rows.reserve(cold.size());
  first.reserve(cold.size() + 1);
  for (size_t j = 0; j < cold.size(); ++j) {
    if (j == 0 || cold[j].first != cold[j - 1].first) {
      rows.push_back(cold[j].first);
      first.push_back(j);
    }
  }
  first.push_back(cold.size());
  return Fetch(col, rows.data(), rows.size(), [&](size_t k, const char* value) {
    for (size_t j = first[k]; j < first[k + 1]; ++j) {
      std::memcpy(out + cold[j].second * rb, value, rb);
    }
  });
}

Status FeatureStore::Impl::AllocateHot(Column* col, size_t rows) {
  const size_t bytes = rows * col->row_bytes;
  col->hot.Allocate(bytes);
  if (bytes > 0 && col->hot.data() == nullptr) {
    return Status::Internal(db->dir() + ": cannot allocate " + std::to_string(bytes) +
                            " bytes for the hot " + col->name + " rows");
  }
  return Status::OK();
}

Status FeatureStore::Impl::LoadAll(Column* col) {
  const int64_t n = meta.num_rows;
  HALO_RETURN_IF_ERROR(AllocateHot(col, static_cast<size_t>(n)));
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 4 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db->db()->NewIterator(ro, db->cf(col->cf)));
  int64_t r = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++r) {
    const rocksdb::Slice key = it->key();
    const NodeId expected = meta.node_begin + r;
    if (r >= n || key.size() != kKeySize || DecodeNodeKey(key.data()) != expected) {
      return Status::Corruption(db->dir() + ": " + col->name + " keys do not cover [" +
                                std::to_string(meta.node_begin) + ", " +
                                std::to_string(meta.node_end()) + ") exactly once (row " +
                                std::to_string(r) + ")");
    }
    if (it->value().size() != col->row_bytes) {
      return Status::Corruption(db->dir() + ": " + col->name + " row of global ID " +
                                std::to_string(expected) + " has " +
                                std::to_string(it->value().size()) + " bytes, expected " +
                                std::to_string(col->row_bytes));
    }
    std::memcpy(col->hot.data() + static_cast<size_t>(r) * col->row_bytes, it->value().data(),
                col->row_bytes);
  }
  HALO_RETURN_IF_ERROR(FromRocks(it->status(), db->dir() + ": scanning " + col->name));
  if (r != n) {
    return Status::Corruption(db->dir() + ": " + col->name + " has " + std::to_string(r) +
                              " rows, meta says " + std::to_string(n));
  }
  col->mode = Column::Mode::kAll;
  col->hot_rows = n;
  return Status::OK();
}

Status FeatureStore::Impl::LoadPartial(Column* col, const std::vector<int64_t>& rows) {
  HALO_RETURN_IF_ERROR(AllocateHot(col, rows.size()));
  col->slot.assign(static_cast<size_t>(meta.num_rows), -1);
  for (size_t s = 0; s < rows.size(); ++s)
    col->slot[static_cast<size_t>(rows[s])] = static_cast<int32_t>(s);
  HALO_RETURN_IF_ERROR(Fetch(*col, rows.data(), rows.size(), [&](size_t k, const char* value) {
    std::memcpy(col->hot.data() + k * col->row_bytes, value, col->row_bytes);
  }));
  col->mode = Column::Mode::kPartial;
  col->hot_rows = static_cast<int64_t>(rows.size());
  return Status::OK();
}

FeatureStore::FeatureStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FeatureStore::~FeatureStore() = default;

Result<std::unique_ptr<FeatureStore>> FeatureStore::Open(const std::string& db_dir,
                                                         const FeatureStoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  internal::ReadTuning tuning;
  tuning.block_cache_bytes = options.block_cache_mb << 20;
  tuning.mmap_reads = options.mmap_reads;
  HALO_ASSIGN_OR_RETURN(impl->db,
                        RocksPart::Open(db_dir, options.read_only, /*create=*/false, tuning));
  HALO_ASSIGN_OR_RETURN(impl->meta, impl->db->ReadMeta());
  const StoreMeta& meta = impl->meta;
  const int64_t n = meta.num_rows;
  if (n > INT32_MAX) {
    return Status::InvalidArgument(db_dir + ": " + std::to_string(n) +
                                   " rows exceed the 2^31 rows a part store may hold");
  }
  if (!options.in_degree.empty() && static_cast<int64_t>(options.in_degree.size()) != n) {
    return Status::InvalidArgument(db_dir + ": in_degree has " +
                                   std::to_string(options.in_degree.size()) +
                                   " entries, the store has " + std::to_string(n) + " rows");
  }
  impl->features = MakeColumn(Cf::kFeatures, kFeaturesCf, meta.has_features,
                              static_cast<size_t>(meta.feature_dim) * sizeof(float));
  impl->labels = MakeColumn(Cf::kLabels, kLabelsCf, meta.has_labels, sizeof(int64_t));
  impl->masks = MakeColumn(Cf::kMasks, kMasksCf, meta.has_masks, kMaskRowBytes);

  if (options.labels_in_memory) {
    if (impl->labels.present) HALO_RETURN_IF_ERROR(impl->LoadAll(&impl->labels));
    if (impl->masks.present) HALO_RETURN_IF_ERROR(impl->LoadAll(&impl->masks));
  }
  Column& f = impl->features;
  if (f.present && n > 0) {
    const double budget = std::max(0.0, options.mem_budget_mb) * 1024.0 * 1024.0;
    const double all_bytes = static_cast<double>(n) * static_cast<double>(f.row_bytes);
    if (all_bytes <= budget) {
      HALO_RETURN_IF_ERROR(impl->LoadAll(&f));
    } else {
      const double index_bytes = static_cast<double>(n) * sizeof(int32_t);
      const int64_t k =
          budget > index_bytes
              ? std::min<int64_t>(n, static_cast<int64_t>((budget - index_bytes) /
                                                          static_cast<double>(f.row_bytes)))
              : 0;
      if (k > 0) {
        std::vector<int64_t> rows(static_cast<size_t>(n));
        std::iota(rows.begin(), rows.end(), 0);
        if (!options.in_degree.empty()) {
          const auto& deg = options.in_degree;
          std::nth_element(rows.begin(), rows.begin() + k, rows.end(), [&](int64_t a, int64_t b) {
            return deg[a] != deg[b] ? deg[a] > deg[b] : a < b;
          });
        }
        rows.resize(static_cast<size_t>(k));
        std::sort(rows.begin(), rows.end());
        HALO_RETURN_IF_ERROR(impl->LoadPartial(&f, rows));
      }
    }
  }
  // Counters describe requests, not the loading above.
  impl->rocksdb_keys = 0;
  impl->multiget_calls = 0;
  return std::unique_ptr<FeatureStore>(new FeatureStore(std::move(impl)));
}

NodeId FeatureStore::node_begin() const { return impl_->meta.node_begin; }
NodeId FeatureStore::node_end() const { return impl_->meta.node_end(); }
int64_t FeatureStore::num_rows() const { return impl_->meta.num_rows; }
int64_t FeatureStore::feature_dim() const { return impl_->meta.feature_dim; }
bool FeatureStore::has_features() const { return impl_->meta.has_features; }
bool FeatureStore::has_labels() const { return impl_->meta.has_labels; }
bool FeatureStore::has_masks() const { return impl_->meta.has_masks; }
bool FeatureStore::all_hot() const {
  return impl_->features.mode == Column::Mode::kAll || impl_->meta.num_rows == 0;
}

Status FeatureStore::GetFeatures(const int64_t* global_ids, size_t n, float* out) const {
  return impl_->Gather(impl_->features, global_ids, n, reinterpret_cast<char*>(out), true);
}

Status FeatureStore::GetLabels(const int64_t* global_ids, size_t n, int64_t* out) const {
  return impl_->Gather(impl_->labels, global_ids, n, reinterpret_cast<char*>(out), false);
}

Status FeatureStore::GetMasks(const int64_t* global_ids, size_t n, uint8_t* out) const {
  return impl_->Gather(impl_->masks, global_ids, n, reinterpret_cast<char*>(out), false);
}

FeatureStoreStats FeatureStore::Stats() const {
  FeatureStoreStats s;
  const Column& f = impl_->features;
  s.hot_rows = f.hot_rows;
  s.hot_bytes = static_cast<int64_t>(f.hot.size() + f.slot.size() * sizeof(int32_t));
  s.hits = impl_->hits.load(std::memory_order_relaxed);
  s.misses = impl_->misses.load(std::memory_order_relaxed);
  s.rocksdb_keys = impl_->rocksdb_keys.load(std::memory_order_relaxed);
  s.multiget_calls = impl_->multiget_calls.load(std::memory_order_relaxed);
  return s;
}

}  // namespace halo::storage
