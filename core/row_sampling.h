// Uniform sampling of positions within one adjacency row: the shared core of local neighbor
// sampling (sampler/) and of the stores' sample RPC (storage/), so both draw the same
// neighbors for the same (seed, node).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/random.h"

namespace halo::core {

// Neighbors drawn from a row of `degree`: all when fanout < 0; min(degree, fanout) without
// replacement; fanout (0 for an empty row) with replacement.
int64_t SampleCount(int64_t degree, int64_t fanout, bool replace);

// Scratch for large fanouts without replacement; reuse one per thread.
class PositionSet {
 public:
  void Reset(int64_t max_size);
  // False when `pos` was already in the set.
  bool Insert(int64_t pos);

 private:
  std::vector<int64_t> slots_;
  size_t mask_ = 0;
};

// Writes SampleCount(degree, fanout, replace) positions in [0, degree), ascending, to `out`:
// a uniform subset (Floyd's algorithm) without replacement, independent uniform draws with it.
void SampleRowPositions(int64_t degree, int64_t fanout, bool replace, Rng* rng, PositionSet* set,
                        int64_t* out);

}  // namespace halo::core
