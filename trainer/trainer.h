// Training on one part of a partitioned graph, alone or as one rank of a data-parallel run.
//
// Alone (DistOptions default): full-batch (whole local graph per step) or sampled minibatches.
// Distributed (launched by halo-launch): each rank trains its share of its part's training seeds;
// neighborhoods come from the local CSR where complete and from the owners' halo-store processes
// otherwise (sampler::DistNeighborSource), features from local rows or the stores; a prefetching
// pipeline prepares minibatches in the background; gradients are summed across ranks by the
// Communicator (Gloo on CPU, NCCL on GPU). Every rank runs the same number of steps per epoch:
// a rank's seeds are spread evenly over the steps, and each rank's loss gradient is weighted by
// its share of the step's seeds, so the update is that of one process training all seeds.
//
// Evaluation is full-neighbor inference over the local graph (exact for inner nodes when the
// partition's halo_hops >= model layers), with the counts summed across ranks. Checkpoints
// (trainer/checkpoint.h) are written by rank 0; `resume` continues from the newest one.
//
// Outputs: <output_dir>/metrics.jsonl, result.json, config.yaml and checkpoints/; in a
// distributed run per-rank files go to <output_dir>/rank<R>/, and stdout carries the
// `halo-progress {json}` and `halo-result {json}` lines halo-launch reads.
#pragma once
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "sampler/dist_neighbor_source.h"
#include "sampler/neighbor_sampler.h"
#include "storage/row_cache.h"
#include "storage/store_client.h"
#include "trainer/communicator.h"
#include "trainer/config.h"
#include "trainer/dataset.h"
#include "trainer/grad_sync.h"
#include "trainer/graph_block.h"
#include "trainer/model.h"
#include "trainer/optim.h"
#include "trainer/ps_sync.h"

namespace halo::trainer {

// Where this process stands in a distributed run (halo-train's flags, set by halo-launch).
struct DistOptions {
  int rank = 0;
  int world_size = 1;
  std::string coordinator;  // empty: a single-process run
  std::string host = "local";
  std::string host_address = "127.0.0.1";
  int part_rank = 0;  // this trainer's index among the trainers of its part
  int part_trainers = 1;
  std::vector<std::string> store_endpoints;  // one per part, in part order
  std::vector<std::string> ps_endpoints;     // halo-ps shards (input embeddings, sync.mode ps)
  bool resume = false;                       // continue from the newest checkpoint
  bool distributed() const { return world_size > 1 || !coordinator.empty(); }
};

// Seconds spent per phase. Sampling and fetching run on loader threads (their sum can exceed the
// wall time); `wait` is the time the training loop waited for a prepared minibatch.
struct PhaseSeconds {
  double sample = 0, fetch = 0, wait = 0, compute = 0, allreduce = 0, eval = 0, checkpoint = 0;
  void Add(const PhaseSeconds& o);
};

struct TrainResult {
  double test_acc = 0;  // test accuracy at the epoch of best validation accuracy
  double val_acc = 0;   // best validation accuracy
  int best_epoch = -1;
  double final_test_acc = 0;  // after the last epoch
  double final_val_acc = 0;
  double final_loss = 0;
  int epochs = 0;
  std::vector<double> epoch_seconds;  // epochs run by this process (not those before a resume)
  double seeds_per_second = 0;        // all ranks' training seeds per second of training time
  int rank = 0, world_size = 1, part = 0;
  std::string host;
  int64_t steps_per_epoch = 0;
  int64_t local_train_seeds = 0;
  int resumed_from_epoch = -1;  // -1: a fresh run
  PhaseSeconds phases;
  int64_t remote_sampled_rows = 0;
  int64_t remote_feature_rows = 0;  // fetched from other parts' stores
  int64_t remote_cache_hits = 0;    // remote rows served by the trainer's cache instead
  std::string sync_mode = "allreduce";
  std::string staleness_json = "{}";  // per PS table: bound and observed staleness
  std::string ToJson(int indent = 2) const;
};

class Trainer {
 public:
  static core::Result<std::unique_ptr<Trainer>> Create(const TrainConfig& config,
                                                       const DistOptions& dist = {});
  ~Trainer();
  // Trains for config.train.epochs epochs (from the checkpoint with `resume`) and writes outputs.
  core::Result<TrainResult> Run();
  Model* model() { return model_.get(); }

