// Single-process training on one part: full-batch (whole local graph per step) or sampled
// minibatches (NeighborSampler over the part's CSR), evaluation on val/test by full-neighbor
// inference, metrics per epoch in <output_dir>/metrics.jsonl, and <output_dir>/result.json.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "trainer/config.h"
#include "trainer/dataset.h"
#include "trainer/graph_block.h"
#include "trainer/model.h"
#include "trainer/optim.h"

namespace halo::trainer {

struct TrainResult {
  double test_acc = 0;  // test accuracy at the epoch of best validation accuracy
  double val_acc = 0;   // best validation accuracy
  int best_epoch = -1;
  double final_test_acc = 0;  // after the last epoch
  double final_val_acc = 0;
  double final_loss = 0;
  int epochs = 0;
  std::vector<double> epoch_seconds;
  double seeds_per_second = 0;  // training seed nodes per second of training time
  std::string ToJson() const;
};

class Trainer {
 public:
  static core::Result<std::unique_ptr<Trainer>> Create(const TrainConfig& config);
  // Trains for config.train.epochs epochs and writes the outputs.
  core::Result<TrainResult> Run();
  Model* model() { return model_.get(); }

 private:
  Trainer() = default;
  // One epoch; returns the mean training loss.
  core::Result<double> TrainEpoch(int epoch);
  core::Tensor FullLogits();
  // Labels on device_: one per entry of `nodes` (all_rows false), or one per local node with -1
  // everywhere but `nodes` (all_rows true).
  core::Array<int64_t> LabelsFor(const std::vector<NodeId>& nodes, bool all_rows) const;

  TrainConfig config_;
  core::Device device_ = core::Device::kCpu;
  TrainingData data_;
  core::Tensor features_;  // num_local x dim on device_
  std::unique_ptr<Model> model_;
  std::unique_ptr<Optimizer> optimizer_;
  GraphBlock full_block_;  // the whole local graph, with the model's block options
  // Per-local-node labels restricted to each split (built once: used every epoch).
  core::Array<int64_t> train_labels_, val_labels_, test_labels_;
  int64_t step_ = 0;
};

}  // namespace halo::trainer
