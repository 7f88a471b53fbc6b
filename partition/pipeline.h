// The whole offline partitioning job behind `halo-partition`: read, prepare, assign parts
// (METIS or random), relabel to contiguous ranges, expand halos, write. Output is staged in a
// temporary directory and renamed into place only when complete.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/partition_book.h"
#include "core/status.h"
#include "partition/graph_data.h"
#include "partition/prepare.h"

namespace halo::partition {

struct PartitionOptions {
  int32_t num_parts = 1;
  std::string method = "metis";               // "metis" | "random"
  std::vector<std::string> balance{"nodes"};  // any of "nodes", "edges", "train"
  std::string objective = "cut";              // "cut" | "vol"
  int halo_hops = 1;                          // 0..3
  uint64_t seed = 0;
  double imbalance = 1.03;
  PrepareOptions prepare;
  std::string output;  // the partition directory to create
  bool overwrite = false;
};

struct PartitionReport {
  core::PartitionMeta meta;
  std::vector<std::pair<std::string, double>> phase_seconds;  // in run order
  int64_t peak_rss_bytes = 0;
  // Per balance constraint: max part weight / average part weight.
  std::vector<std::pair<std::string, double>> imbalance;

  // The summary JSON (meta fields, phases, peak RSS, imbalance).
  std::string ToJson() const;
};

// Checks option values (ranges, names) before any work starts.
core::Status ValidateOptions(const PartitionOptions& options);

// Runs the pipeline on an already-read graph (consumed). `read_seconds` is reported as phase
// "read".
core::Result<PartitionReport> PartitionGraph(GraphData graph, const PartitionOptions& options,
                                             double read_seconds);

// Reads `input` in `format` then runs PartitionGraph.
core::Result<PartitionReport> RunPartition(const std::string& input, const std::string& format,
                                           const PartitionOptions& options);

}  // namespace halo::partition
