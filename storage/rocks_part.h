// INTERNAL to storage/: the RocksDB side of a part store (options, opening the column families,
// reading meta). Only storage/*.cc files include this header, so RocksDB's headers stay out of
// the module's public headers. Format: storage/store_format.h.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/status.h>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "storage/store_format.h"

namespace halo::storage::internal {

// A RocksDB status as a Halo status ("<context>: <rocksdb message>"). NotFound maps to NotFound,
// Corruption to Corruption, everything else that fails to IOError.
core::Status FromRocks(const rocksdb::Status& s, const std::string& context);

// How a store is opened for reading.
// With mmap reads no block cache is made: blocks are read straight from the mapped file (the OS
// page cache holds it), which measured ~20% less CPU per random row than going through even an
// unfilled LRU block cache. Without mmap, an LRU cache of `block_cache_bytes` (0 = none) saves
// pread calls for repeated blocks.
struct ReadTuning {
  size_t block_cache_bytes = 32 << 20;
  bool mmap_reads = true;
};

// Options for SstFileWriter: block-based tables with a 10-bit bloom filter, hashed data-block
// index, no compression, XXH3 block checksums. `block_size` in bytes.
rocksdb::Options SstWriteOptions(size_t block_size);

// The column families of every part store, in handle order: default, features, labels, masks,
// meta.
enum class Cf { kDefault = 0, kFeatures = 1, kLabels = 2, kMasks = 3, kMeta = 4 };
const std::vector<std::string>& CfNames();

// An open part store database. Not copyable. Thread-safe for concurrent reads (RocksDB's DB is).
class RocksPart {
 public:
  // Opens `dir`. `read_only` uses DB::OpenForReadOnly (several processes may read one store);
  // otherwise the DB is opened writable, created with all column families when `create` is set.
  static core::Result<std::unique_ptr<RocksPart>> Open(const std::string& dir, bool read_only,
                                                       bool create, const ReadTuning& tuning);
  ~RocksPart();  // Close()s if still open
  RocksPart(const RocksPart&) = delete;
  RocksPart& operator=(const RocksPart&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(Cf which) const { return handles_[static_cast<size_t>(which)]; }
  const std::string& dir() const { return dir_; }

  // Destroys the column family handles and closes the DB, returning RocksDB's verdict. The object
  // is unusable afterwards.
  core::Status Close();

  // All key/value pairs of the meta column family.
  core::Result<std::map<std::string, std::string>> ReadMetaPairs() const;
  // ReadMetaPairs + ParseStoreMeta.
  core::Result<StoreMeta> ReadMeta() const;

 private:
  RocksPart() = default;
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; destroyed before db_
};

}  // namespace halo::storage::internal
