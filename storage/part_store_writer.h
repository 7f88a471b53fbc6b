// Bulk loader of a part store: writes the rows one part owns (features, labels, masks) into a new
// RocksDB database through SstFileWriter + IngestExternalFiles, without a write-ahead log or
// memtables. Keys are big-endian global IDs written in ID order, so no sorting is needed; a
// 1M x 128 float part (512 MB) loads in seconds. Format: storage/store_format.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/types.h"

namespace halo::storage {

// The rows of one part, borrowed for the duration of WritePartStore (nothing is retained).
// Row r holds global ID node_begin + r. Every array is either null (kind absent) or has
// num_rows rows.
struct PartStoreData {
  core::NodeId node_begin = 0;          // first global ID owned by the part (>= 0)
  int64_t num_rows = 0;                 // the part's inner nodes
  int64_t feature_dim = 0;              // 0 when there are no features
  const float* features = nullptr;      // num_rows x feature_dim, row-major; null iff dim == 0
  const int64_t* labels = nullptr;      // num_rows, -1 = unlabeled; or null
  const uint8_t* train_mask = nullptr;  // num_rows of 0/1 each; any of the three may be null
  const uint8_t* val_mask = nullptr;
  const uint8_t* test_mask = nullptr;
};

struct PartStoreWriteOptions {
  // RocksDB data block size (bytes) of every column family. Smaller blocks make random point
  // reads cheaper (less to checksum and search per lookup) at the cost of a larger index; 2 KiB
  // measured ~10% less CPU per random 512-byte row than 4 KiB (docs/storage.md).
  size_t block_size = 2048;
};

// Writes `data` as a part store in `db_dir`, which must not exist yet or be empty (it is created;
// its parent must exist or be creatable). On success `db_dir` is a complete RocksDB database with
// the column families "features", "labels", "masks", "meta" (kinds absent from `data` are empty)
// and meta holding counts, dims and a CRC-32 per kind. On failure `db_dir` may hold a partial
// store; callers stage it (the partition writer writes into a temporary directory). Absent masks
// of a part with some masks are stored as 0.
// Not thread-safe for the same `db_dir`; distinct directories may be written concurrently.
core::Status WritePartStore(const std::string& db_dir, const PartStoreData& data,
                            const PartStoreWriteOptions& options = {});

}  // namespace halo::storage
