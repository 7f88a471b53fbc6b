// Data-parallel synchronization of a model's dense parameters through a Communicator: rank 0's
// initial values are broadcast, and each step's gradients are summed across ranks in fused
// buckets (one collective per ~bucket_bytes instead of one per tensor).
//
// Each rank scales its loss gradient by (its seeds / all ranks' seeds) of the step before the
// backward pass, so the summed gradient equals the gradient of the mean loss over every seed of
// the step, whatever the ranks' batch sizes.
#pragma once
#include <cstddef>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "trainer/communicator.h"
#include "trainer/parameter.h"

namespace halo::trainer {

class GradientSync {
 public:
  GradientSync(Communicator* comm, std::vector<Parameter*> params, size_t bucket_bytes);
  // Copies every parameter (value) from `root` to all ranks.
  core::Status BroadcastValues(int root);
  // Copies arbitrary tensors (optimizer state) from `root` to all ranks.
  core::Status BroadcastTensors(const std::vector<core::Tensor*>& tensors, int root);
  // Replaces every gradient by its sum over all ranks.
  core::Status AllReduceGradients();

 private:
  Communicator* comm_;
  std::vector<Parameter*> params_;
  // Consecutive parameters fused per bucket: [begin, end) into params_.
  std::vector<std::pair<size_t, size_t>> buckets_;
  core::Tensor flat_;  // one bucket's worth of floats on the communicator's device
};

}  // namespace halo::trainer
