// Shared by the store integration tests: the bundled Cora as its source files say (the ground
// truth), partitions of it, and halo-store processes serving them on loopback.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/partition_book.h"
#include "partition/graph_data.h"
#include "tests/integration/process.h"

namespace halo::testing {

// Generous bounds for a shared 2-core machine; nothing waits for them unless something is wrong.
constexpr std::chrono::milliseconds kStartTimeout{60000};
constexpr std::chrono::milliseconds kCallDeadline{20000};

// Cora read straight from data/cora/planetoid_txt, indexed by its compact (file order) ID.
struct CoraSource {
  partition::GraphData graph;
  std::vector<std::vector<int64_t>> in_neighbors;  // compact IDs, sorted, distinct
  std::vector<int64_t> compact_of_original;        // original ID -> compact (-1: none)
};
// Loaded once per process.
const CoraSource& Cora();

// A partition of Cora written by the partition pipeline (with its part stores), and the map from
// its global IDs to the source's compact IDs (through node_map.npy).
struct CoraPartition {
  std::string dir;
  core::PartitionMeta meta;
  std::vector<int64_t> node_map;           // global -> original (node_map.npy)
  std::vector<int64_t> compact_of;         // global -> compact source ID
  std::vector<int64_t> global_of_compact;  // its inverse

  int64_t num_nodes() const { return meta.num_nodes; }
  // The source's rows for global IDs, as StoreClient returns them.
  std::vector<float> Features(const std::vector<int64_t>& ids) const;
  std::vector<int64_t> Labels(const std::vector<int64_t>& ids) const;
  std::vector<uint8_t> Masks(const std::vector<int64_t>& ids) const;
  // In-neighbors of a global ID, as sorted global IDs.
  std::vector<int64_t> InNeighbors(int64_t id) const;
};
// Partitions Cora into `num_parts` (METIS, 1 halo hop) under `dir`; fails the test on error.
CoraPartition PartitionCora(const std::string& dir, int num_parts);

// One halo-store process serving `part` of the partition in `partition_dir`, started with
// `--bind bind --ready_file <tmp>` plus `extra_flags`. Ready once Wait() returns true.
class StoreProcess {
 public:
  StoreProcess(const std::string& partition_dir, int part,
               const std::vector<std::string>& extra_flags = {},
               const std::string& bind = "tcp://127.0.0.1:0");
  // Waits for the "halo-store: part P serving on <endpoint>" line; false on timeout or exit.
  bool WaitReady(std::chrono::milliseconds timeout = kStartTimeout);
  const std::string& endpoint() const { return endpoint_; }
  Process& process() { return *process_; }

 private:
  int part_;
  std::unique_ptr<Process> process_;
  std::string endpoint_;
};

// Starts one store per part (all launched before any is awaited); `extra_flags[p]`, if given,
// are added to part p's command line. Fails the test if one does not come up.
std::vector<std::unique_ptr<StoreProcess>> StartStores(
    const std::string& partition_dir, int num_parts,
    const std::vector<std::vector<std::string>>& extra_flags = {});
std::vector<std::string> Endpoints(const std::vector<std::unique_ptr<StoreProcess>>& stores);

}  // namespace halo::testing
