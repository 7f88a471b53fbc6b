#include "storage/rocks_part.h"

#include <rocksdb/cache.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/table.h>

#include <cstdarg>

namespace halo::storage::internal {

using core::Result;
using core::Status;

core::Status FromRocks(const rocksdb::Status& s, const std::string& context) {
  if (s.ok()) return Status::OK();
  const std::string msg = context + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(msg);
  return Status::IOError(msg);
}

namespace {

// Discards RocksDB's info log: otherwise every open (read-only ones included) writes and rotates
// LOG files inside the store directory, which several reader processes would fight over.
class NullLogger : public rocksdb::Logger {
 public:
  NullLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::FATAL_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

rocksdb::BlockBasedTableOptions TableOptions(size_t block_size,
                                             std::shared_ptr<rocksdb::Cache> cache) {
  rocksdb::BlockBasedTableOptions t;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.whole_key_filtering = true;
  t.block_size = block_size;
  t.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  t.checksum = rocksdb::kXXH3;
  t.cache_index_and_filter_blocks = false;  // index + filter stay pinned in the table reader
  if (cache) {
    t.block_cache = std::move(cache);
  } else {
    t.no_block_cache = true;
  }
  return t;
}

}  // namespace

rocksdb::Options SstWriteOptions(size_t block_size) {
  rocksdb::Options o;
  o.compression = rocksdb::kNoCompression;
  o.bottommost_compression = rocksdb::kNoCompression;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(TableOptions(block_size, nullptr)));
  o.info_log = std::make_shared<NullLogger>();
  return o;
}

const std::vector<std::string>& CfNames() {
  static const std::vector<std::string> kNames = {rocksdb::kDefaultColumnFamilyName, kFeaturesCf,
                                                  kLabelsCf, kMasksCf, kMetaCf};
  return kNames;
}

Result<std::unique_ptr<RocksPart>> RocksPart::Open(const std::string& dir, bool read_only,
                                                   bool create, const ReadTuning& tuning) {
  rocksdb::Options options;
  options.create_if_missing = create && !read_only;
  options.create_missing_column_families = create && !read_only;
  options.error_if_exists = create && !read_only;
  options.max_open_files = -1;
  options.allow_mmap_reads = tuning.mmap_reads;
  options.info_log = std::make_shared<NullLogger>();
  options.disable_auto_compactions = true;  // bulk-loaded files are final; nothing to compact
  options.compression = rocksdb::kNoCompression;
  std::shared_ptr<rocksdb::Cache> cache;
  if (!tuning.mmap_reads && tuning.block_cache_bytes > 0) {
    cache = rocksdb::NewLRUCache(tuning.block_cache_bytes);
  }
  rocksdb::ColumnFamilyOptions cf_options(options);
  cf_options.table_factory.reset(
      rocksdb::NewBlockBasedTableFactory(TableOptions(4096, std::move(cache))));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : CfNames()) descriptors.emplace_back(name, cf_options);
  std::unique_ptr<RocksPart> part(new RocksPart());
  part->dir_ = dir;
  rocksdb::DB* db = nullptr;
  rocksdb::DBOptions db_options(options);
  rocksdb::Status s =
      read_only ? rocksdb::DB::OpenForReadOnly(db_options, dir, descriptors, &part->handles_, &db)
                : rocksdb::DB::Open(db_options, dir, descriptors, &part->handles_, &db);
  if (!s.ok()) {
    return FromRocks(s, dir + ": cannot open part store" + (read_only ? " (read-only)" : ""));
  }
  part->db_.reset(db);
  return part;
}

RocksPart::~RocksPart() { static_cast<void>(Close()); }

Status RocksPart::Close() {
  if (db_ == nullptr) return Status::OK();
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  handles_.clear();
  Status s = FromRocks(db_->Close(), dir_ + ": close");
  db_.reset();
  return s;
}

Result<std::map<std::string, std::string>> RocksPart::ReadMetaPairs() const {
  std::map<std::string, std::string> kv;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(Cf::kMeta)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    kv[it->key().ToString()] = it->value().ToString();
  }
  HALO_RETURN_IF_ERROR(FromRocks(it->status(), dir_ + ": reading meta"));
  return kv;
}

Result<StoreMeta> RocksPart::ReadMeta() const {
  HALO_ASSIGN_OR_RETURN(auto kv, ReadMetaPairs());
  if (kv.empty()) return Status::Corruption(dir_ + ": part store has no meta");
  return ParseStoreMeta(kv, dir_);
}

}  // namespace halo::storage::internal
