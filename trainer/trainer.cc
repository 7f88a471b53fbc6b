#include "trainer/trainer.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "core/fs.h"
#include "core/logging.h"
#include "core/metrics.h"
#include "core/npy.h"
#include "core/prefetcher.h"
#include "core/progress.h"
#include "core/random.h"
#include "core/sys_stats.h"
#include "kernels/gather_scatter.h"
#include "kernels/gemm.h"
#include "kernels/loss.h"
#include "net/coordinator.h"
#include "sampler/full_graph.h"
#include "sampler/seed_batches.h"
#include "trainer/checkpoint.h"
#include "trainer/init.h"

namespace halo::trainer {

using core::NodeId;
using core::Result;
using core::Status;
using core::Tensor;

namespace {

nlohmann::json PhasesJson(const PhaseSeconds& p) {
  return {{"sample", p.sample},        {"fetch", p.fetch},         {"wait", p.wait},
          {"compute", p.compute},      {"allreduce", p.allreduce}, {"eval", p.eval},
          {"checkpoint", p.checkpoint}};
}

// Rows [i * n / parts, (i + 1) * n / parts): `parts` near-equal consecutive slices.
int64_t SliceBegin(int64_t i, int64_t n, int64_t parts) { return i * n / parts; }

template <typename T>
std::vector<T> EveryNth(const std::vector<T>& v, int first, int stride) {
  std::vector<T> out;
  for (size_t i = static_cast<size_t>(first); i < v.size(); i += static_cast<size_t>(stride)) {
    out.push_back(v[i]);
  }
  return out;
}

}  // namespace

void PhaseSeconds::Add(const PhaseSeconds& o) {
  sample += o.sample;
  fetch += o.fetch;
  wait += o.wait;
  compute += o.compute;
  allreduce += o.allreduce;
  eval += o.eval;
  checkpoint += o.checkpoint;
}

std::string TrainResult::ToJson(int indent) const {
  nlohmann::json j;
  j["test_acc"] = test_acc;
  j["val_acc"] = val_acc;
  j["best_epoch"] = best_epoch;
  j["final_test_acc"] = final_test_acc;
  j["final_val_acc"] = final_val_acc;
  j["final_loss"] = final_loss;
  j["epochs"] = epochs;
  j["epoch_seconds"] = epoch_seconds;
  double total = 0;
  for (double s : epoch_seconds) total += s;
  j["mean_epoch_seconds"] = epoch_seconds.empty() ? 0.0 : total / epoch_seconds.size();
  j["seeds_per_second"] = seeds_per_second;
  j["rank"] = rank;
  j["world_size"] = world_size;
  j["part"] = part;
  j["host"] = host;
  j["steps_per_epoch"] = steps_per_epoch;
  j["local_train_seeds"] = local_train_seeds;
  j["resumed_from_epoch"] = resumed_from_epoch;
  j["phase_seconds"] = PhasesJson(phases);
  j["remote_sampled_rows"] = remote_sampled_rows;
  j["remote_feature_rows"] = remote_feature_rows;
  j["remote_cache_hits"] = remote_cache_hits;
  j["sync_mode"] = sync_mode;
  j["staleness"] = nlohmann::json::parse(staleness_json);
  return j.dump(indent) + (indent >= 0 ? "\n" : "");
}

// A minibatch ready for the model: blocks and input rows on the device, the seeds' labels.
struct Trainer::PreparedBatch {
  std::vector<GraphBlock> blocks;
  std::vector<NodeId> input_nodes;  // global IDs of x's rows
  Tensor x;
  core::Array<int64_t> labels;
  int64_t num_seeds = 0;
  double sample_seconds = 0, fetch_seconds = 0;
};

Result<std::unique_ptr<Trainer>> Trainer::Create(const TrainConfig& config,
                                                 const DistOptions& dist) {
  HALO_RETURN_IF_ERROR(ValidateTrainConfig(config));
  if (dist.world_size < 1 || dist.rank < 0 || dist.rank >= dist.world_size ||
      dist.part_trainers < 1 || dist.part_rank < 0 || dist.part_rank >= dist.part_trainers) {
    return Status::InvalidArgument("bad distributed placement: rank " + std::to_string(dist.rank) +
                                   " of " + std::to_string(dist.world_size) + ", trainer " +
                                   std::to_string(dist.part_rank) + " of " +
                                   std::to_string(dist.part_trainers) + " of its part");
  }
  std::unique_ptr<Trainer> t(new Trainer());
  t->config_ = config;
  t->dist_ = dist;
  HALO_ASSIGN_OR_RETURN(t->device_, core::ParseDevice(config.train.device));
  if (t->device_ == core::Device::kCuda && !core::CudaAvailable()) {
    return Status::FailedPrecondition("train.device is cuda but " + core::CudaUnavailableReason());
  }
  if (config.train.num_threads > 0) omp_set_num_threads(config.train.num_threads);
  t->rank_dir_ = dist.distributed() ? config.output_dir + "/rank" + std::to_string(dist.rank)
                                    : config.output_dir;
  HALO_RETURN_IF_ERROR(t->Connect());
  HALO_ASSIGN_OR_RETURN(t->data_,
                        LoadTrainingData(config.dataset.partition_dir, config.dataset.part,
                                         config.dataset.normalize_features, t->stores_.get()));
  const TrainingData& d = t->data_;
  if (d.meta.num_parts > 1 && d.meta.halo_hops < config.model.num_layers && dist.rank == 0) {
    HALO_LOG(Warning) << config.dataset.partition_dir << " keeps a " << d.meta.halo_hops
                      << "-hop halo but the model has " << config.model.num_layers << " layers: "
                      << (t->stores_ ? "neighborhoods beyond the halo come from remote stores"
                                     : "neighborhoods beyond the halo are cut")
                      << " (partition with --halo_hops=" << config.model.num_layers << ")";
  }
  t->features_ = Tensor::FromVector(d.features, d.num_local, d.feature_dim, t->device_);
  t->remote_cache_ = std::make_unique<storage::RowCache>(
      t->stores_ ? (int64_t{config.train.remote_cache_mb} << 20) / (d.feature_dim * 4) : 0,
      d.feature_dim);
  t->source_ = std::make_unique<sampler::DistNeighborSource>(&d.csr, &d.local_to_global,
                                                             d.num_inner, d.meta.halo_hops,
                                                             d.meta.num_nodes, t->stores_.get());
  t->sampler_ = std::make_unique<sampler::NeighborSampler>(t->source_.get(), config.train.fanouts,
                                                           config.train.replace);
  // This rank's share of its part: every part_trainers-th node.
  t->my_train_local_ = EveryNth(d.train_nodes, dist.part_rank, dist.part_trainers);
  for (NodeId l : t->my_train_local_) {
    t->my_train_.push_back(d.local_to_global[static_cast<size_t>(l)]);
  }
  t->my_val_ = EveryNth(d.val_nodes, dist.part_rank, dist.part_trainers);
  t->my_test_ = EveryNth(d.test_nodes, dist.part_rank, dist.part_trainers);
  HALO_RETURN_IF_ERROR(t->PlanSteps());

  const auto& emb = config.input_embedding;
  const int64_t in_dim = emb.dim == 0               ? d.feature_dim
                         : emb.combine == "replace" ? emb.dim
                                                    : d.feature_dim + emb.dim;
  HALO_ASSIGN_OR_RETURN(
      t->model_, Model::Create(config.model, in_dim, d.num_classes, t->device_, config.train.seed));
  OptimizerConfig oc;
  oc.name = config.train.optimizer;
  oc.lr = config.train.lr;
  oc.weight_decay = config.train.weight_decay;
  oc.momentum = config.train.momentum;
  HALO_ASSIGN_OR_RETURN(t->optimizer_, Optimizer::Create(oc, t->model_->parameters()));
  t->sync_ = std::make_unique<GradientSync>(t->comm_.get(), t->model_->parameters(),
                                            static_cast<size_t>(config.comm.bucket_mb) << 20);
  t->ps_mode_ = config.sync.mode == "ps";
  if (emb.dim > 0 || t->ps_mode_) {
    if (config.train.mode == "full") {
      return Status::InvalidArgument(
          "input_embedding and sync.mode ps train minibatches: set train.mode sampled");
    }
    if (dist.ps_endpoints.empty()) {
      return Status::InvalidArgument(
          std::string(emb.dim > 0 ? "input_embedding.dim > 0" : "sync.mode ps") +
          " needs parameter-server shards: run it with halo-launch and a `ps:` section "
          "(or pass --ps_endpoints)");
    }
    // Before any checkpoint is loaded: PsSync keeps the initial values (ps mode stores deltas).
    HALO_ASSIGN_OR_RETURN(
        t->ps_,
        PsSync::Connect(dist.ps_endpoints, dist.rank, config, core::PartitionBook::FromMeta(d.meta),
                        t->ps_mode_ ? t->model_->parameters() : std::vector<Parameter*>{}));
  }
  HALO_RETURN_IF_ERROR(t->RestoreOrBroadcast());
  if (t->ps_) {
    // The PS state must be the one saved with the checkpoint: one clock per step.
    if (t->ps_->clock() != t->step_) {
      return Status::FailedPrecondition(
          "the parameter server is at clock " + std::to_string(t->ps_->clock()) + " but " +
          (t->step_ == 0 ? std::string("this run starts from scratch")
                         : "the checkpoint resumed is at step " + std::to_string(t->step_)) +
          ": start halo-ps " +
          (t->step_ == 0 ? "afresh" : "with --restore from the snapshot of that step") +
          " (halo-launch --resume does)");
    }
  }
  t->train_labels_ = t->LabelsFor(t->my_train_local_);
  t->val_labels_ = t->LabelsFor(t->my_val_);
  t->test_labels_ = t->LabelsFor(t->my_test_);
  t->full_block_ =
      MakeGraphBlock(sampler::FullGraphBlock(d.csr), t->model_->block_options(), t->device_);
  return t;
}

Trainer::~Trainer() {
  {
    std::lock_guard<std::mutex> lock(heartbeat_mu_);
    stopping_ = true;
  }
  heartbeat_cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
}

Status Trainer::Connect() {
  const std::chrono::milliseconds timeout(int64_t{config_.comm.timeout_s} * 1000);
  if (!dist_.distributed()) {
    comm_ = MakeSoloCommunicator(device_);
    return Status::OK();
  }
  if (dist_.coordinator.empty()) {
    return Status::InvalidArgument("a distributed run (world size " +
                                   std::to_string(dist_.world_size) + ") needs --coordinator");
  }
  HALO_ASSIGN_OR_RETURN(core::PartitionMeta meta,
                        core::ReadPartitionMeta(config_.dataset.partition_dir));
  if (static_cast<int>(dist_.store_endpoints.size()) != meta.num_parts) {
    return Status::InvalidArgument("--store_endpoints lists " +
                                   std::to_string(dist_.store_endpoints.size()) +
                                   " endpoints but " + config_.dataset.partition_dir + " has " +
                                   std::to_string(meta.num_parts) + " parts");
  }
  storage::StoreClientOptions so;
  so.deadline = timeout;
  HALO_ASSIGN_OR_RETURN(stores_, storage::StoreClient::Create(meta, dist_.store_endpoints, so));
  CommConfig cc;
  cc.backend = device_ == core::Device::kCuda ? "nccl" : "gloo";
  cc.rank = dist_.rank;
  cc.world_size = dist_.world_size;
  cc.coordinator = dist_.coordinator;
  cc.host = dist_.host;
  cc.bind_address = dist_.host_address;
  cc.timeout = timeout;
  StartHeartbeat();
  HALO_ASSIGN_OR_RETURN(comm_, CreateCommunicator(cc));
  return Status::OK();
}

void Trainer::StartHeartbeat() {
  heartbeat_ = std::thread([this] {
    auto client = net::CoordinatorClient::Connect(dist_.coordinator, std::chrono::seconds(2));
    if (!client.ok()) return;
    const std::string key = "heartbeat/" + std::to_string(dist_.rank);
    std::unique_lock<std::mutex> lock(heartbeat_mu_);
    while (!stopping_) {
      lock.unlock();
      (void)client.value()->Set(key, std::to_string(step_));  // a missed beat is not fatal
      lock.lock();
      heartbeat_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
  });
}

Status Trainer::PlanSteps() {
  const int w = comm_->world_size();
  std::vector<double> counts(static_cast<size_t>(w), 0.0);
  counts[static_cast<size_t>(comm_->rank())] = static_cast<double>(my_train_.size());
  HALO_RETURN_IF_ERROR(comm_->AllReduceSumHost(counts.data(), counts.size()));
  rank_train_counts_.assign(counts.begin(), counts.end());
  int64_t total = 0, most = 0;
  for (int64_t c : rank_train_counts_) {
    total += c;
    most = std::max(most, c);
  }
  if (total == 0) {
    return Status::InvalidArgument(config_.dataset.partition_dir +
                                   ": no labeled training nodes on any rank");
  }
  if (my_train_.empty()) {
    HALO_LOG(Warning) << "rank " << comm_->rank() << " (part " << data_.part
                      << ") has no training seeds; it only joins the gradient sums";
  }
  steps_per_epoch_ = config_.train.mode == "full"
                         ? 1
                         : (most + config_.train.batch_size - 1) / config_.train.batch_size;
  return Status::OK();
}

int64_t Trainer::StepSeeds(int64_t i) const {
  int64_t n = 0;
  for (int64_t c : rank_train_counts_) {
    n += SliceBegin(i + 1, c, steps_per_epoch_) - SliceBegin(i, c, steps_per_epoch_);
  }
  return n;
}

std::vector<std::vector<NodeId>> Trainer::EpochBatches(int epoch) const {
  // Rank 0 keeps the run's seed, so a single process shuffles as it always did.
  const uint64_t seed =
      dist_.rank == 0 ? config_.train.seed : core::DeriveSeed(config_.train.seed, dist_.rank);
  const std::vector<NodeId> order = sampler::ShuffleSeeds(my_train_, seed, epoch);
  const auto n = static_cast<int64_t>(order.size());
  std::vector<std::vector<NodeId>> batches(static_cast<size_t>(steps_per_epoch_));
  for (int64_t i = 0; i < steps_per_epoch_; ++i) {
    batches[static_cast<size_t>(i)].assign(order.begin() + SliceBegin(i, n, steps_per_epoch_),
                                           order.begin() + SliceBegin(i + 1, n, steps_per_epoch_));
  }
  return batches;
}

Status Trainer::RestoreOrBroadcast() {
  // Rank 0 decides (it alone writes checkpoints) and tells the others what it restored.
  struct Header {
    int64_t found = 0, epoch = 0, batch = 0, step = 0, optimizer_step = 0, extra_bytes = 0;
  } header;
  std::string extra;
  std::vector<Parameter*> params = model_->parameters();
  if (dist_.resume && comm_->rank() == 0) {
    HALO_ASSIGN_OR_RETURN(std::optional<std::string> latest,
                          FindLatestCheckpoint(config_.output_dir));
    if (latest) {
      HALO_ASSIGN_OR_RETURN(CheckpointState state,
                            LoadCheckpoint(*latest, params, optimizer_.get()));
      header = {1,          state.epoch,        state.batch_in_epoch,
                state.step, optimizer_->step(), static_cast<int64_t>(state.extra_json.size())};
      extra = state.extra_json;
      HALO_LOG(Info) << "resuming from " << *latest << " (epoch " << state.epoch << ", batch "
                     << state.batch_in_epoch << ", step " << state.step << ")";
    } else {
      HALO_LOG(Info) << "--resume: no checkpoint in " << CheckpointDir(config_.output_dir)
                     << " yet; starting from scratch";
    }
  }
  HALO_RETURN_IF_ERROR(comm_->BroadcastHost(&header, sizeof(header), 0));
  HALO_RETURN_IF_ERROR(sync_->BroadcastValues(0));
  if (header.found == 0) return Status::OK();
  extra.resize(static_cast<size_t>(header.extra_bytes));
  HALO_RETURN_IF_ERROR(comm_->BroadcastHost(extra.data(), extra.size(), 0));
  HALO_RETURN_IF_ERROR(sync_->BroadcastTensors(optimizer_->state(), 0));
  optimizer_->set_step(header.optimizer_step);
  start_epoch_ = static_cast<int>(header.epoch);
  start_batch_ = header.batch;
  step_ = header.step;
  const nlohmann::json j = nlohmann::json::parse(extra);
  restored_.best_epoch = j.value("best_epoch", -1);
  restored_.val_acc = j.value("best_val_acc", 0.0);
  restored_.test_acc = j.value("best_test_acc", 0.0);
  best_val_loss_ = j.value("best_val_loss", 0.0);
  restored_.final_val_acc = j.value("final_val_acc", 0.0);
  restored_.final_test_acc = j.value("final_test_acc", 0.0);
  restored_.resumed_from_epoch = start_epoch_;
  return Status::OK();
}

core::Array<int64_t> Trainer::LabelsFor(const std::vector<NodeId>& nodes) const {
  std::vector<int64_t> labels(static_cast<size_t>(data_.num_local), -1);
  for (NodeId v : nodes) labels[static_cast<size_t>(v)] = data_.labels[static_cast<size_t>(v)];
  return core::Array<int64_t>::FromVector(labels, device_);
}

Result<Trainer::PreparedBatch> Trainer::Prepare(const std::vector<NodeId>& seeds, int64_t step) {
  PreparedBatch b;
  b.num_seeds = static_cast<int64_t>(seeds.size());
  if (seeds.empty()) return b;
  core::Stopwatch watch;
  HALO_ASSIGN_OR_RETURN(sampler::MiniBatch mb,
                        sampler_->Sample(seeds, MixSeed(config_.train.seed, step)));
  for (const auto& block : mb.blocks) {
    b.blocks.push_back(MakeGraphBlock(block, model_->block_options(), device_));
  }
  b.sample_seconds = watch.seconds();
  core::Stopwatch fetch_watch;
  // Input rows: local rows from features_, the rest from their owners' stores.
  const int64_t dim = data_.feature_dim;
  std::vector<int64_t> local_idx(mb.input_nodes.size());
  std::vector<int64_t> remote_ids;
  std::vector<size_t> remote_pos;
  for (size_t i = 0; i < mb.input_nodes.size(); ++i) {
    local_idx[i] = source_->ToLocal(mb.input_nodes[i]);
    if (local_idx[i] < 0) {
      remote_ids.push_back(mb.input_nodes[i]);
      remote_pos.push_back(i);
    }
  }
  const auto rows = static_cast<int64_t>(mb.input_nodes.size());
  if (remote_ids.empty()) {
    b.x = Tensor(rows, dim, device_);
    kernels::GatherRows(features_, core::Array<int64_t>::FromVector(local_idx, device_), &b.x);
  } else {
    if (stores_ == nullptr) return Status::Internal("remote input rows without stores");
    std::vector<float> host(static_cast<size_t>(rows * dim));
    // Rows seen before come from the cache; the rest from their owners' stores, in one call.
    std::vector<int64_t> missing;
    std::vector<size_t> missing_pos;
    for (size_t j = 0; j < remote_ids.size(); ++j) {
      if (!remote_cache_->Lookup(remote_ids[j], host.data() + remote_pos[j] * dim)) {
        missing.push_back(remote_ids[j]);
        missing_pos.push_back(remote_pos[j]);
      }
    }
    remote_feature_rows_ += static_cast<int64_t>(missing.size());
    std::vector<float> fetched(missing.size() * static_cast<size_t>(dim));
    HALO_RETURN_IF_ERROR(stores_->GetFeatures(missing.data(), missing.size(), fetched.data()));
    for (size_t j = 0; j < missing.size(); ++j) {
      const float* row = fetched.data() + static_cast<int64_t>(j) * dim;
      std::copy_n(row, dim, host.data() + missing_pos[j] * dim);
      remote_cache_->Insert(missing[j], row);
    }
    for (size_t i = 0; i < local_idx.size(); ++i) {
      float* row = host.data() + static_cast<int64_t>(i) * dim;
      if (local_idx[i] >= 0) {
        std::copy_n(data_.features.data() + local_idx[i] * dim, dim, row);
      } else if (config_.dataset.normalize_features) {
        double sum = 0;
        for (int64_t c = 0; c < dim; ++c) sum += row[c];
        if (sum != 0) {
          for (int64_t c = 0; c < dim; ++c) row[c] = static_cast<float>(row[c] / sum);
        }
      }
    }
    b.x = Tensor::FromVector(host, rows, dim, device_);
  }
  std::vector<int64_t> labels(seeds.size());
  for (size_t i = 0; i < seeds.size(); ++i) {
    labels[i] = data_.labels[static_cast<size_t>(source_->ToLocal(seeds[i]))];
  }
  b.labels = core::Array<int64_t>::FromVector(labels, device_);
  b.input_nodes = std::move(mb.input_nodes);
  b.fetch_seconds = fetch_watch.seconds();
  return b;
}

Result<Tensor> Trainer::ModelInput(const std::vector<NodeId>& nodes, Tensor features) {
  if (!ps_ || ps_->embedding_dim() == 0) return features;
  const int64_t e = ps_->embedding_dim();
  std::vector<float> rows;
  HALO_RETURN_IF_ERROR(ps_->PullEmbeddings(nodes, &rows));
  if (config_.input_embedding.combine == "replace") {
    return Tensor::FromVector(rows, static_cast<int64_t>(nodes.size()), e, device_);
  }
  const int64_t f = features.cols();
  const std::vector<float> x = features.ToVector();
  std::vector<float> both(nodes.size() * static_cast<size_t>(f + e));
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::copy_n(x.begin() + static_cast<int64_t>(i) * f, f,
                both.begin() + static_cast<int64_t>(i) * (f + e));
    std::copy_n(rows.begin() + static_cast<int64_t>(i) * e, e,
                both.begin() + static_cast<int64_t>(i) * (f + e) + f);
  }
  return Tensor::FromVector(both, static_cast<int64_t>(nodes.size()), f + e, device_);
}

void Trainer::PushEmbeddingGrads(const std::vector<NodeId>& nodes, const Tensor& grad_x) {
  const int64_t e = ps_->embedding_dim();
  const int64_t width = grad_x.cols();
  const std::vector<float> g = grad_x.ToVector();
  std::vector<float> grads(nodes.size() * static_cast<size_t>(e));
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::copy_n(g.begin() + static_cast<int64_t>(i) * width + (width - e), e,
                grads.begin() + static_cast<int64_t>(i) * e);
  }
  ps_->PushEmbeddings(nodes, grads);
}

