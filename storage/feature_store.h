// FeatureStore: read access to one part store (features, labels, masks of the part's inner
// nodes), with an in-memory hot set in front of RocksDB.
//
// Hot set: when all feature rows fit in the memory budget they are all loaded at Open (RocksDB is
// then only touched at Open). Otherwise the budget holds the rows with the highest in-degree (as
// given by the caller; without degrees, the lowest IDs) in one contiguous array, found through a
// dense index of one int32 slot per row (-1 = cold; the index counts against the budget). Cold
// rows are fetched with batched RocksDB MultiGets over sorted, de-duplicated keys and copied into
// place. Labels and masks (8 + 3 bytes per row) are held in memory in full unless asked not to.
//
// Usage:
//   FeatureStoreOptions opt;
//   opt.mem_budget_mb = 512;
//   HALO_ASSIGN_OR_RETURN(auto store, FeatureStore::Open("out/cora-2parts/part0/store", opt));
//   std::vector<float> x(ids.size() * store->feature_dim());
//   HALO_RETURN_IF_ERROR(store->GetFeatures(ids.data(), ids.size(), x.data()));
//
// Thread-safety: after Open, every method is const and safe to call from many threads at once
// (the hot set is immutable, RocksDB reads are thread-safe, the counters are atomic). With the
// default read-only open, several processes may open the same store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace halo::storage {

struct FeatureStoreOptions {
  // Memory for hot feature rows (and their index), in MiB. 0 = every feature read goes to
  // RocksDB. In-memory labels and masks are not counted.
  double mem_budget_mb = 1024;
  // DB::OpenForReadOnly (shared by processes). false opens the DB writable, by one process only.
  bool read_only = true;
  // Optional: in-degree of each row (num_rows entries, row r = global ID node_begin + r). When
  // not all rows fit, the highest-degree rows are hot (ties: lower ID first).
  std::vector<int64_t> in_degree;
  // Read SST files through mmap: no syscall and no block-cache copy per block; the OS page cache
  // holds the file. Measured fastest for random rows (docs/storage.md).
  bool mmap_reads = true;
  // RocksDB block cache shared by the column families, MiB; only used when mmap_reads is false.
  size_t block_cache_mb = 32;
  // Keep all labels and masks in memory (default); false reads them from RocksDB per request.
  bool labels_in_memory = true;
};

// Counters of the requests since Open (loading the hot set is not counted).
// hits + misses = feature rows requested (duplicates counted each time).
struct FeatureStoreStats {
  int64_t hot_rows = 0;        // feature rows in the hot set
  int64_t hot_bytes = 0;       // bytes of hot feature rows plus the slot index
  int64_t hits = 0;            // feature rows served from the hot set
  int64_t misses = 0;          // feature rows served from RocksDB
  int64_t rocksdb_keys = 0;    // distinct keys looked up in RocksDB (all kinds)
  int64_t multiget_calls = 0;  // RocksDB MultiGet calls (all kinds)
};

class FeatureStore {
 public:
  // Opens the part store in `db_dir` and loads the hot set. Fails with NotFound/IOError when the
  // directory is not a readable store, Corruption when its meta or rows are inconsistent, and
  // InvalidArgument when `in_degree` is given with a size other than num_rows.
  static core::Result<std::unique_ptr<FeatureStore>> Open(const std::string& db_dir,
                                                          const FeatureStoreOptions& options = {});
  ~FeatureStore();
  FeatureStore(const FeatureStore&) = delete;
  FeatureStore& operator=(const FeatureStore&) = delete;

  core::NodeId node_begin() const;
  core::NodeId node_end() const;  // node_begin() + num_rows()
  int64_t num_rows() const;
  int64_t feature_dim() const;  // 0 when the part has no features
  bool has_features() const;
  bool has_labels() const;
  bool has_masks() const;
  bool all_hot() const;  // every feature row is in memory

  // Writes the features of `global_ids[0..n)` into `out` (n x feature_dim floats, caller-owned),
  // row i for ID i, in the order asked; duplicates allowed; n == 0 is a no-op. Every ID must lie
  // in [node_begin, node_end): otherwise OutOfRange naming the first bad ID, and `out` is
  // untouched. FailedPrecondition when the part has no features; Corruption when a row is missing
  // from RocksDB or has the wrong size (then `out` is partially written).
  core::Status GetFeatures(const int64_t* global_ids, size_t n, float* out) const;
  // As GetFeatures, one int64 label per ID (-1 = unlabeled).
  core::Status GetLabels(const int64_t* global_ids, size_t n, int64_t* out) const;
  // As GetFeatures, 3 bytes per ID: train, val, test (0/1; masks absent from the part read 0).
  core::Status GetMasks(const int64_t* global_ids, size_t n, uint8_t* out) const;

  FeatureStoreStats Stats() const;

 private:
  class Impl;  // feature_store.cc: the RocksDB handles, hot set and counters
  explicit FeatureStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace halo::storage
