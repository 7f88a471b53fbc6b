#include "storage/part_store_writer.h"

#include <rocksdb/env.h>
#include <rocksdb/sst_file_writer.h>

#include <filesystem>
#include <map>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "storage/rocks_part.h"
#include "storage/store_format.h"

namespace halo::storage {

using core::Status;
using internal::Cf;
using internal::FromRocks;
using internal::RocksPart;

namespace {

namespace fs = std::filesystem;

// Writes rows [0, num_rows) of `rows` (row_bytes each, contiguous) under keys node_begin + r.
Status WriteRowsSst(const std::string& path, const rocksdb::Options& options,
                    core::NodeId node_begin, int64_t num_rows, size_t row_bytes, const char* rows) {
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, nullptr,
                                /*invalidate_page_cache=*/false);
  HALO_RETURN_IF_ERROR(FromRocks(writer.Open(path), path));
  char key[kKeySize];
  for (int64_t r = 0; r < num_rows; ++r) {
    EncodeNodeKey(node_begin + r, key);
    rocksdb::Slice value(rows + static_cast<size_t>(r) * row_bytes, row_bytes);
    HALO_RETURN_IF_ERROR(FromRocks(writer.Put(rocksdb::Slice(key, kKeySize), value), path));
  }
  return FromRocks(writer.Finish(), path);
}

Status WriteMetaSst(const std::string& path, const rocksdb::Options& options,
                    const std::map<std::string, std::string>& kv) {
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, nullptr, false);
  HALO_RETURN_IF_ERROR(FromRocks(writer.Open(path), path));
  for (const auto& [k, v] : kv) HALO_RETURN_IF_ERROR(FromRocks(writer.Put(k, v), path));
  return FromRocks(writer.Finish(), path);
}

Status CheckData(const std::string& db_dir, const PartStoreData& d) {
  if (d.node_begin < 0 || d.num_rows < 0 || d.feature_dim < 0) {
    return Status::InvalidArgument(db_dir + ": negative node_begin, num_rows or feature_dim");
  }
  if ((d.feature_dim > 0) != (d.features != nullptr) && d.num_rows > 0) {
    return Status::InvalidArgument(db_dir + ": feature_dim " + std::to_string(d.feature_dim) +
                                   " but features are " + (d.features ? "given" : "missing"));
  }
  std::error_code ec;
  if (fs::exists(db_dir, ec) && !(fs::is_directory(db_dir, ec) && fs::is_empty(db_dir, ec))) {
    return Status::AlreadyExists(db_dir + ": exists and is not an empty directory");
  }
  return Status::OK();
}

}  // namespace

