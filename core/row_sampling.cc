#include "core/row_sampling.h"

#include <algorithm>

namespace halo::core {

namespace {
// Floyd's algorithm checks membership by a linear scan up to this fanout, by a hash set above.
constexpr int64_t kLinearScanMaxFanout = 32;
}  // namespace

int64_t SampleCount(int64_t degree, int64_t fanout, bool replace) {
  if (fanout < 0) return degree;
  if (replace) return degree > 0 ? fanout : 0;
  return std::min(degree, fanout);
}

void PositionSet::Reset(int64_t max_size) {
  size_t capacity = 16;
  while (capacity < 2 * static_cast<size_t>(max_size)) capacity *= 2;
  slots_.assign(capacity, -1);
  mask_ = capacity - 1;
}

bool PositionSet::Insert(int64_t pos) {
  size_t slot =
      static_cast<size_t>((static_cast<uint64_t>(pos) * 0x9E3779B97F4A7C15ULL) >> 32) & mask_;
  while (slots_[slot] != -1) {
    if (slots_[slot] == pos) return false;
    slot = (slot + 1) & mask_;
  }
  slots_[slot] = pos;
  return true;
}

void SampleRowPositions(int64_t degree, int64_t fanout, bool replace, Rng* rng, PositionSet* set,
                        int64_t* out) {
  if (fanout < 0 || (!replace && degree <= fanout)) {
    for (int64_t i = 0; i < degree; ++i) out[i] = i;
    return;
  }
  if (degree == 0) return;
  if (replace) {
    for (int64_t i = 0; i < fanout; ++i) {
      out[i] = static_cast<int64_t>(rng->Uniform(static_cast<uint64_t>(degree)));
    }
  } else {
    // Floyd's algorithm: a uniform `fanout`-subset of [0, degree) in `fanout` draws.
    const bool linear = fanout <= kLinearScanMaxFanout;
    if (!linear) set->Reset(fanout);
    int64_t size = 0;
    for (int64_t j = degree - fanout; j < degree; ++j) {
      const int64_t t = static_cast<int64_t>(rng->Uniform(static_cast<uint64_t>(j) + 1));
      bool fresh;
      if (linear) {
        fresh = std::find(out, out + size, t) == out + size;
      } else {
        fresh = set->Insert(t);
        // j is new either way: every earlier pick is < j.
        if (!fresh) set->Insert(j);
      }
      out[size++] = fresh ? t : j;
    }
  }
  // Ascending positions: canonical output and CSR-ordered memory access.
  std::sort(out, out + fanout);
}

}  // namespace halo::core