Status Trainer::Step(PreparedBatch* b, int64_t step_seeds, double* loss_sum, PhaseSeconds* phases) {
  if (ps_mode_) {
    core::Stopwatch pull;
    HALO_RETURN_IF_ERROR(ps_->PullDense());
    phases->allreduce += pull.seconds();
  }
  const bool embeddings = ps_ && ps_->embedding_dim() > 0;
  core::Stopwatch compute;
  if (b->num_seeds > 0) {
    std::vector<const GraphBlock*> block_ptrs;
    for (const auto& block : b->blocks) block_ptrs.push_back(&block);
    HALO_ASSIGN_OR_RETURN(const Tensor x, ModelInput(b->input_nodes, std::move(b->x)));
    const Tensor logits =
        model_->Forward(block_ptrs, x, true, MixSeed(config_.train.seed ^ 0x5eed, step_));
    Tensor grad(logits.rows(), logits.cols(), device_);
    const double loss = kernels::SoftmaxCrossEntropy(logits, b->labels, &grad);
    *loss_sum += loss * static_cast<double>(b->num_seeds);
    // This rank's share of the step's seeds: the summed gradient is that of the global mean.
    kernels::Scale(static_cast<float>(b->num_seeds) / static_cast<float>(step_seeds), &grad);
    const Tensor grad_x = model_->Backward(grad, /*need_grad_input=*/embeddings);
    if (embeddings) PushEmbeddingGrads(b->input_nodes, grad_x);
  } else {
    for (Parameter* p : model_->parameters()) p->grad.SetZero();
  }
  core::DeviceSynchronize(device_);
  phases->compute += compute.seconds();
  core::Stopwatch sync;
  if (ps_mode_) {
    ps_->PushDense();
  } else {
    HALO_RETURN_IF_ERROR(sync_->AllReduceGradients());
    optimizer_->Step();
  }
  if (ps_) HALO_RETURN_IF_ERROR(ps_->Clock());
  phases->allreduce += sync.seconds();
  if (comm_->rank() == config_.straggler.rank && config_.straggler.delay_ms > 0) {
    // An injected slowdown for staleness experiments (never used for synchronization).
    std::this_thread::sleep_for(std::chrono::milliseconds(config_.straggler.delay_ms));
  }
  return Status::OK();
}

