// The trainer's side of the parameter server (ps/client.h): learnable input embeddings (one row
// per node, table "input_embedding") and, with sync.mode = ps, the model's dense parameters (one
// table per parameter, "dense/<name>"), all under the run's staleness bound sync.staleness.
//
// Dense parameters are stored on the servers as deltas from their initial values: every rank
// builds the same initial model from train.seed, so value = initial + delta, and the server's
// optimizer updates the delta with the parameter's own gradient (the optimizers are invariant to
// that shift; weight decay, if set, pulls towards the initial values).
//
// One step with the PS: PullDense() (ps mode), forward/backward, PushDense() and
// PushEmbeddings(), then Clock(). Thread-safety: one training thread.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/partition_book.h"
#include "core/status.h"
#include "core/types.h"
#include "ps/client.h"
#include "trainer/config.h"
#include "trainer/parameter.h"

namespace halo::trainer {

class PsSync {
 public:
  // Connects as worker `rank` and creates the tables (idempotent: every rank does it).
  // `dense` is empty unless sync.mode is ps.
  static core::Result<std::unique_ptr<PsSync>> Connect(const std::vector<std::string>& endpoints,
                                                       int rank, const TrainConfig& config,
                                                       const core::PartitionBook& book,
                                                       std::vector<Parameter*> dense);
  int64_t embedding_dim() const { return embedding_dim_; }

  // Rows of `ids` (ids.size() x embedding_dim) as of the current clock, within the bound.
  core::Status PullEmbeddings(const std::vector<core::NodeId>& ids, std::vector<float>* rows);
  // Sends d(loss)/d(rows) of `ids`; completed by Clock().
  void PushEmbeddings(const std::vector<core::NodeId>& ids, const std::vector<float>& grads);
  // Sets every dense parameter to initial + the servers' delta.
  core::Status PullDense();
  // Sends every dense parameter's gradient; completed by Clock().
  void PushDense();
  // Ends this worker's step (waits for its pushes).
  core::Status Clock();
  int64_t clock() const { return client_->clock(); }
  // Collective: every worker at the same clock, right after Clock(). The shards write their state
  // (rows, optimizer state, clocks) under their --snapshot_dir; halo-ps --restore reloads it.
  core::Status Snapshot() { return client_->Snapshot(); }
  // All rows of the embedding table, [num_nodes x embedding_dim] (for the final checkpoint).
  core::Result<std::vector<float>> AllEmbeddings(int64_t num_nodes);
  // Per table: staleness_bound, max_observed_staleness, mean_observed_staleness, pulls, ...
  std::string StalenessJson() const;

 private:
  PsSync() = default;
  std::unique_ptr<ps::Client> client_;
  int64_t embedding_dim_ = 0;
  std::vector<Parameter*> dense_;
  std::vector<std::vector<float>> initial_;     // per dense parameter
  std::vector<std::vector<int64_t>> all_rows_;  // per dense parameter: 0..rows-1
};

}  // namespace halo::trainer
