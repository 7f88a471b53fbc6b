#include "ps/table.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/check.h"

namespace halo::ps {

Table::Table(TableSpec spec, int shard, int num_shards)
    : spec_(std::move(spec)),
      map_(spec_.routing, spec_.num_rows, num_shards),
      shard_(shard),
      dim_(spec_.dim),
      num_local_(map_.NumLocalRows(shard)),
      state_floats_(StateFloatsPerRow(spec_.optimizer, spec_.dim)) {
  rows_ = map_.LocalRows(shard);
  HALO_CHECK(static_cast<int64_t>(rows_.size()) == num_local_);
  const size_t n = static_cast<size_t>(num_local_);
  values_.resize(n * static_cast<size_t>(dim_));
  state_.resize(n * static_cast<size_t>(state_floats_));
  steps_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    InitRow(spec_.init, rows_[i], dim_, values_.data() + i * static_cast<size_t>(dim_));
    InitRowState(spec_.optimizer, dim_, state_.data() + i * static_cast<size_t>(state_floats_));
  }
}

core::Status Table::CheckOwned(const int64_t* ids, size_t n) const {
  for (size_t i = 0; i < n; ++i) {
    const int64_t id = ids[i];
    if (!map_.Contains(id)) {
      return core::Status::OutOfRange("table \"" + spec_.name + "\": row " + std::to_string(id) +
                                      " (position " + std::to_string(i) + ") is out of range [0, " +
                                      std::to_string(spec_.num_rows) + ")");
    }
    const int owner = map_.Shard(id);
    if (owner != shard_) {
      return core::Status::OutOfRange("table \"" + spec_.name + "\": row " + std::to_string(id) +
                                      " (position " + std::to_string(i) + ") lives on shard " +
                                      std::to_string(owner) + ", not on shard " +
                                      std::to_string(shard_));
    }
  }
  return core::Status::OK();
}

void Table::Gather(const int64_t* ids, size_t n, float* out) const {
  const size_t d = static_cast<size_t>(dim_);
  for (size_t i = 0; i < n; ++i) {
    const int64_t slot = map_.LocalIndex(ids[i]);
    std::lock_guard<std::mutex> lock(StripeOf(slot));
    std::memcpy(out + i * d, values_.data() + static_cast<size_t>(slot) * d, d * sizeof(float));
  }
}

void Table::ApplySums(const std::vector<int64_t>& slots, const float* sums) {
  const size_t d = static_cast<size_t>(dim_);
  const size_t k = static_cast<size_t>(state_floats_);
  for (size_t i = 0; i < slots.size(); ++i) {
    const size_t slot = static_cast<size_t>(slots[i]);
    std::lock_guard<std::mutex> lock(StripeOf(slots[i]));
    ApplyRowUpdate(spec_.optimizer, dim_, values_.data() + slot * d, state_.data() + slot * k,
                   &steps_[slot], sums + i * d);
  }
}

void Table::ApplyGradients(const int64_t* ids, size_t n, const float* grads) {
  const size_t d = static_cast<size_t>(dim_);
  // Positions sorted by local slot (stable: equal rows sum in request order, deterministically).
  std::vector<std::pair<int64_t, size_t>> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = {map_.LocalIndex(ids[i]), i};
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<int64_t> slots;
  std::vector<float> sums;
  slots.reserve(n);
  sums.reserve(n * d);
  for (size_t i = 0; i < n;) {
    const int64_t slot = order[i].first;
    slots.push_back(slot);
    const size_t base = sums.size();
    sums.insert(sums.end(), grads + order[i].second * d, grads + (order[i].second + 1) * d);
    for (++i; i < n && order[i].first == slot; ++i) {
      const float* g = grads + order[i].second * d;
      for (size_t j = 0; j < d; ++j) sums[base + j] += g[j];
    }
  }
  ApplySums(slots, sums.data());
}

void Table::Sums::Add(int64_t slot, const float* grad, size_t dim) {
  auto [it, inserted] = index.emplace(slot, static_cast<int64_t>(slots.size()));
  if (inserted) {
    slots.push_back(slot);
    sums.insert(sums.end(), grad, grad + dim);
    return;
  }
  float* s = sums.data() + static_cast<size_t>(it->second) * dim;
  for (size_t j = 0; j < dim; ++j) s[j] += grad[j];
}

void Table::Accumulate(int64_t clock, int64_t worker, const int64_t* ids, size_t n,
                       const float* grads) {
  const size_t d = static_cast<size_t>(dim_);
  std::lock_guard<std::mutex> lock(pending_mu_);
  Sums& sums = pending_[clock][worker];
  for (size_t i = 0; i < n; ++i) sums.Add(map_.LocalIndex(ids[i]), grads + i * d, d);
}

void Table::ApplyPending(int64_t clock) {
  std::map<int64_t, Sums> by_worker;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    auto it = pending_.find(clock);
    if (it == pending_.end()) return;
    by_worker = std::move(it->second);
    pending_.erase(it);
  }
  const size_t d = static_cast<size_t>(dim_);
  Sums total;
  for (const auto& [worker, sums] : by_worker) {  // worker order: deterministic float sums
    for (size_t i = 0; i < sums.slots.size(); ++i)
      total.Add(sums.slots[i], sums.sums.data() + i * d, d);
  }
  ApplySums(total.slots, total.sums.data());
}

std::vector<int64_t> Table::PendingClocks() const {
  std::lock_guard<std::mutex> lock(pending_mu_);
  std::vector<int64_t> clocks;
  for (const auto& [clock, p] : pending_) clocks.push_back(clock);
  return clocks;
}

TableRows Table::Export() const {
  // Row by row, each under its stripe: every row is consistent; the table as a whole is when no
  // push runs meanwhile (snapshots are taken at a clock boundary, with every worker waiting).
  const size_t d = static_cast<size_t>(dim_);
  const size_t k = static_cast<size_t>(state_floats_);
  TableRows out;
  out.rows = rows_;
  out.values.resize(values_.size());
  out.state.resize(state_.size());
  out.steps.resize(steps_.size());
  for (size_t slot = 0; slot < rows_.size(); ++slot) {
    std::lock_guard<std::mutex> lock(StripeOf(static_cast<int64_t>(slot)));
    std::memcpy(out.values.data() + slot * d, values_.data() + slot * d, d * sizeof(float));
    if (k > 0)
      std::memcpy(out.state.data() + slot * k, state_.data() + slot * k, k * sizeof(float));
    out.steps[slot] = steps_[slot];
  }
  return out;
}

void Table::ImportRow(int64_t row, const float* values, const float* state, int64_t step) {
  const size_t slot = static_cast<size_t>(map_.LocalIndex(row));
  const size_t d = static_cast<size_t>(dim_);
  const size_t k = static_cast<size_t>(state_floats_);
  std::lock_guard<std::mutex> lock(StripeOf(static_cast<int64_t>(slot)));
  std::memcpy(values_.data() + slot * d, values, d * sizeof(float));
  if (k > 0) std::memcpy(state_.data() + slot * k, state, k * sizeof(float));
  steps_[slot] = step;
}

}  // namespace halo::ps
