// GraphStore: one part's local graph in memory, read from the partition directory
// (docs/partition-format.md): the in-CSR over local IDs, local -> global IDs and the inner flags.
// Inner nodes are the contiguous global range [node_begin, node_end) at local IDs 0..num_inner-1;
// halo nodes follow in ascending global ID, so global -> local is arithmetic for inner nodes and a
// binary search over the halo IDs otherwise (no hash map).
//
// Every inner node has all its in-edges here, so in-neighborhoods and samples of inner nodes are
// exact; halo rows may be partial (empty at the outermost hop) and are not served by ID.
//
// Thread-safety: immutable after Open; every method is const and safe from many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/csr.h"
#include "core/status.h"
#include "core/types.h"

namespace halo::storage {

// Neighbors sampled for a list of seeds, CSR-style: the sample of seed i is
// neighbors[offsets[i] .. offsets[i + 1]) (global IDs). offsets has num_seeds + 1 entries.
struct SampledNeighbors {
  std::vector<int64_t> offsets{0};
  std::vector<core::NodeId> neighbors;
};

class GraphStore {
 public:
  // Reads part `part` of the partition in `partition_dir` (partition.json and the part's indptr,
  // indices, optional edge_weight, local_to_global, is_inner files) and checks its structure:
  // CSR shape, inner-then-halo layout, halo IDs ascending. NotFound/IOError for missing files,
  // Corruption for inconsistent ones, InvalidArgument for a part ID out of range.
  static core::Result<std::unique_ptr<GraphStore>> Open(const std::string& partition_dir,
                                                        core::PartId part);

  core::PartId part_id() const { return part_; }
  core::NodeId node_begin() const { return node_begin_; }
  core::NodeId node_end() const { return node_begin_ + num_inner_; }
  int64_t num_inner() const { return num_inner_; }
  int64_t num_halo() const { return num_local() - num_inner_; }
  int64_t num_local() const { return static_cast<int64_t>(local_to_global_.size()); }
  int64_t num_local_edges() const { return csr_.num_entries(); }

  // The raw local structures (local IDs). Valid while the store lives.
  const core::Csr& in_csr() const { return csr_; }
  const std::vector<core::NodeId>& local_to_global() const { return local_to_global_; }

  bool IsInner(core::NodeId global) const { return global >= node_begin() && global < node_end(); }
  // Local ID of `global`, or -1 when the part holds no such node (neither inner nor halo).
  int64_t GlobalToLocal(core::NodeId global) const;
  core::NodeId LocalToGlobal(int64_t local) const { return local_to_global_[local]; }

  // In-degree of each inner node (num_inner entries, row r = global node_begin + r): the ranking
  // FeatureStoreOptions::in_degree expects.
  std::vector<int64_t> InnerInDegrees() const;

  // Global IDs of the in-neighbors of inner node `global` (ascending local ID order), replacing
  // `*out`. OutOfRange when `global` is not an inner node of this part.
  core::Status InNeighbors(core::NodeId global, std::vector<core::NodeId>* out) const;

  // Uniform neighbor sampling for the inner nodes `seeds[0..n)` (duplicates allowed), replacing
  // `*out`. Per seed with in-degree d:
  //   fanout < 0           all d neighbors (CSR order);
  //   replace == false     min(fanout, d) neighbors at distinct CSR positions (all of them, in CSR
  //                        order, when d <= fanout; otherwise in ascending position order);
  //   replace == true      fanout draws with replacement (none when d == 0).
  // The draws for a node depend only on (seed, node ID): the same call gives the same answer on
  // any thread, in any batch. OutOfRange (naming the first bad seed) when a seed is not inner.
  core::Status SampleInNeighbors(const core::NodeId* seeds, size_t n, int fanout, bool replace,
                                 uint64_t seed, SampledNeighbors* out) const;

 private:
  GraphStore() = default;

  core::PartId part_ = 0;
  core::NodeId node_begin_ = 0;
  int64_t num_inner_ = 0;
  core::Csr csr_;
  std::vector<core::NodeId> local_to_global_;
};

}  // namespace halo::storage