Result<double> Trainer::TrainFullBatch(PhaseSeconds* phases) {
  ++step_;
  core::Stopwatch compute;
  std::vector<const GraphBlock*> blocks(static_cast<size_t>(model_->num_layers()), &full_block_);
  const Tensor logits =
      model_->Forward(blocks, features_, true, MixSeed(config_.train.seed, step_));
  Tensor grad(logits.rows(), logits.cols(), device_);
  const auto mine = static_cast<int64_t>(my_train_.size());
  double loss_sum = 0;
  if (mine > 0) {
    loss_sum = kernels::SoftmaxCrossEntropy(logits, train_labels_, &grad) * mine;
    kernels::Scale(static_cast<float>(mine) / static_cast<float>(StepSeeds(0)), &grad);
    model_->Backward(grad);
  } else {
    for (Parameter* p : model_->parameters()) p->grad.SetZero();
  }
  core::DeviceSynchronize(device_);
  phases->compute += compute.seconds();
  core::Stopwatch allreduce;
  HALO_RETURN_IF_ERROR(sync_->AllReduceGradients());
  phases->allreduce += allreduce.seconds();
  optimizer_->Step();
  double totals[1] = {loss_sum};
  HALO_RETURN_IF_ERROR(comm_->AllReduceSumHost(totals, 1));
  return totals[0] / static_cast<double>(StepSeeds(0));
}

