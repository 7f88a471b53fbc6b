#include "trainer/trainer.h"

#include <omp.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/fs.h"
#include "core/logging.h"
#include "core/metrics.h"
#include "core/progress.h"
#include "core/sys_stats.h"
#include "kernels/gather_scatter.h"
#include "kernels/loss.h"
#include "sampler/full_graph.h"
#include "sampler/local_neighbor_source.h"
#include "sampler/neighbor_sampler.h"
#include "sampler/seed_batches.h"
#include "trainer/init.h"

namespace halo::trainer {

using core::Result;
using core::Status;
using core::Tensor;

std::string TrainResult::ToJson() const {
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
  return j.dump(2) + "\n";
}

Result<std::unique_ptr<Trainer>> Trainer::Create(const TrainConfig& config) {
  HALO_RETURN_IF_ERROR(ValidateTrainConfig(config));
  std::unique_ptr<Trainer> t(new Trainer());
  t->config_ = config;
  HALO_ASSIGN_OR_RETURN(t->device_, core::ParseDevice(config.train.device));
  if (t->device_ == core::Device::kCuda && !core::CudaAvailable()) {
    return Status::FailedPrecondition("train.device is cuda but " + core::CudaUnavailableReason());
  }
  if (config.train.num_threads > 0) omp_set_num_threads(config.train.num_threads);
  HALO_ASSIGN_OR_RETURN(t->data_,
                        LoadTrainingData(config.dataset.partition_dir, config.dataset.part,
                                         config.dataset.normalize_features));
  if (t->data_.meta.num_parts > 1 && t->data_.meta.halo_hops < config.model.num_layers) {
    HALO_LOG(Warning) << config.dataset.partition_dir << " keeps a " << t->data_.meta.halo_hops
                      << "-hop halo but the model has " << config.model.num_layers
                      << " layers: neighborhoods beyond the halo are cut (partition with "
                      << "--halo_hops=" << config.model.num_layers << ")";
  }
  if (t->data_.train_nodes.empty()) {
    return Status::InvalidArgument("part " + std::to_string(config.dataset.part) +
                                   " has no labeled training nodes");
  }
  t->features_ =
      Tensor::FromVector(t->data_.features, t->data_.num_local, t->data_.feature_dim, t->device_);
  HALO_ASSIGN_OR_RETURN(
      t->model_, Model::Create(config.model, t->data_.feature_dim, t->data_.num_classes, t->device_,
                               config.train.seed));
  OptimizerConfig oc;
  oc.name = config.train.optimizer;
  oc.lr = config.train.lr;
  oc.weight_decay = config.train.weight_decay;
  oc.momentum = config.train.momentum;
  HALO_ASSIGN_OR_RETURN(t->optimizer_, Optimizer::Create(oc, t->model_->parameters()));
  t->train_labels_ = t->LabelsFor(t->data_.train_nodes, /*all_rows=*/true);
  t->val_labels_ = t->LabelsFor(t->data_.val_nodes, /*all_rows=*/true);
  t->test_labels_ = t->LabelsFor(t->data_.test_nodes, /*all_rows=*/true);
  t->full_block_ =
      MakeGraphBlock(sampler::FullGraphBlock(t->data_.csr), t->model_->block_options(), t->device_);
  return t;
}

core::Array<int64_t> Trainer::LabelsFor(const std::vector<NodeId>& nodes, bool all_rows) const {
  std::vector<int64_t> labels;
  if (all_rows) {
    labels.assign(static_cast<size_t>(data_.num_local), -1);
    for (NodeId v : nodes) labels[static_cast<size_t>(v)] = data_.labels[static_cast<size_t>(v)];
  } else {
    labels.reserve(nodes.size());
    for (NodeId v : nodes) labels.push_back(data_.labels[static_cast<size_t>(v)]);
  }
  return core::Array<int64_t>::FromVector(labels, device_);
}

Tensor Trainer::FullLogits() {
  std::vector<const GraphBlock*> blocks(static_cast<size_t>(model_->num_layers()), &full_block_);
  return model_->Forward(blocks, features_, /*training=*/false, 0);
}

Result<double> Trainer::TrainEpoch(int epoch) {
  const auto& t = config_.train;
  if (t.mode == "full") {
    std::vector<const GraphBlock*> blocks(static_cast<size_t>(model_->num_layers()), &full_block_);
    const Tensor logits = model_->Forward(blocks, features_, true, MixSeed(t.seed, ++step_));
    Tensor grad(logits.rows(), logits.cols(), device_);
    const float loss = kernels::SoftmaxCrossEntropy(logits, train_labels_, &grad);
    model_->Backward(grad);
    optimizer_->Step();
    return static_cast<double>(loss);
  }
  sampler::LocalNeighborSource source(&data_.csr);
  sampler::NeighborSampler sampler(&source, t.fanouts, t.replace);
  HALO_ASSIGN_OR_RETURN(
      auto batches, sampler::SeedBatches(data_.train_nodes, t.batch_size, t.seed, epoch, false));
  double loss_sum = 0;
  for (const auto& seeds : batches) {
    ++step_;
    HALO_ASSIGN_OR_RETURN(sampler::MiniBatch mb, sampler.Sample(seeds, MixSeed(t.seed, step_)));
    std::vector<GraphBlock> blocks;
    blocks.reserve(mb.blocks.size());
    for (const auto& b : mb.blocks)
      blocks.push_back(MakeGraphBlock(b, model_->block_options(), device_));
    std::vector<const GraphBlock*> block_ptrs;
    for (const auto& b : blocks) block_ptrs.push_back(&b);
    const auto input_idx = core::Array<int64_t>::FromVector(mb.input_nodes, device_);
    Tensor x(static_cast<int64_t>(mb.input_nodes.size()), data_.feature_dim, device_);
    kernels::GatherRows(features_, input_idx, &x);
    const Tensor logits = model_->Forward(block_ptrs, x, true, MixSeed(t.seed ^ 0x5eed, step_));
    const core::Array<int64_t> labels = LabelsFor(mb.seeds, /*all_rows=*/false);
    Tensor grad(logits.rows(), logits.cols(), device_);
    loss_sum +=
        kernels::SoftmaxCrossEntropy(logits, labels, &grad) * static_cast<double>(seeds.size());
    model_->Backward(grad);
    optimizer_->Step();
  }
  return loss_sum / static_cast<double>(data_.train_nodes.size());
}

Result<TrainResult> Trainer::Run() {
  const std::string& out = config_.output_dir;
  HALO_RETURN_IF_ERROR(core::MakeDirs(out));
  HALO_RETURN_IF_ERROR(core::WriteFileAtomic(out + "/config.yaml", TrainConfigToYaml(config_)));
  std::error_code ec;
  std::filesystem::remove(out + "/metrics.jsonl", ec);
  HALO_ASSIGN_OR_RETURN(auto metrics, core::MetricsWriter::Open(out + "/metrics.jsonl"));
  const auto& t = config_.train;
  HALO_LOG(Info) << "training " << config_.model.type << " (" << t.mode << ") on part "
                 << data_.part << " of " << config_.dataset.partition_dir << ": " << data_.num_inner
                 << " inner nodes, " << data_.train_nodes.size() << " train, "
                 << data_.val_nodes.size() << " val, " << data_.test_nodes.size() << " test, "
                 << core::DeviceName(device_);
  TrainResult result;
  double best_val_loss = 0;
  double train_seconds = 0;
  core::Progress progress("epochs", t.epochs);
  const int log_every = std::max(1, t.epochs / 20);
  for (int epoch = 0; epoch < t.epochs; ++epoch) {
    core::Stopwatch watch;
    HALO_ASSIGN_OR_RETURN(double loss, TrainEpoch(epoch));
    core::DeviceSynchronize(device_);
    const double secs = watch.seconds();
    train_seconds += secs;
    result.epoch_seconds.push_back(secs);
    result.final_loss = loss;
    if (!std::isfinite(loss)) {
      return Status::Internal("training diverged: loss is " + std::to_string(loss) + " at epoch " +
                              std::to_string(epoch) + " (try a smaller train.lr)");
    }
    nlohmann::json line = {{"epoch", epoch},
                           {"loss", loss},
                           {"epoch_seconds", secs},
                           {"seeds_per_second", data_.train_nodes.size() / secs}};
    const bool last = epoch + 1 == t.epochs;
    if (t.eval_every > 0 && ((epoch + 1) % t.eval_every == 0 || last)) {
      const Tensor logits = FullLogits();
      auto accuracy = [&](const core::Array<int64_t>& labels, size_t count) {
        if (count == 0) return 0.0;
        return static_cast<double>(kernels::CountCorrect(logits, labels)) /
               static_cast<double>(count);
      };
      const double val = accuracy(val_labels_, data_.val_nodes.size());
      const double test = accuracy(test_labels_, data_.test_nodes.size());
      Tensor unused_grad(logits.rows(), logits.cols(), device_);
      const double val_loss = data_.val_nodes.empty()
                                  ? 0.0
                                  : kernels::SoftmaxCrossEntropy(logits, val_labels_, &unused_grad);
      line["train_acc"] = accuracy(train_labels_, data_.train_nodes.size());
      line["val_acc"] = val;
      line["val_loss"] = val_loss;
      line["test_acc"] = test;
      // Model selection: best validation accuracy, ties broken by lower validation loss.
      if (result.best_epoch < 0 || val > result.val_acc ||
          (val == result.val_acc && val_loss < best_val_loss)) {
        result.val_acc = val;
        result.test_acc = test;
        result.best_epoch = epoch;
        best_val_loss = val_loss;
      }
      result.final_val_acc = val;
      result.final_test_acc = test;
      if (epoch % log_every == 0 || last) {
        HALO_LOG(Info) << "epoch " << epoch << ": loss " << loss << ", val " << val << ", test "
                       << test << ", " << secs << " s";
      }
    }
    HALO_RETURN_IF_ERROR(metrics->Write(line.dump()));
    progress.Add(1);
  }
  progress.Finish();
  result.epochs = t.epochs;
  result.seeds_per_second =
      train_seconds > 0 ? static_cast<double>(data_.train_nodes.size()) * t.epochs / train_seconds
                        : 0;
  HALO_RETURN_IF_ERROR(core::WriteFileAtomic(out + "/result.json", result.ToJson()));
  if (result.best_epoch >= 0) {
    HALO_LOG(Info) << "done: test accuracy " << result.test_acc << " at best val " << result.val_acc
                   << " (epoch " << result.best_epoch << "); results in " << out;
  } else {
    HALO_LOG(Info) << "done without evaluation (train.eval_every=0); results in " << out;
  }
  return result;
}

}  // namespace halo::trainer
