// One part of a partitioned graph on disk (files under `<partition dir>/part<p>/`) and in memory.
// Local IDs: inner nodes 0..num_inner-1 in global order, then halo nodes in ascending global ID.
// Structure (in-CSR, ID maps) is stored as .npy files; node data (features, labels, masks) in
// the part's RocksDB store (`part<p>/store`, storage::WritePartStore), which halo-store serves.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/csr.h"
#include "core/partition_book.h"
#include "core/status.h"
#include "core/types.h"

namespace halo::partition {

using core::NodeId;

struct LocalPart {
  int64_t num_inner = 0;
  core::Csr in_csr;                     // rows = local nodes, columns = local source IDs
  std::vector<NodeId> local_to_global;  // global ID of each local node
  std::vector<uint8_t> is_inner;        // 1 for inner nodes
  int64_t feature_dim = 0;
  std::vector<float> features;  // num_inner x feature_dim (inner rows only)
  std::vector<int64_t> labels;  // num_inner, or empty
  std::vector<uint8_t> train_mask, val_mask, test_mask;  // num_inner each, or empty

  int64_t num_local() const { return static_cast<int64_t>(local_to_global.size()); }
};

// Writes `part`, whose inner nodes start at global ID `node_begin`, into `dir` (created) and
// returns kind -> file name (relative to `dir`); kind "store" names the RocksDB directory.
core::Result<std::map<std::string, std::string>> WritePartFiles(const std::string& dir,
                                                                const LocalPart& part,
                                                                NodeId node_begin);

// Reads part `info` of the partition in `partition_dir` and checks it against `info`. Node data
// come from the part's store (or from .npy files in partitions that have them).
core::Result<LocalPart> ReadPartFiles(const std::string& partition_dir, const core::PartInfo& info);

}  // namespace halo::partition