Status WritePartStore(const std::string& db_dir, const PartStoreData& data,
                      const PartStoreWriteOptions& options) {
  HALO_RETURN_IF_ERROR(CheckData(db_dir, data));
  std::error_code ec;
  fs::create_directories(db_dir, ec);
  if (ec) return Status::IOError(db_dir + ": cannot create directory: " + ec.message());

  const int64_t n = data.num_rows;
  const bool has_features = data.feature_dim > 0;
  const bool has_labels = data.labels != nullptr;
  const bool has_masks =
      data.train_mask != nullptr || data.val_mask != nullptr || data.test_mask != nullptr;

  StoreMeta meta;
  meta.format_version = kStoreFormatVersion;
  meta.node_begin = data.node_begin;
  meta.num_rows = n;
  meta.feature_dim = data.feature_dim;
  meta.dtype = "float32";
  meta.has_features = has_features;
  meta.has_labels = has_labels;
  meta.has_masks = has_masks;
  if (data.train_mask) meta.mask_kinds.push_back("train");
  if (data.val_mask) meta.mask_kinds.push_back("val");
  if (data.test_mask) meta.mask_kinds.push_back("test");

  // SST files are staged inside the store directory and moved (hard-linked) in by ingestion.
  const std::string staging = db_dir + "/ingest-tmp";
  fs::create_directories(staging, ec);
  if (ec) return Status::IOError(staging + ": cannot create directory: " + ec.message());
  const rocksdb::Options sst_options = internal::SstWriteOptions(options.block_size);
  std::vector<std::pair<Cf, std::string>> files;  // column family -> staged SST

  // Features dominate: write them on a second thread while the small kinds are written here.
  Status features_status;
  std::thread features_thread;
  if (has_features && n > 0) {
    const std::string path = staging + "/features.sst";
    files.emplace_back(Cf::kFeatures, path);
    const size_t row_bytes = static_cast<size_t>(data.feature_dim) * sizeof(float);
    features_thread = std::thread([&, path, row_bytes] {
      features_status = WriteRowsSst(path, sst_options, data.node_begin, n, row_bytes,
                                     reinterpret_cast<const char*>(data.features));
    });
    // The checksum is computed here, alongside the SST write.
    meta.checksums[kFeaturesCf] = Crc32(0, data.features, static_cast<size_t>(n) * row_bytes);
  } else if (has_features) {
    meta.checksums[kFeaturesCf] = 0;
  }

  Status status;
  if (has_labels) {
    const size_t bytes = static_cast<size_t>(n) * sizeof(int64_t);
    meta.checksums[kLabelsCf] = Crc32(0, data.labels, bytes);
    if (n > 0) {
      files.emplace_back(Cf::kLabels, staging + "/labels.sst");
      status = WriteRowsSst(files.back().second, sst_options, data.node_begin, n, sizeof(int64_t),
                            reinterpret_cast<const char*>(data.labels));
    }
  }
  if (status.ok() && has_masks) {
    std::vector<uint8_t> rows(static_cast<size_t>(n) * kMaskRowBytes, 0);
    const uint8_t* masks[kMaskRowBytes] = {data.train_mask, data.val_mask, data.test_mask};
    for (size_t k = 0; k < kMaskRowBytes; ++k) {
      if (masks[k] == nullptr) continue;
      for (int64_t r = 0; r < n; ++r) {
        rows[static_cast<size_t>(r) * kMaskRowBytes + k] = masks[k][r] != 0 ? 1 : 0;
      }
    }
    meta.checksums[kMasksCf] = Crc32(0, rows.data(), rows.size());
    if (n > 0) {
      files.emplace_back(Cf::kMasks, staging + "/masks.sst");
      status = WriteRowsSst(files.back().second, sst_options, data.node_begin, n, kMaskRowBytes,
                            reinterpret_cast<const char*>(rows.data()));
    }
  }
  if (features_thread.joinable()) features_thread.join();
  HALO_RETURN_IF_ERROR(status);
  HALO_RETURN_IF_ERROR(features_status);

  files.emplace_back(Cf::kMeta, staging + "/meta.sst");
  HALO_RETURN_IF_ERROR(WriteMetaSst(files.back().second, sst_options, EncodeStoreMeta(meta)));

  {
    HALO_ASSIGN_OR_RETURN(std::unique_ptr<RocksPart> db,
                          RocksPart::Open(db_dir, /*read_only=*/false, /*create=*/true,
                                          internal::ReadTuning{0, false}));
    std::vector<rocksdb::IngestExternalFileArg> args;
    for (const auto& [cf, path] : files) {
      rocksdb::IngestExternalFileArg arg;
      arg.column_family = db->cf(cf);
      arg.external_files = {path};
      arg.options.move_files = true;
      arg.options.write_global_seqno = false;
      args.push_back(std::move(arg));
    }
    HALO_RETURN_IF_ERROR(FromRocks(db->db()->IngestExternalFiles(args), db_dir + ": ingest"));
    HALO_RETURN_IF_ERROR(db->Close());
  }
  fs::remove_all(staging, ec);
  if (ec) return Status::IOError(staging + ": cannot remove: " + ec.message());
  return Status::OK();
}

}  // namespace halo::storage
