// What one trainer trains on: one part of a partition directory, with its local in-CSR, the
// features of every local node (halo rows read from their owner parts' files), labels and splits.
#pragma once

#include <string>
#include <vector>

#include "core/csr.h"
#include "core/partition_book.h"
#include "core/status.h"
#include "core/types.h"
#include "storage/store_client.h"

namespace halo::trainer {

using core::NodeId;

struct TrainingData {
  core::PartitionMeta meta;
  int part = 0;
  core::Csr csr;  // local in-CSR: inner nodes first, then halo nodes
  int64_t num_inner = 0;
  int64_t num_local = 0;
  int64_t feature_dim = 0;
  int64_t num_classes = 0;
  std::vector<float> features;  // num_local x feature_dim
  std::vector<int64_t> labels;  // num_local; -1 for halo and unlabeled nodes
  std::vector<NodeId> train_nodes, val_nodes, test_nodes;  // local IDs of inner nodes
  std::vector<NodeId> local_to_global;
};

// Loads part `part` of `partition_dir`. Fails clearly when the partition has no features or no
// labels, or when `part` is out of range. `normalize_features` divides each row by its sum.
// Halo rows are read through `stores` when given (distributed runs: the owners' halo-store
// processes), else straight from the owner parts' store directories.
core::Result<TrainingData> LoadTrainingData(const std::string& partition_dir, int part,
                                            bool normalize_features,
                                            const storage::StoreClient* stores = nullptr);

}  // namespace halo::trainer
