// Epochs of minibatches: the training seeds shuffled per epoch and cut into batches.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace halo::sampler {

using core::NodeId;

// `seeds` in an order determined by (seed, epoch) alone (Fisher-Yates driven by
// DeriveSeed(seed, epoch)), the same on every platform.
std::vector<NodeId> ShuffleSeeds(std::vector<NodeId> seeds, uint64_t seed, int64_t epoch);

// The number of batches SeedBatches returns for `num_seeds` seeds.
int64_t NumSeedBatches(int64_t num_seeds, int64_t batch_size, bool drop_last);

// ShuffleSeeds(seeds, seed, epoch) cut into consecutive batches of `batch_size`; the last one is
// smaller when batch_size does not divide seeds.size(), or dropped with `drop_last`.
// Errors: InvalidArgument when batch_size <= 0.
core::Result<std::vector<std::vector<NodeId>>> SeedBatches(const std::vector<NodeId>& seeds,
                                                           int64_t batch_size, uint64_t seed,
                                                           int64_t epoch, bool drop_last);

}  // namespace halo::sampler
