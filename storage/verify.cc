#include "storage/verify.h"

#include <rocksdb/iterator.h>

#include <cstring>
#include <memory>

#include "core/partition_book.h"
#include "storage/part_arrays.h"
#include "storage/rocks_part.h"
#include "storage/store_format.h"

namespace halo::storage {

using core::NodeId;
using core::Status;
using internal::Cf;
using internal::RocksPart;

namespace {

constexpr int kExamples = 5;  // examples listed per kind of problem

// Problems of one kind of mismatch: a count and the first few examples.
class Tally {
 public:
  explicit Tally(std::string what) : what_(std::move(what)) {}
  void Add(const std::string& example) {
    if (count_++ < kExamples) examples_ += (examples_.empty() ? "" : ", ") + example;
  }
  void Flush(std::vector<std::string>* problems) const {
    if (count_ == 0) return;
    problems->push_back(what_ + ": " + std::to_string(count_) + " (" + examples_ +
                        (count_ > kExamples ? ", ..." : "") + ")");
  }

 private:
  std::string what_;
  int64_t count_ = 0;
  std::string examples_;
};

// Scans one kind's column family: key coverage of [node_begin, node_begin + num_rows), value
// sizes, and the CRC recorded in meta. When the partition also has the kind as .npy files,
// `source` holds those rows (num_rows x row_bytes) and every row is compared byte for byte;
// `present` says whether the partition has the kind at all.
void CheckKind(const RocksPart& db, Cf cf, const char* kind, const StoreMeta& meta,
               NodeId node_begin, int64_t num_rows, size_t row_bytes, bool present,
               const char* source, VerifyReport* report) {
  const std::string k = kind;
  std::vector<std::string>& problems = report->problems;
  Tally missing(k + ": missing keys"), extra(k + ": keys outside the part range"),
      malformed(k + ": malformed keys (not 8 bytes)"), bad_size(k + ": values of the wrong size"),
      differ(k + ": rows differing from the partition files");
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 4 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(ro, db.cf(cf)));
  uint32_t crc = 0;
  int64_t keys = 0, rows = 0;
  NodeId expected = node_begin;
  const NodeId end = node_begin + num_rows;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++report->rows_checked;
    ++keys;
    const rocksdb::Slice key = it->key(), value = it->value();
    if (key.size() != kKeySize) {
      malformed.Add("'" + key.ToString(true) + "'");
      continue;
    }
    const NodeId id = DecodeNodeKey(key.data());
    if (id < node_begin || id >= end) {
      extra.Add(std::to_string(id));
      continue;
    }
    for (; expected < id; ++expected) missing.Add(std::to_string(expected));
    expected = id + 1;
    ++rows;
    crc = Crc32(crc, value.data(), value.size());
    if (value.size() != row_bytes) {
      bad_size.Add(std::to_string(id) + ": " + std::to_string(value.size()) + " bytes");
      continue;
    }
    if (source != nullptr &&
        std::memcmp(value.data(), source + static_cast<size_t>(id - node_begin) * row_bytes,
                    row_bytes) != 0) {
      differ.Add(std::to_string(id));
    }
  }
  if (!it->status().ok()) {
    problems.push_back(k + ": reading failed: " + it->status().ToString());
    return;
  }
  if (!present) {
    if (keys > 0) {
      problems.push_back(k + ": the partition has none but the store holds " +
                         std::to_string(keys) + " keys");
    }
  } else {
    for (; expected < end; ++expected) missing.Add(std::to_string(expected));
  }
  for (const Tally* t : {&missing, &extra, &malformed, &bad_size, &differ}) t->Flush(&problems);
  if (!present) return;
  auto stored = meta.checksums.find(k);
  if (stored != meta.checksums.end() && stored->second != crc) {
    problems.push_back(k + ": CRC-32 of the values read is " + std::to_string(crc) +
                       ", meta records " + std::to_string(stored->second));
  }
  if (source == nullptr) return;
  const uint32_t want = Crc32(0, source, static_cast<size_t>(num_rows) * row_bytes);
  if (want != crc) {
    problems.push_back(k + ": CRC-32 of the values read is " + std::to_string(crc) +
                       ", the partition files give " + std::to_string(want));
  }
}

}  // namespace

std::string VerifyReport::ToString() const {
  if (ok()) return "ok (" + std::to_string(rows_checked) + " rows)";
  std::string out;
  for (const auto& p : problems) out += p + "\n";
  return out;
}