 private:
  struct PreparedBatch;
  // The model's input rows for `nodes` (global IDs): their features, with the input embeddings
  // pulled from the PS when the model has them.
  core::Result<core::Tensor> ModelInput(const std::vector<core::NodeId>& nodes,
                                        core::Tensor features);
  // Pushes the embedding columns of d(loss)/d(input) for `nodes`.
  void PushEmbeddingGrads(const std::vector<core::NodeId>& nodes, const core::Tensor& grad_x);
  struct EvalResult {
    double train_acc = 0, val_acc = 0, test_acc = 0, val_loss = 0;
  };
  Trainer() = default;
  core::Status Connect();  // store client, communicator, heartbeat
  core::Status PlanSteps();
  core::Status RestoreOrBroadcast();
  // One epoch from batch `first_batch`; returns the loss (mean over all ranks' seeds).
  core::Result<double> TrainEpoch(int epoch, int64_t first_batch, PhaseSeconds* phases);
  core::Result<double> TrainFullBatch(PhaseSeconds* phases);
  // This rank's seeds (global IDs) for each step of `epoch`.
  std::vector<std::vector<core::NodeId>> EpochBatches(int epoch) const;
  // Seeds of all ranks at step `i` of an epoch.
  int64_t StepSeeds(int64_t i) const;
  core::Result<PreparedBatch> Prepare(const std::vector<core::NodeId>& seeds, int64_t step);
  core::Status Step(PreparedBatch* batch, int64_t step_seeds, double* loss_sum,
                    PhaseSeconds* phases);
  core::Result<EvalResult> Evaluate();
  core::Status Checkpoint(int epoch, int64_t batch_in_epoch, const TrainResult& result);
  void StartHeartbeat();
  // One label per local node on device_: the labels of `nodes` (local IDs), -1 everywhere else.
  core::Array<int64_t> LabelsFor(const std::vector<core::NodeId>& nodes) const;

  TrainConfig config_;
  DistOptions dist_;
  core::Device device_ = core::Device::kCpu;
  std::string rank_dir_;  // where this process's metrics/result go
  TrainingData data_;
  core::Tensor features_;  // num_local x dim on device_
  std::unique_ptr<storage::StoreClient> stores_;
  std::unique_ptr<storage::RowCache> remote_cache_;  // feature rows fetched from other parts
  std::unique_ptr<Communicator> comm_;
  std::unique_ptr<sampler::DistNeighborSource> source_;
  std::unique_ptr<sampler::NeighborSampler> sampler_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<GradientSync> sync_;
  std::unique_ptr<PsSync> ps_;          // when the model has input embeddings or sync.mode is ps
  bool ps_mode_ = false;                // dense parameters on the PS
  GraphBlock full_block_;               // the whole local graph, with the model's block options
  std::vector<core::NodeId> my_train_;  // this rank's training seeds (global IDs)
  std::vector<core::NodeId> my_val_, my_test_, my_train_local_;  // local IDs
  std::vector<int64_t> rank_train_counts_;  // every rank's number of training seeds
  int64_t steps_per_epoch_ = 0;
  core::Array<int64_t> train_labels_, val_labels_, test_labels_;
  std::atomic<int64_t> step_{0};  // read by the heartbeat thread
  int start_epoch_ = 0;
  int64_t start_batch_ = 0;
  TrainResult restored_;  // bookkeeping carried over by a resumed run
  double best_val_loss_ = 0;
  std::atomic<int64_t> remote_feature_rows_{0};
  // Heartbeat thread: sets coordinator key heartbeat/<rank> about once a second.
  std::thread heartbeat_;
  std::mutex heartbeat_mu_;
  std::condition_variable heartbeat_cv_;
  bool stopping_ = false;
};

}  // namespace halo::trainer
