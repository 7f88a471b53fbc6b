// The on-disk format of a part store (version 1): one RocksDB database per part, one column family
// per kind of row, keys = 8-byte big-endian global node IDs (so byte order == ID order), values =
// the raw little-endian bytes of one row. Written by WritePartStore, read by FeatureStore, checked
// by VerifyPart. Described for users in docs/storage.md.
//
// Column families and their values:
//   "features"  feature_dim float32 per row
//   "labels"    one int64 per row (-1 = unlabeled)
//   "masks"     3 bytes per row: train, val, test (0/1)
//   "meta"      text keys -> decimal/text values (kMeta* below)
// A kind absent from the part has an empty column family and is not listed in "kinds".
//
// No RocksDB types appear here: this header is the format's vocabulary, safe to include anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace halo::storage {

constexpr int kStoreFormatVersion = 1;

// Column family names.
inline constexpr const char* kFeaturesCf = "features";
inline constexpr const char* kLabelsCf = "labels";
inline constexpr const char* kMasksCf = "masks";
inline constexpr const char* kMetaCf = "meta";

// Keys of the "meta" column family. Values are text: decimal integers unless noted.
inline constexpr const char* kMetaFormatVersion = "format_version";
inline constexpr const char* kMetaNodeBegin = "node_begin";    // first global ID
inline constexpr const char* kMetaNumRows = "num_rows";        // rows of every present kind
inline constexpr const char* kMetaFeatureDim = "feature_dim";  // 0 without features
inline constexpr const char* kMetaDtype = "dtype";             // "float32"
inline constexpr const char* kMetaKinds =
    "kinds";  // comma-separated present kinds, e.g. "features,labels"
inline constexpr const char* kMetaMaskKinds = "mask_kinds";  // present masks, e.g. "train,val,test"
// "checksum.<kind>": CRC-32 (zlib polynomial, as Python's zlib.crc32) of the concatenation of all
// values of that kind's column family in key order.
inline constexpr const char* kMetaChecksumPrefix = "checksum.";

constexpr size_t kKeySize = 8;
constexpr size_t kMaskRowBytes = 3;  // train, val, test

// Encodes `id` (>= 0) as 8 big-endian bytes into `out[0..8)`.
inline void EncodeNodeKey(core::NodeId id, char* out) {
  uint64_t v = static_cast<uint64_t>(id);
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

// Decodes 8 big-endian bytes.
inline core::NodeId DecodeNodeKey(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return static_cast<core::NodeId>(v);
}

// CRC-32 (zlib) continuing from `crc` (start with 0). Same value as Python's zlib.crc32.
uint32_t Crc32(uint32_t crc, const void* data, size_t size);

// The parsed "meta" column family of a part store.
struct StoreMeta {
  int format_version = 0;
  core::NodeId node_begin = 0;
  int64_t num_rows = 0;
  int64_t feature_dim = 0;
  std::string dtype;
  bool has_features = false;
  bool has_labels = false;
  bool has_masks = false;
  std::vector<std::string> mask_kinds;        // subset of {"train", "val", "test"}, in that order
  std::map<std::string, uint32_t> checksums;  // kind -> CRC-32, for each present kind

  core::NodeId node_end() const { return node_begin + num_rows; }
};

// The meta key/value pairs that describe `meta` (inverse of ParseStoreMeta).
std::map<std::string, std::string> EncodeStoreMeta(const StoreMeta& meta);
// Parses and checks the meta pairs: version, required keys, numbers, dtype, kinds. `where` names
// the store in errors.
core::Result<StoreMeta> ParseStoreMeta(const std::map<std::string, std::string>& kv,
                                       const std::string& where);

}  // namespace halo::storage
