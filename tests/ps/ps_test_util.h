// Helpers for the parameter-server tests: in-process shards on loopback, clients, and a naive
// reference of the server-side optimizers (written from the formulas, independent of
// ps/optimizer.cc).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ps/client.h"
#include "ps/server.h"

namespace halo::ps::testing {

// `num_shards` ShardServers for `num_workers` workers on 127.0.0.1, each with `threads` threads.
class LocalCluster {
 public:
  LocalCluster(int num_shards, int num_workers, const std::string& snapshot_dir = "",
               int threads = 6, bool restore = false) {
    for (int s = 0; s < num_shards; ++s) {
      ShardServerOptions opt;
      opt.shard.shard = s;
      opt.shard.num_shards = num_shards;
      opt.shard.num_workers = num_workers;
      opt.shard.snapshot_dir = snapshot_dir;
      opt.num_threads = threads;
      auto server = ShardServer::Create(opt, restore);
      EXPECT_TRUE(server.ok()) << server.status().ToString();
      if (!server.ok()) return;
      core::Status started = (*server)->Start("tcp://127.0.0.1:0");
      EXPECT_TRUE(started.ok()) << started.ToString();
      endpoints_.push_back((*server)->endpoint());
      servers_.push_back(std::move(server).value());
    }
  }
  ~LocalCluster() {
    for (auto& s : servers_) s->Stop();
  }

  bool ok() const { return !servers_.empty(); }
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  Shard& shard(int s) { return servers_[static_cast<size_t>(s)]->shard(); }
  int num_shards() const { return static_cast<int>(servers_.size()); }

  std::unique_ptr<Client> Connect(int worker, ClientOptions opt = {}) {
    opt.worker = worker;
    auto c = Client::Connect(endpoints_, opt);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

 private:
  std::vector<std::unique_ptr<ShardServer>> servers_;
  std::vector<std::string> endpoints_;
};

// Pull and wait; the rows.
inline std::vector<float> PullNow(Client& c, const std::string& table,
                                  const std::vector<int64_t>& ids) {
  std::vector<float> rows;
  core::Status s = c.Wait(c.Pull(table, ids, &rows));
  EXPECT_TRUE(s.ok()) << s.ToString();
  return rows;
}

inline void PushNow(Client& c, const std::string& table, const std::vector<int64_t>& ids,
                    const std::vector<float>& grads) {
  core::Status s = c.Wait(c.Push(table, ids, grads));
  EXPECT_TRUE(s.ok()) << s.ToString();
}

// The reference optimizer: one row's state in double precision.
struct RefRow {
  std::vector<double> w, m, v;
  double acc = 0;
  int64_t step = 0;
};

// One update of `row` with the (already summed) gradient `g`, from the formulas in ps/optimizer.h.
inline void RefUpdate(const OptimizerSpec& o, RefRow* row, const std::vector<double>& g_in) {
  const size_t d = row->w.size();
  std::vector<double> g(d);
  for (size_t j = 0; j < d; ++j) g[j] = g_in[j] + o.weight_decay * row->w[j];
  row->step += 1;
  if (o.kind == OptimizerKind::kSgd) {
    for (size_t j = 0; j < d; ++j) row->w[j] -= o.lr * g[j];
  } else if (o.kind == OptimizerKind::kAdagrad) {
    double mean_sq = 0;
    for (size_t j = 0; j < d; ++j) mean_sq += g[j] * g[j];
    row->acc += mean_sq / static_cast<double>(d);
    for (size_t j = 0; j < d; ++j) row->w[j] -= o.lr * g[j] / (std::sqrt(row->acc) + o.eps);
  } else {
    if (row->m.empty()) row->m.assign(d, 0.0), row->v.assign(d, 0.0);
    const double t = static_cast<double>(row->step);
    for (size_t j = 0; j < d; ++j) {
      row->m[j] = o.beta1 * row->m[j] + (1 - o.beta1) * g[j];
      row->v[j] = o.beta2 * row->v[j] + (1 - o.beta2) * g[j] * g[j];
      const double mhat = row->m[j] / (1 - std::pow(static_cast<double>(o.beta1), t));
      const double vhat = row->v[j] / (1 - std::pow(static_cast<double>(o.beta2), t));
      row->w[j] -= o.lr * mhat / (std::sqrt(vhat) + o.eps);
    }
  }
}

// A whole table in the reference: rows by ID, initialized by InitRow (the spec's init).
class RefTable {
 public:
  explicit RefTable(const TableSpec& spec) : spec_(spec) {
    std::vector<float> init(static_cast<size_t>(spec.dim));
    for (int64_t r = 0; r < spec.num_rows; ++r) {
      InitRow(spec.init, r, spec.dim, init.data());
      RefRow row;
      row.w.assign(init.begin(), init.end());
      row.acc = spec.optimizer.initial_accumulator;
      rows_.push_back(row);
    }
  }
  // Sums the gradients of equal IDs, then one update per distinct row.
  void Apply(const std::vector<int64_t>& ids, const std::vector<float>& grads) {
    const size_t d = static_cast<size_t>(spec_.dim);
    std::map<int64_t, std::vector<double>> sums;
    for (size_t i = 0; i < ids.size(); ++i) {
      std::vector<double>& s = sums[ids[i]];
      s.resize(d, 0.0);
      for (size_t j = 0; j < d; ++j) s[j] += grads[i * d + j];
    }
    for (const auto& [id, g] : sums) RefUpdate(spec_.optimizer, &rows_[static_cast<size_t>(id)], g);
  }
  const RefRow& row(int64_t id) const { return rows_[static_cast<size_t>(id)]; }
  double value(int64_t id, int64_t j) const {
    return rows_[static_cast<size_t>(id)].w[static_cast<size_t>(j)];
  }

 private:
  TableSpec spec_;
  std::vector<RefRow> rows_;
};

inline std::vector<int64_t> AllRows(int64_t n) {
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = i;
  return ids;
}

}  // namespace halo::ps::testing