Result<double> Trainer::TrainEpoch(int epoch, int64_t first_batch, PhaseSeconds* phases) {
  if (config_.train.mode == "full") return TrainFullBatch(phases);
  const std::vector<std::vector<NodeId>> batches = EpochBatches(epoch);
  const int64_t first_step = step_ + 1;  // batch first_batch + i runs as step first_step + i
  std::mutex phase_mu;
  core::Prefetcher<PreparedBatch> pipeline(
      steps_per_epoch_ - first_batch, config_.train.prefetch, config_.train.loader_threads,
      [&](int64_t i) -> Result<PreparedBatch> {
        HALO_ASSIGN_OR_RETURN(
            PreparedBatch b,
            Prepare(batches[static_cast<size_t>(first_batch + i)], first_step + i));
        std::lock_guard<std::mutex> lock(phase_mu);
        phases->sample += b.sample_seconds;
        phases->fetch += b.fetch_seconds;
        return b;
      });
  double loss_sum = 0;
  int64_t seeds = 0;
  for (int64_t i = first_batch; i < steps_per_epoch_; ++i) {
    core::Stopwatch wait;
    HALO_ASSIGN_OR_RETURN(PreparedBatch b, pipeline.Next());
    phases->wait += wait.seconds();
    ++step_;
    HALO_RETURN_IF_ERROR(Step(&b, StepSeeds(i), &loss_sum, phases));
    seeds += StepSeeds(i);
    const int every = config_.checkpoint.every_steps;
    if (every > 0 && step_ % every == 0 && i + 1 < steps_per_epoch_) {
      HALO_RETURN_IF_ERROR(Checkpoint(epoch, i + 1, restored_));
    }
  }
  if (ps_mode_) {
    // Ranks advance independently within the staleness bound: no collective here (evaluation is
    // the only one); the loss is this rank's own.
    int64_t mine = 0;
    for (const auto& b : batches) mine += static_cast<int64_t>(b.size());
    return mine > 0 ? loss_sum / static_cast<double>(mine) : 0.0;
  }
  double totals[1] = {loss_sum};
  HALO_RETURN_IF_ERROR(comm_->AllReduceSumHost(totals, 1));
  return seeds > 0 ? totals[0] / static_cast<double>(seeds) : 0.0;
}

