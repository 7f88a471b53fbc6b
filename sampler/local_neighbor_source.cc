#include "sampler/local_neighbor_source.h"

#include <algorithm>
#include <string>

#include "core/check.h"
#include "sampler/random.h"

namespace halo::sampler {
namespace {

// Below this many nodes, starting OpenMP threads costs more than the sampling.
constexpr int64_t kParallelMinNodes = 512;
// Floyd's algorithm checks membership by a linear scan up to this fanout, by a hash set above.
constexpr int64_t kLinearScanMaxFanout = 32;

// A set of row positions for Floyd's algorithm with large fanouts (open addressing).
class PositionSet {
 public:
  void Reset(int64_t max_size) {
    size_t capacity = 16;
    while (capacity < 2 * static_cast<size_t>(max_size)) capacity *= 2;
    slots_.assign(capacity, -1);
    mask_ = capacity - 1;
  }
  // False when `pos` was already in the set.
  bool Insert(int64_t pos) {
    size_t slot =
        static_cast<size_t>((static_cast<uint64_t>(pos) * 0x9E3779B97F4A7C15ULL) >> 32) & mask_;
    while (slots_[slot] != -1) {
      if (slots_[slot] == pos) return false;
      slot = (slot + 1) & mask_;
    }
    slots_[slot] = pos;
    return true;
  }

 private:
  std::vector<int64_t> slots_;
  size_t mask_ = 0;
};

int64_t SampleCount(int64_t degree, int64_t fanout, bool replace) {
  if (fanout < 0) return degree;
  if (replace) return degree > 0 ? fanout : 0;
  return std::min(degree, fanout);
}

// Writes SampleCount(degree, fanout, replace) positions in [0, degree), ascending, to `out`.
void SamplePositions(int64_t degree, int64_t fanout, bool replace, Rng* rng, PositionSet* set,
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

}  // namespace

LocalNeighborSource::LocalNeighborSource(const core::Csr* csr) : csr_(csr) {
  HALO_CHECK(csr != nullptr);
}

core::Status LocalNeighborSource::SampleInNeighbors(const std::vector<NodeId>& nodes,
                                                    int64_t fanout, bool replace, uint64_t seed,
                                                    std::vector<int64_t>* offsets,
                                                    std::vector<NodeId>* neighbors,
                                                    std::vector<int64_t>* edge_ids) const {
  HALO_CHECK(offsets != nullptr && neighbors != nullptr);
  if (fanout < -1) {
    return core::Status::InvalidArgument("fanout must be -1 (all neighbors) or >= 0, got " +
                                         std::to_string(fanout));
  }
  const int64_t n = static_cast<int64_t>(nodes.size());
  const int64_t num_rows = csr_->num_rows();
  // Counts are known without drawing: validate and size the output in one sequential pass.
  offsets->resize(static_cast<size_t>(n) + 1);
  (*offsets)[0] = 0;
  for (int64_t i = 0; i < n; ++i) {
    const NodeId v = nodes[i];
    if (v < 0 || v >= num_rows) {
      return core::Status::OutOfRange("node " + std::to_string(v) + " is outside [0, " +
                                      std::to_string(num_rows) + ")");
    }
    (*offsets)[i + 1] = (*offsets)[i] + SampleCount(csr_->degree(v), fanout, replace);
  }
  const size_t total = static_cast<size_t>(offsets->back());
  neighbors->resize(total);
  if (edge_ids != nullptr) edge_ids->resize(total);

  const core::EdgeId* indptr = csr_->indptr.data();
  const NodeId* indices = csr_->indices.data();
  const int64_t* out_offsets = offsets->data();
  NodeId* out_neighbors = neighbors->data();
  int64_t* out_edges = edge_ids != nullptr ? edge_ids->data() : nullptr;
#pragma omp parallel if (n >= kParallelMinNodes)
  {
    PositionSet set;
    std::vector<int64_t> positions;
#pragma omp for schedule(dynamic, 64)
    for (int64_t i = 0; i < n; ++i) {
      const NodeId v = nodes[i];
      const int64_t count = out_offsets[i + 1] - out_offsets[i];
      if (count == 0) continue;
      const core::EdgeId row_start = indptr[v];
      positions.resize(static_cast<size_t>(count));
      Rng rng(DeriveSeed(seed, static_cast<uint64_t>(v)));
      SamplePositions(indptr[v + 1] - row_start, fanout, replace, &rng, &set, positions.data());
      const int64_t out = out_offsets[i];
      for (int64_t j = 0; j < count; ++j) {
        const core::EdgeId e = row_start + positions[j];
        out_neighbors[out + j] = indices[e];
        if (out_edges != nullptr) out_edges[out + j] = e;
      }
    }
  }
  return core::Status::OK();
}

}  // namespace halo::sampler