Status VerifyPart(const std::string& partition_dir, core::PartId part, const std::string& db_dir,
                  VerifyReport* report) {
  VerifyReport local;
  VerifyReport* r = report != nullptr ? report : &local;
  *r = VerifyReport();
  HALO_ASSIGN_OR_RETURN(core::PartitionMeta pmeta, core::ReadPartitionMeta(partition_dir));
  if (part < 0 || part >= pmeta.num_parts) {
    return Status::InvalidArgument(partition_dir + ": part " + std::to_string(part) +
                                   " does not exist (" + std::to_string(pmeta.num_parts) +
                                   " parts)");
  }
  const core::PartInfo& info = pmeta.parts[static_cast<size_t>(part)];
  HALO_ASSIGN_OR_RETURN(PartArrays src, ReadPartArrays(partition_dir, info));
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<RocksPart> db,
                        RocksPart::Open(db_dir, /*read_only=*/true, /*create=*/false,
                                        internal::ReadTuning{0, false}));
  HALO_ASSIGN_OR_RETURN(auto kv, db->ReadMetaPairs());
  auto parsed = ParseStoreMeta(kv, db_dir);
  if (!parsed.ok()) {
    r->problems.push_back("meta: " + parsed.status().message());
    return Status::Corruption(db_dir + ": part store does not match part " + std::to_string(part) +
                              ": " + r->problems.back());
  }
  const StoreMeta& meta = parsed.value();
  auto expect = [&](const std::string& what, int64_t store, int64_t partition) {
    if (store != partition) {
      r->problems.push_back("meta: " + what + " " + std::to_string(store) + ", partition says " +
                            std::to_string(partition));
    }
  };
  expect("node_begin", meta.node_begin, info.node_begin);
  expect("num_rows", meta.num_rows, info.num_inner);
  // A partition written by halo-partition keeps node data only in its store: then the kinds
  // and dimensions come from partition.json and the store's meta, and values are checked for
  // coverage and against the CRCs recorded at write time. Older partitions (or hand-made ones)
  // also have .npy node files, and then every row is compared with them.
  const bool has_node_files = info.files.count("features") || info.files.count("labels") ||
                              info.files.count("train_mask") || info.files.count("val_mask") ||
                              info.files.count("test_mask");
  const bool src_masks = !src.train_mask.empty() || !src.val_mask.empty() || !src.test_mask.empty();
  const int64_t want_dim = has_node_files ? src.feature_dim : pmeta.feature_dim;
  expect("feature_dim", meta.feature_dim, want_dim);
  if (info.files.count("features") && pmeta.feature_dim != src.feature_dim) {
    r->problems.push_back("partition.json feature_dim " + std::to_string(pmeta.feature_dim) +
                          " disagrees with the features file (" + std::to_string(src.feature_dim) +
                          ")");
  }
  auto kind_check = [&](const char* kind, bool store, bool partition) {
    if (store != partition) {
      r->problems.push_back(std::string("meta: kind ") + kind + (store ? " present" : " absent") +
                            " in the store, " + (partition ? "present" : "absent") +
                            " in the partition");
    }
  };
  const bool want_features = want_dim > 0;
  const bool want_labels = has_node_files ? !src.labels.empty() : pmeta.num_classes > 0;
  const bool want_masks = has_node_files ? src_masks : meta.has_masks;
  kind_check(kFeaturesCf, meta.has_features, want_features);
  kind_check(kLabelsCf, meta.has_labels, want_labels);
  kind_check(kMasksCf, meta.has_masks, want_masks);
  std::vector<std::string> src_mask_kinds;
  if (!src.train_mask.empty()) src_mask_kinds.push_back("train");
  if (!src.val_mask.empty()) src_mask_kinds.push_back("val");
  if (!src.test_mask.empty()) src_mask_kinds.push_back("test");
  if (has_node_files && meta.mask_kinds != src_mask_kinds) {
    r->problems.push_back("meta: mask kinds differ from the partition's mask files");
  }

  if (r->ok()) {
    // Ranges agree: compare the rows themselves.
    const size_t n = static_cast<size_t>(info.num_inner);
    CheckKind(*db, Cf::kFeatures, kFeaturesCf, meta, info.node_begin, info.num_inner,
              static_cast<size_t>(want_dim) * sizeof(float), want_features,
              src.feature_dim > 0 ? reinterpret_cast<const char*>(src.features.data()) : nullptr,
              r);
    CheckKind(*db, Cf::kLabels, kLabelsCf, meta, info.node_begin, info.num_inner, sizeof(int64_t),
              want_labels,
              src.labels.empty() ? nullptr : reinterpret_cast<const char*>(src.labels.data()), r);
    std::vector<uint8_t> masks;
    if (src_masks) {
      masks.assign(n * kMaskRowBytes, 0);
      const std::vector<uint8_t>* cols[kMaskRowBytes] = {&src.train_mask, &src.val_mask,
                                                         &src.test_mask};
      for (size_t k = 0; k < kMaskRowBytes; ++k) {
        if (cols[k]->empty()) continue;
        for (size_t i = 0; i < n; ++i) masks[i * kMaskRowBytes + k] = (*cols[k])[i] != 0;
      }
    }
    CheckKind(*db, Cf::kMasks, kMasksCf, meta, info.node_begin, info.num_inner, kMaskRowBytes,
              want_masks, src_masks ? reinterpret_cast<const char*>(masks.data()) : nullptr, r);
  }
  if (r->ok()) return Status::OK();
  std::string msg = db_dir + ": part store does not match part " + std::to_string(part) + " of " +
                    partition_dir + ":";
  for (const auto& p : r->problems) msg += "\n  " + p;
  return Status::Corruption(msg);
}

}  // namespace halo::storage
