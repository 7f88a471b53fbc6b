#include "storage/store_format.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace halo::storage {

using core::Result;
using core::Status;

uint32_t Crc32(uint32_t crc, const void* data, size_t size) {
  return static_cast<uint32_t>(crc32_z(static_cast<uLong>(crc), static_cast<const Bytef*>(data),
                                       static_cast<z_size_t>(size)));
}

namespace {

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += ",";
    out += p;
  }
  return out;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

Status ParseInt(const std::map<std::string, std::string>& kv, const std::string& key,
                const std::string& where, int64_t* out) {
  auto it = kv.find(key);
  if (it == kv.end()) return Status::Corruption(where + ": meta has no '" + key + "'");
  const std::string& s = it->second;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || errno != 0 || end != s.c_str() + s.size()) {
    return Status::Corruption(where + ": meta '" + key + "' is not an integer: '" + s + "'");
  }
  *out = static_cast<int64_t>(v);
  return Status::OK();
}

}  // namespace

std::map<std::string, std::string> EncodeStoreMeta(const StoreMeta& meta) {
  std::map<std::string, std::string> kv;
  kv[kMetaFormatVersion] = std::to_string(meta.format_version);
  kv[kMetaNodeBegin] = std::to_string(meta.node_begin);
  kv[kMetaNumRows] = std::to_string(meta.num_rows);
  kv[kMetaFeatureDim] = std::to_string(meta.feature_dim);
  kv[kMetaDtype] = meta.dtype;
  std::vector<std::string> kinds;
  if (meta.has_features) kinds.push_back(kFeaturesCf);
  if (meta.has_labels) kinds.push_back(kLabelsCf);
  if (meta.has_masks) kinds.push_back(kMasksCf);
  kv[kMetaKinds] = Join(kinds);
  kv[kMetaMaskKinds] = Join(meta.mask_kinds);
  for (const auto& [kind, crc] : meta.checksums) {
    kv[std::string(kMetaChecksumPrefix) + kind] = std::to_string(crc);
  }
  return kv;
}

Result<StoreMeta> ParseStoreMeta(const std::map<std::string, std::string>& kv,
                                 const std::string& where) {
  StoreMeta meta;
  int64_t v = 0;
  HALO_RETURN_IF_ERROR(ParseInt(kv, kMetaFormatVersion, where, &v));
  if (v != kStoreFormatVersion) {
    return Status::Corruption(where + ": store format_version " + std::to_string(v) +
                              ", this build reads " + std::to_string(kStoreFormatVersion));
  }
  meta.format_version = static_cast<int>(v);
  HALO_RETURN_IF_ERROR(ParseInt(kv, kMetaNodeBegin, where, &meta.node_begin));
  HALO_RETURN_IF_ERROR(ParseInt(kv, kMetaNumRows, where, &meta.num_rows));
  HALO_RETURN_IF_ERROR(ParseInt(kv, kMetaFeatureDim, where, &meta.feature_dim));
  if (meta.node_begin < 0 || meta.num_rows < 0 || meta.feature_dim < 0) {
    return Status::Corruption(where + ": negative node_begin, num_rows or feature_dim in meta");
  }
  auto dtype = kv.find(kMetaDtype);
  meta.dtype = dtype == kv.end() ? "" : dtype->second;
  if (meta.dtype != "float32") {
    return Status::Corruption(where + ": meta dtype '" + meta.dtype + "', expected float32");
  }
  auto kinds = kv.find(kMetaKinds);
  if (kinds == kv.end()) return Status::Corruption(where + ": meta has no 'kinds'");
  for (const auto& k : Split(kinds->second)) {
    if (k == kFeaturesCf) {
      meta.has_features = true;
    } else if (k == kLabelsCf) {
      meta.has_labels = true;
    } else if (k == kMasksCf) {
      meta.has_masks = true;
    } else {
      return Status::Corruption(where + ": unknown kind '" + k + "' in meta");
    }
  }
  if (meta.has_features != (meta.feature_dim > 0)) {
    return Status::Corruption(where + ": meta feature_dim " + std::to_string(meta.feature_dim) +
                              " disagrees with kinds '" + kinds->second + "'");
  }
  auto masks = kv.find(kMetaMaskKinds);
  if (masks != kv.end()) meta.mask_kinds = Split(masks->second);
  for (const auto& m : meta.mask_kinds) {
    if (m != "train" && m != "val" && m != "test") {
      return Status::Corruption(where + ": unknown mask kind '" + m + "' in meta");
    }
  }
  if (meta.has_masks != !meta.mask_kinds.empty()) {
    return Status::Corruption(where + ": meta mask_kinds disagrees with kinds");
  }
  for (const char* kind : {kFeaturesCf, kLabelsCf, kMasksCf}) {
    const bool present = (kind == kFeaturesCf && meta.has_features) ||
                         (kind == kLabelsCf && meta.has_labels) ||
                         (kind == kMasksCf && meta.has_masks);
    if (!present) continue;
    int64_t crc = 0;
    HALO_RETURN_IF_ERROR(ParseInt(kv, std::string(kMetaChecksumPrefix) + kind, where, &crc));
    if (crc < 0 || crc > 0xffffffffLL) {
      return Status::Corruption(where + ": meta checksum of " + kind + " out of range");
    }
    meta.checksums[kind] = static_cast<uint32_t>(crc);
  }
  return meta;
}

}  // namespace halo::storage
