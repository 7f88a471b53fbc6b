// Checkpoints of a training run: the model's parameters, the optimizer's state and where the run
// stands (epoch, batch within the epoch, global step, best validation so far), so that a run
// stopped at any point resumes exactly where the newest complete checkpoint left it. Sampling and
// dropout draw from (seed, step), so the step is the whole RNG state.
//
// Layout: <run>/checkpoints/ckpt-<step, 12 digits>/{state.json, param-<i>.npy, optim-<i>.npy}.
// Each checkpoint is written into a staging directory and renamed into place, so a directory
// named ckpt-* is always complete; only the newest `keep` are kept.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "trainer/optim.h"
#include "trainer/parameter.h"

namespace halo::trainer {

struct CheckpointState {
  int epoch = 0;                  // the epoch to run next (or to continue)
  int64_t batch_in_epoch = 0;     // batches of `epoch` already done
  int64_t step = 0;               // global step count
  std::string extra_json = "{}";  // the trainer's own bookkeeping (best validation, timings)
};

// The checkpoint directory of a run.
std::string CheckpointDir(const std::string& run_dir);

// Writes a checkpoint of `params` and `optimizer` under CheckpointDir(run_dir), then deletes all
// but the newest `keep`. Returns the checkpoint's path.
core::Result<std::string> WriteCheckpoint(const std::string& run_dir,
                                          const std::vector<Parameter*>& params,
                                          Optimizer* optimizer, const CheckpointState& state,
                                          int keep);

// The newest complete checkpoint of a run, or nullopt when it has none.
core::Result<std::optional<std::string>> FindLatestCheckpoint(const std::string& run_dir);

// Loads `path` into `params` and `optimizer` (either may be null to skip it). Corruption naming the
// file when a tensor's name, shape or count disagrees with the model.
core::Result<CheckpointState> LoadCheckpoint(const std::string& path,
                                             const std::vector<Parameter*>& params,
                                             Optimizer* optimizer);

}  // namespace halo::trainer