Result<Trainer::EvalResult> Trainer::Evaluate() {
  std::vector<const GraphBlock*> blocks(static_cast<size_t>(model_->num_layers()), &full_block_);
  if (ps_mode_) HALO_RETURN_IF_ERROR(ps_->PullDense());
  Tensor with_embeddings;
  if (ps_ && ps_->embedding_dim() > 0) {
    HALO_ASSIGN_OR_RETURN(with_embeddings, ModelInput(data_.local_to_global, features_.Clone()));
  }
  const Tensor logits = model_->Forward(
      blocks, with_embeddings.numel() > 0 ? with_embeddings : features_, /*training=*/false, 0);
  Tensor unused_grad(logits.rows(), logits.cols(), device_);
  const double val_loss =
      my_val_.empty() ? 0.0 : kernels::SoftmaxCrossEntropy(logits, val_labels_, &unused_grad);
  double sums[7] = {static_cast<double>(kernels::CountCorrect(logits, train_labels_)),
                    static_cast<double>(my_train_local_.size()),
                    static_cast<double>(kernels::CountCorrect(logits, val_labels_)),
                    static_cast<double>(my_val_.size()),
                    static_cast<double>(kernels::CountCorrect(logits, test_labels_)),
                    static_cast<double>(my_test_.size()),
                    val_loss * static_cast<double>(my_val_.size())};
  HALO_RETURN_IF_ERROR(comm_->AllReduceSumHost(sums, 7));
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  EvalResult r;
  r.train_acc = ratio(sums[0], sums[1]);
  r.val_acc = ratio(sums[2], sums[3]);
  r.test_acc = ratio(sums[4], sums[5]);
  r.val_loss = ratio(sums[6], sums[3]);
  return r;
}

