// Table: the rows of one parameter-server table that one shard holds, with their optimizer state,
// and the gradient sums of BSP (s = 0) tables waiting for their clock to close.
//
//   Table t(spec, /*shard=*/0, /*num_shards=*/2);     // allocates and initializes its rows
//   HALO_RETURN_IF_ERROR(t.CheckOwned(ids, n));
//   t.Gather(ids, n, out);                             // n x dim floats
//   t.ApplyGradients(ids, n, grads);                   // duplicates summed, one update per row
//
// Every row is allocated at construction (ShardMap::LocalRows of the shard) and initialized by
// InitRow, so a row's initial value depends only on (seed, row ID). Updates are atomic per row:
// a row is read and written under its stripe's mutex (rows map to stripes by local index), so a
// gather never sees half an update and concurrent pushes to one row serialize.
//
// Thread-safety: Gather, ApplyGradients, Accumulate and ApplyPending may run from any number of
// threads at once; so may Export and ImportRow (for snapshots and restores).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "ps/shard_map.h"
#include "ps/table_spec.h"

namespace halo::ps {

// A table's rows on one shard, as written to and read from snapshots.
struct TableRows {
  std::vector<int64_t> rows;   // row IDs, in local-index order
  std::vector<float> values;   // rows.size() x dim
  std::vector<float> state;    // rows.size() x StateFloatsPerRow
  std::vector<int64_t> steps;  // updates per row
};

class Table {
 public:
  Table(TableSpec spec, int shard, int num_shards);
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const TableSpec& spec() const { return spec_; }
  const ShardMap& map() const { return map_; }
  int shard() const { return shard_; }
  int64_t num_local_rows() const { return num_local_; }
  int64_t state_floats() const { return state_floats_; }

  // OK when every ID is a row of the table held by this shard; else OutOfRange naming the first
  // bad ID, its position, and the shard that holds it.
  core::Status CheckOwned(const int64_t* ids, size_t n) const;
  // Copies the rows of `ids` (owned, duplicates allowed) into out[i * dim ...].
  void Gather(const int64_t* ids, size_t n, float* out) const;
  // Sums the gradients of equal IDs, then applies one optimizer update per distinct row.
  void ApplyGradients(const int64_t* ids, size_t n, const float* grads);
  // BSP: adds the gradients to worker `worker`'s sums of clock `clock` (applied by ApplyPending).
  void Accumulate(int64_t clock, int64_t worker, const int64_t* ids, size_t n, const float* grads);
  // Applies the sums of `clock`, added over workers in worker order (so the result does not depend
  // on the order pushes arrived in), as one optimizer update per row, and drops them.
  void ApplyPending(int64_t clock);
  // Clocks with gradient sums not yet applied.
  std::vector<int64_t> PendingClocks() const;

  // Every row with its state, each row copied atomically (the whole table is a consistent copy
  // when no push runs meanwhile).
  TableRows Export() const;
  // Overwrites row `row` (owned) with `values` (dim floats), `state` and `step`.
  void ImportRow(int64_t row, const float* values, const float* state, int64_t step);

 private:
  static constexpr size_t kStripes = 256;
  std::mutex& StripeOf(int64_t slot) const {
    return stripes_[static_cast<size_t>(slot) % kStripes];
  }
  // Applies summed gradients `sums` (one row each) to the slots `slots`.
  void ApplySums(const std::vector<int64_t>& slots, const float* sums);

  struct Sums {
    std::unordered_map<int64_t, int64_t> index;  // slot -> row of sums
    std::vector<int64_t> slots;
    std::vector<float> sums;
    // Adds `grad` (dim floats) to the sum of `slot`.
    void Add(int64_t slot, const float* grad, size_t dim);
  };

  const TableSpec spec_;
  const ShardMap map_;
  const int shard_;
  const int64_t dim_;
  const int64_t num_local_;
  const int64_t state_floats_;
  std::vector<int64_t> rows_;  // local index -> row ID
  std::vector<float> values_;  // guarded per row by its stripe
  std::vector<float> state_;
  std::vector<int64_t> steps_;
  mutable std::array<std::mutex, kStripes> stripes_;

  mutable std::mutex pending_mu_;
  std::map<int64_t, std::map<int64_t, Sums>> pending_;  // clock -> worker -> sums; pending_mu_
};

}  // namespace halo::ps
