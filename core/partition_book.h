// What a partitioned graph looks like from outside: `partition.json` (PartitionMeta) and the
// PartitionBook that routes any global node ID to its owner part. Part p owns the contiguous
// global ID range [offsets[p], offsets[p+1]), so ownership is a binary search.
// Format: docs/partition-format.md.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace halo::core {

constexpr int kPartitionFormatVersion = 1;

struct PartInfo {
  PartId id = 0;
  NodeId node_begin = 0;  // first global ID owned
  NodeId node_end = 0;    // one past the last
  int64_t num_inner = 0;
  int64_t num_halo = 0;
  int64_t num_local_edges = 0;  // entries of the part's in-CSR
  int64_t num_train = 0;
  int64_t num_val = 0;
  int64_t num_test = 0;
  std::string dir;                           // relative to the partition directory
  std::map<std::string, std::string> files;  // kind ("indptr", "features", ...) -> relative path
};

struct PartitionMeta {
  int format_version = kPartitionFormatVersion;
  std::string graph_name;
  int64_t num_nodes = 0;
  int64_t num_edges = 0;  // directed edges of the prepared graph (all parts together)
  int32_t num_parts = 0;
  std::string method;                // "metis" | "random"
  std::string objective;             // "cut" | "vol" (metis only)
  std::vector<std::string> balance;  // METIS constraint columns: "nodes", "edges", "train"
  int halo_hops = 0;
  int64_t edge_cut = 0;  // undirected edges of the symmetrized graph whose ends lie in two parts
  int64_t feature_dim = 0;
  int64_t num_classes = 0;
  bool weighted = false;
  bool symmetrized = false;
  std::string self_loops;  // "keep" | "remove" | "add"
  uint64_t seed = 0;
  std::string node_map_file;  // new global ID -> original ID (int64 .npy)
  std::vector<PartInfo> parts;

  // offsets[p] = parts[p].node_begin, offsets[num_parts] = num_nodes.
  std::vector<NodeId> Offsets() const;
};

Status WritePartitionMeta(const std::string& path, const PartitionMeta& meta);
// Reads and checks `partition.json` (a path to the file or to its directory): the version, that
// ranges are contiguous and cover [0, num_nodes), that part counts agree.
Result<PartitionMeta> ReadPartitionMeta(const std::string& path);

class PartitionBook {
 public:
  explicit PartitionBook(std::vector<NodeId> offsets) : offsets_(std::move(offsets)) {}
  static PartitionBook FromMeta(const PartitionMeta& meta) { return PartitionBook(meta.Offsets()); }

  int32_t num_parts() const { return static_cast<int32_t>(offsets_.size()) - 1; }
  NodeId num_nodes() const { return offsets_.back(); }
  const std::vector<NodeId>& offsets() const { return offsets_; }
  // The part that owns `id`, or -1 when `id` is outside [0, num_nodes).
  PartId Owner(NodeId id) const;
  NodeId Begin(PartId p) const { return offsets_[p]; }
  NodeId End(PartId p) const { return offsets_[p + 1]; }

 private:
  std::vector<NodeId> offsets_;
};

}  // namespace halo::core