Status Trainer::Checkpoint(int epoch, int64_t batch_in_epoch, const TrainResult& result) {
  // The PS half of the state first (collective, at this clock): a checkpoint never refers to a
  // snapshot that does not exist.
  if (ps_) HALO_RETURN_IF_ERROR(ps_->Snapshot());
  if (comm_->rank() != 0) return Status::OK();
  nlohmann::json extra = {
      {"best_epoch", result.best_epoch},       {"best_val_acc", result.val_acc},
      {"best_test_acc", result.test_acc},      {"best_val_loss", best_val_loss_},
      {"final_val_acc", result.final_val_acc}, {"final_test_acc", result.final_test_acc}};
  CheckpointState state;
  state.epoch = epoch;
  state.batch_in_epoch = batch_in_epoch;
  state.step = step_;
  state.extra_json = extra.dump();
  HALO_ASSIGN_OR_RETURN(std::string path,
                        WriteCheckpoint(config_.output_dir, model_->parameters(), optimizer_.get(),
                                        state, config_.checkpoint.keep));
  (void)path;
  return Status::OK();
}

Result<TrainResult> Trainer::Run() {
  const std::string& out = config_.output_dir;
  const bool leader = comm_->rank() == 0;
  const bool distributed = dist_.distributed();
  HALO_RETURN_IF_ERROR(core::MakeDirs(rank_dir_));
  HALO_RETURN_IF_ERROR(
      core::WriteFileAtomic(rank_dir_ + "/config.yaml", TrainConfigToYaml(config_)));
  if (distributed && leader) {
    HALO_RETURN_IF_ERROR(core::WriteFileAtomic(out + "/config.yaml", TrainConfigToYaml(config_)));
  }
  if (start_epoch_ == 0 && start_batch_ == 0) {
    std::error_code ec;
    std::filesystem::remove(rank_dir_ + "/metrics.jsonl", ec);
  }
  HALO_ASSIGN_OR_RETURN(auto metrics, core::MetricsWriter::Open(rank_dir_ + "/metrics.jsonl"));
  const auto& t = config_.train;
  int64_t total_seeds = 0;
  for (int64_t c : rank_train_counts_) total_seeds += c;
  if (leader) {
    HALO_LOG(Info) << "training " << config_.model.type << " (" << t.mode << ") on "
                   << (distributed ? std::to_string(comm_->world_size()) + " ranks, " : "")
                   << "part " << data_.part << " of " << config_.dataset.partition_dir << ": "
                   << data_.num_inner << " inner nodes, " << my_train_.size()
                   << " train seeds here (" << total_seeds << " in all), " << steps_per_epoch_
                   << " steps per epoch, " << core::DeviceName(device_);
  }
  TrainResult result = restored_;
  result.rank = comm_->rank();
  result.world_size = comm_->world_size();
  result.part = data_.part;
  result.host = dist_.host;
  result.steps_per_epoch = steps_per_epoch_;
  result.local_train_seeds = static_cast<int64_t>(my_train_.size());
  double train_seconds = 0;
  // Only the leader reports progress: the launcher shows one line for the whole run.
  std::optional<core::Progress> progress;
  if (leader) {
    progress.emplace("epochs", t.epochs);
    progress->Add(start_epoch_);
  }
  const int log_every = std::max(1, t.epochs / 20);
  for (int epoch = start_epoch_; epoch < t.epochs; ++epoch) {
    core::Stopwatch watch;
    PhaseSeconds phases;
    const int64_t first_batch = epoch == start_epoch_ ? start_batch_ : 0;
    HALO_ASSIGN_OR_RETURN(double loss, TrainEpoch(epoch, first_batch, &phases));
    core::DeviceSynchronize(device_);
    const double secs = watch.seconds();
    train_seconds += secs;
    result.epoch_seconds.push_back(secs);
    result.final_loss = loss;
    result.phases.Add(phases);
    if (!std::isfinite(loss)) {
      return Status::Internal("training diverged: loss is " + std::to_string(loss) + " at epoch " +
                              std::to_string(epoch) + " (try a smaller train.lr)");
    }
    nlohmann::json line = {{"epoch", epoch},
                           {"loss", loss},
                           {"epoch_seconds", secs},
                           {"seeds_per_second", static_cast<double>(total_seeds) / secs},
                           {"phase_seconds", PhasesJson(phases)}};
    const bool last = epoch + 1 == t.epochs;
    if (t.eval_every > 0 && ((epoch + 1) % t.eval_every == 0 || last)) {
      core::Stopwatch eval_watch;
      HALO_ASSIGN_OR_RETURN(EvalResult e, Evaluate());
      result.phases.eval += eval_watch.seconds();
      line["train_acc"] = e.train_acc;
      line["val_acc"] = e.val_acc;
      line["val_loss"] = e.val_loss;
      line["test_acc"] = e.test_acc;
      // Model selection: best validation accuracy, ties broken by lower validation loss.
      if (result.best_epoch < 0 || e.val_acc > result.val_acc ||
          (e.val_acc == result.val_acc && e.val_loss < best_val_loss_)) {
        result.val_acc = e.val_acc;
        result.test_acc = e.test_acc;
        result.best_epoch = epoch;
        best_val_loss_ = e.val_loss;
      }
      result.final_val_acc = e.val_acc;
      result.final_test_acc = e.test_acc;
      if (leader && (epoch % log_every == 0 || last)) {
        HALO_LOG(Info) << "epoch " << epoch << ": loss " << loss << ", val " << e.val_acc
                       << ", test " << e.test_acc << ", " << secs << " s";
      }
    }
    HALO_RETURN_IF_ERROR(metrics->Write(line.dump()));
    const int every = config_.checkpoint.every_epochs;
    if (last || (every > 0 && (epoch + 1) % every == 0)) {
      if (ps_mode_) HALO_RETURN_IF_ERROR(ps_->PullDense());  // the values to save
      core::Stopwatch ckpt;
      restored_ = result;  // what a mid-epoch checkpoint of the next epoch carries
      HALO_RETURN_IF_ERROR(Checkpoint(epoch + 1, 0, result));
      result.phases.checkpoint += ckpt.seconds();
    }
    if (distributed && leader) {  // after the checkpoint: a reported epoch is never lost
      line["rank"] = comm_->rank();
      line["epochs"] = t.epochs;
      std::printf("halo-progress %s\n", line.dump().c_str());
      std::fflush(stdout);
    }
    if (progress) progress->Add(1);
  }
  if (progress) progress->Finish();
  result.epochs = t.epochs;
  result.seeds_per_second =
      train_seconds > 0 ? static_cast<double>(total_seeds) *
                              static_cast<double>(result.epoch_seconds.size()) / train_seconds
                        : 0;
  result.remote_sampled_rows = source_->num_remote_rows();
  result.remote_feature_rows = remote_feature_rows_;
  result.remote_cache_hits = remote_cache_->hits();
  result.sync_mode = config_.sync.mode;
  if (ps_) {
    result.staleness_json = ps_->StalenessJson();
    if (leader && ps_->embedding_dim() > 0) {
      // halo-embed reads the learned embeddings next to the checkpoints.
      HALO_ASSIGN_OR_RETURN(std::vector<float> rows, ps_->AllEmbeddings(data_.meta.num_nodes));
      HALO_RETURN_IF_ERROR(core::WriteNpy(out + "/input_embedding.npy", rows.data(),
                                          {data_.meta.num_nodes, ps_->embedding_dim()}));
    }
  }
  HALO_RETURN_IF_ERROR(core::WriteFileAtomic(rank_dir_ + "/result.json", result.ToJson()));
  if (distributed) {
    std::printf("halo-result %s\n", result.ToJson(-1).c_str());
    std::fflush(stdout);
  }
  if (leader) {
    if (result.best_epoch >= 0) {
      HALO_LOG(Info) << "done: test accuracy " << result.test_acc << " at best val "
                     << result.val_acc << " (epoch " << result.best_epoch << "); results in "
                     << out;
    } else {
      HALO_LOG(Info) << "done without evaluation (train.eval_every=0); results in " << out;
    }
  }
  // No rank leaves while another may still need it in a collective.
  HALO_RETURN_IF_ERROR(comm_->Barrier());
  return result;
}

}  // namespace halo::trainer
