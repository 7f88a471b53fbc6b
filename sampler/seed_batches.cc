#include "sampler/seed_batches.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/check.h"
#include "core/random.h"

namespace halo::sampler {

using core::DeriveSeed;
using core::Rng;

std::vector<NodeId> ShuffleSeeds(std::vector<NodeId> seeds, uint64_t seed, int64_t epoch) {
  Rng rng(DeriveSeed(seed, static_cast<uint64_t>(epoch)));
  for (size_t i = seeds.size(); i > 1; --i) {
    std::swap(seeds[i - 1], seeds[rng.Uniform(i)]);
  }
  return seeds;
}

int64_t NumSeedBatches(int64_t num_seeds, int64_t batch_size, bool drop_last) {
  HALO_CHECK(batch_size > 0 && num_seeds >= 0) << num_seeds << " seeds, batch " << batch_size;
  return drop_last ? num_seeds / batch_size : (num_seeds + batch_size - 1) / batch_size;
}

core::Result<std::vector<std::vector<NodeId>>> SeedBatches(const std::vector<NodeId>& seeds,
                                                           int64_t batch_size, uint64_t seed,
                                                           int64_t epoch, bool drop_last) {
  if (batch_size <= 0) {
    return core::Status::InvalidArgument("batch size must be positive, got " +
                                         std::to_string(batch_size));
  }
  const std::vector<NodeId> order = ShuffleSeeds(seeds, seed, epoch);
  const int64_t n = static_cast<int64_t>(order.size());
  const int64_t num_batches = NumSeedBatches(n, batch_size, drop_last);
  std::vector<std::vector<NodeId>> batches(static_cast<size_t>(num_batches));
  for (int64_t b = 0; b < num_batches; ++b) {
    const int64_t begin = b * batch_size;
    const int64_t end = std::min(begin + batch_size, n);
    batches[b].assign(order.begin() + begin, order.begin() + end);
  }
  return batches;
}

}  // namespace halo::sampler
