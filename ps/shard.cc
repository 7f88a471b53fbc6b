#include "ps/shard.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/logging.h"
#include "ps/protocol.h"
#include "ps/snapshot.h"

namespace halo::ps {

namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t MinOf(const std::vector<int64_t>& v) { return *std::min_element(v.begin(), v.end()); }

}  // namespace

Shard::Shard(const ShardOptions& options)
    : options_(options),
      clocks_(static_cast<size_t>(options.num_workers), 0),
      snapshot_asked_(static_cast<size_t>(options.num_workers), -1) {}

Shard::~Shard() = default;

core::Result<std::unique_ptr<Shard>> Shard::Create(const ShardOptions& options) {
  if (options.num_shards < 1 || options.shard < 0 || options.shard >= options.num_shards) {
    return core::Status::InvalidArgument(
        "shard " + std::to_string(options.shard) +
        " is not in [0, num_shards = " + std::to_string(options.num_shards) + ")");
  }
  if (options.num_workers < 1) {
    return core::Status::InvalidArgument("num_workers must be >= 1, got " +
                                         std::to_string(options.num_workers));
  }
  if (options.max_parked < 0) return core::Status::InvalidArgument("max_parked must be >= 0");
  return std::unique_ptr<Shard>(new Shard(options));
}

core::Result<std::unique_ptr<Shard>> Shard::Restore(const ShardOptions& options) {
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<Shard> shard, Create(options));
  if (options.snapshot_dir.empty()) {
    return core::Status::InvalidArgument("restore needs a snapshot directory");
  }
  HALO_ASSIGN_OR_RETURN(SnapshotSet set, FindLatestSnapshot(options.snapshot_dir));
  std::vector<TableSpec> specs;
  std::vector<std::shared_ptr<Table>> tables;
  std::vector<std::vector<bool>> filled;
  std::vector<int64_t> clocks;
  for (const std::string& file : set.files) {
    HALO_ASSIGN_OR_RETURN(ShardSnapshot snap, ReadShardSnapshot(file));
    if (snap.num_workers != options.num_workers) {
      return core::Status::FailedPrecondition(
          file + ": snapshot of " + std::to_string(snap.num_workers) +
          " workers, but this shard serves " + std::to_string(options.num_workers));
    }
    if (snap.clock != set.clock || snap.num_shards != set.num_shards) {
      return core::Status::Corruption(file + ": header says clock " + std::to_string(snap.clock) +
                                      " of " + std::to_string(snap.num_shards) +
                                      " shards, its name says otherwise");
    }
    if (tables.empty() && specs.empty()) {
      specs = snap.specs;
      clocks = snap.clocks;
      for (const TableSpec& spec : specs) {
        tables.push_back(std::make_shared<Table>(spec, options.shard, options.num_shards));
        filled.emplace_back(static_cast<size_t>(tables.back()->num_local_rows()), false);
      }
    } else if (snap.specs != specs || snap.clocks != clocks) {
      return core::Status::Corruption(file + ": tables or clocks differ from " + set.files[0] +
                                      "'s (not one snapshot)");
    }
    for (size_t t = 0; t < specs.size(); ++t) {
      Table& table = *tables[t];
      const TableRows& rows = snap.tables[t];
      const size_t d = static_cast<size_t>(specs[t].dim);
      const size_t k = static_cast<size_t>(table.state_floats());
      for (size_t i = 0; i < rows.rows.size(); ++i) {
        const int64_t row = rows.rows[i];
        if (table.map().Shard(row) != options.shard) continue;
        const size_t slot = static_cast<size_t>(table.map().LocalIndex(row));
        if (filled[t][slot]) {
          return core::Status::Corruption(file + ": table \"" + specs[t].name + "\": row " +
                                          std::to_string(row) + " appears twice");
        }
        filled[t][slot] = true;
        table.ImportRow(row, rows.values.data() + i * d, rows.state.data() + i * k, rows.steps[i]);
      }
    }
  }
  for (size_t t = 0; t < specs.size(); ++t) {
    const auto missing = std::find(filled[t].begin(), filled[t].end(), false);
    if (missing != filled[t].end()) {
      const int64_t slot = missing - filled[t].begin();
      return core::Status::Corruption(
          "snapshot " + options.snapshot_dir + " clock " + std::to_string(set.clock) +
          ": table \"" + specs[t].name + "\" lacks row " +
          std::to_string(tables[t]->map().LocalRows(options.shard)[static_cast<size_t>(slot)]));
    }
    shard->tables_[specs[t].name] = tables[t];
  }
  shard->clocks_ = clocks;
  shard->min_clock_ = MinOf(clocks);
  shard->snapshot_done_clock_ = set.clock;
  shard->snapshot_path_ = set.files[static_cast<size_t>(options.shard) % set.files.size()];
  HALO_LOG(Info) << "shard " << options.shard << " of " << options.num_shards << ": restored clock "
                 << set.clock << " (" << specs.size() << " tables) from " << set.num_shards
                 << " shard files under " << options.snapshot_dir;
  return shard;
}

void Shard::SetPullObserver(std::function<void(const PullEvent&)> observer) {
  std::lock_guard<std::mutex> lock(mu_);
  observer_ = std::move(observer);
}

void Shard::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  cv_.notify_all();
}

int64_t Shard::MinClock() const {
  std::lock_guard<std::mutex> lock(mu_);
  return min_clock_;
}

std::vector<int64_t> Shard::Clocks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clocks_;
}

std::shared_ptr<Table> Shard::FindTable(const std::string& name) const {
  std::shared_lock<std::shared_mutex> lock(tables_mu_);
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : it->second;
}

core::Status Shard::CheckWorker(int64_t worker) const {
  if (worker < 0 || worker >= options_.num_workers) {
    return core::Status::InvalidArgument(
        "worker " + std::to_string(worker) +
        " is not in [0, num_workers = " + std::to_string(options_.num_workers) + ")");
  }
  return core::Status::OK();
}

void Shard::Observe(PullEvent::Kind kind, const std::string& table, int worker, int64_t clock,
                    int64_t staleness, bool must_wait) {
  if (!observer_) return;
  PullEvent e;
  e.kind = kind;
  e.table = table;
  e.worker = worker;
  e.clock = clock;
  e.staleness = staleness;
  e.min_clock = min_clock_;
  e.clocks = clocks_;
  e.must_wait = must_wait;
  observer_(e);
}

core::Result<net::Message> Shard::Handle(const net::Message& request) {
  switch (request.type) {
    case kCreateTable:
      return HandleCreateTable(request);
    case kPull:
      return HandlePull(request);
    case kPush:
      return HandlePush(request);
    case kClock:
      return HandleClock(request);
    case kHello: {
      std::lock_guard<std::mutex> lock(mu_);
      return MakeHelloReply(options_.shard, options_.num_shards, options_.num_workers, clocks_);
    }
    case kSnapshot:
      return HandleSnapshot(request);
    case kStats:
      return MakeStatsReply(StatsJson());
  }
  return core::Status::Unimplemented("ps shard " + std::to_string(options_.shard) +
                                     ": unknown request type " + std::to_string(request.type) +
                                     " (the parameter server answers types 80..86 and ping)");
}

core::Result<net::Message> Shard::HandleCreateTable(const net::Message& request) {
  HALO_ASSIGN_OR_RETURN(std::string json, ParseCreateTableRequest(request));
  HALO_ASSIGN_OR_RETURN(TableSpec spec, ParseTableSpec(json));
  std::unique_lock<std::shared_mutex> lock(tables_mu_);
  auto it = tables_.find(spec.name);
  if (it != tables_.end()) {
    if (it->second->spec() == spec) return net::Message(kCreateTable);
    return core::Status::AlreadyExists(
        "table \"" + spec.name + "\" exists with a different spec: " +
        TableSpecToJson(it->second->spec()) + " vs requested " + TableSpecToJson(spec));
  }
  tables_[spec.name] = std::make_shared<Table>(spec, options_.shard, options_.num_shards);
  HALO_LOG(Debug) << "shard " << options_.shard << ": created table " << TableSpecToJson(spec);
  return net::Message(kCreateTable);
}

core::Result<net::Message> Shard::HandlePull(const net::Message& request) {
  HALO_ASSIGN_OR_RETURN(PullRequest r, ParsePullRequest(request));
  HALO_RETURN_IF_ERROR(CheckWorker(r.worker));
  std::shared_ptr<Table> table = FindTable(r.table);
  if (table == nullptr) {
    return core::Status::NotFound("shard " + std::to_string(options_.shard) + ": no table \"" +
                                  r.table + "\" (CreateTable first)");
  }
  HALO_RETURN_IF_ERROR(table->CheckOwned(r.ids.data(), r.ids.size()));
  const int worker = static_cast<int>(r.worker);
  const int64_t staleness = table->spec().async() ? kAsync : table->spec().staleness;
  const auto park = std::min(std::chrono::milliseconds(r.park_ms), options_.max_park);
  int64_t reflected = 0;
  bool waited = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // A pull issued just before its worker's Clock may arrive after it: an older clock is fine.
    if (r.clock > clocks_[static_cast<size_t>(worker)]) {
      return core::Status::FailedPrecondition(
          "shard " + std::to_string(options_.shard) + ": worker " + std::to_string(worker) +
          " pulls at clock " + std::to_string(r.clock) + " but its clock here is only " +
          std::to_string(clocks_[static_cast<size_t>(worker)]));
    }
    const int64_t target = r.clock - staleness;
    const bool must_wait = staleness >= 0 && min_clock_ < target;
    Observe(PullEvent::Kind::kArrived, r.table, worker, r.clock, staleness, must_wait);
    if (must_wait) {
      if (!stopping_ && parked_ < options_.max_parked && park.count() > 0) {
        ++parked_;
        {
          std::lock_guard<std::mutex> c(counters_mu_);
          ++counters_.parked;
        }
        cv_.wait_until(lock, SteadyClock::now() + park,
                       [&] { return stopping_ || min_clock_ >= target; });
        --parked_;
      }
      if (min_clock_ < target) {
        Observe(PullEvent::Kind::kNotReady, r.table, worker, r.clock, staleness, true);
        {
          std::lock_guard<std::mutex> c(counters_mu_);
          ++counters_.not_ready;
        }
        return MakePullReply(false, min_clock_, true, {}, clocks_);
      }
    }
    reflected = min_clock_;
    waited = must_wait;
    Observe(PullEvent::Kind::kAnswered, r.table, worker, r.clock, staleness, must_wait);
  }
  const size_t n = r.ids.size();
  std::vector<float> rows(n * static_cast<size_t>(table->spec().dim));
  table->Gather(r.ids.data(), n, rows.data());
  {
    std::lock_guard<std::mutex> c(counters_mu_);
    ++counters_.pulls;
    counters_.pull_rows += static_cast<int64_t>(n);
  }
  return MakePullReply(true, reflected, waited, std::move(rows), {});
}

core::Result<net::Message> Shard::HandlePush(const net::Message& request) {
  HALO_ASSIGN_OR_RETURN(PushRequest r, ParsePushRequest(request));
  HALO_RETURN_IF_ERROR(CheckWorker(r.worker));
  std::shared_ptr<Table> table = FindTable(r.table);
  if (table == nullptr) {
    return core::Status::NotFound("shard " + std::to_string(options_.shard) + ": no table \"" +
                                  r.table + "\" (CreateTable first)");
  }
  const size_t n = r.ids.size();
  const size_t dim = static_cast<size_t>(table->spec().dim);
  if (r.grads.size() != n * dim) {
    return core::Status::InvalidArgument(
        "Push to table \"" + r.table + "\": " + std::to_string(r.grads.size()) +
        " gradient floats for " + std::to_string(n) + " rows of dim " + std::to_string(dim));
  }
  HALO_RETURN_IF_ERROR(table->CheckOwned(r.ids.data(), n));
  {
    std::unique_lock<std::mutex> lock(mu_);
    const int64_t mine = clocks_[static_cast<size_t>(r.worker)];
    if (r.clock != mine) {
      return core::Status::FailedPrecondition("shard " + std::to_string(options_.shard) +
                                              ": worker " + std::to_string(r.worker) +
                                              " pushes at clock " + std::to_string(r.clock) +
                                              " but its clock here is " + std::to_string(mine));
    }
    // BSP: summed under the clock lock, so that the Clock closing r.clock cannot slip in between.
    if (table->spec().staleness == 0)
      table->Accumulate(r.clock, r.worker, r.ids.data(), n, r.grads.data());
  }
  if (table->spec().staleness != 0) table->ApplyGradients(r.ids.data(), n, r.grads.data());
  {
    std::lock_guard<std::mutex> c(counters_mu_);
    ++counters_.pushes;
    counters_.push_rows += static_cast<int64_t>(n);
  }
  return net::Message(kPush);
}

core::Result<net::Message> Shard::HandleClock(const net::Message& request) {
  HALO_ASSIGN_OR_RETURN(WorkerClock r, ParseClockRequest(request));
  HALO_RETURN_IF_ERROR(CheckWorker(r.worker));
  if (r.clock < 0) return core::Status::InvalidArgument("Clock: negative clock");
  std::lock_guard<std::mutex> lock(mu_);
  int64_t& mine = clocks_[static_cast<size_t>(r.worker)];
  mine = std::max(mine, r.clock);
  const int64_t new_min = MinOf(clocks_);
  if (new_min > min_clock_) {
    std::vector<std::shared_ptr<Table>> bsp;
    {
      std::shared_lock<std::shared_mutex> tables_lock(tables_mu_);
      for (const auto& [name, table] : tables_) {
        if (table->spec().staleness == 0) bsp.push_back(table);
      }
    }
    // Every worker has ended these clocks: their summed pushes become visible at once.
    for (int64_t c = min_clock_; c < new_min; ++c) {
      for (const std::shared_ptr<Table>& table : bsp) table->ApplyPending(c);
    }
    min_clock_ = new_min;
    cv_.notify_all();
  }
  return MakeClocksReply(clocks_);
}

core::Result<net::Message> Shard::HandleSnapshot(const net::Message& request) {
  HALO_ASSIGN_OR_RETURN(WorkerClock r, ParseSnapshotRequest(request));
  HALO_RETURN_IF_ERROR(CheckWorker(r.worker));
  if (options_.snapshot_dir.empty()) {
    return core::Status::FailedPrecondition("shard " + std::to_string(options_.shard) +
                                            " has no snapshot directory (--snapshot_dir)");
  }
  const auto park = std::min(std::chrono::milliseconds(r.park_ms), options_.max_park);
  std::unique_lock<std::mutex> lock(mu_);
  const size_t w = static_cast<size_t>(r.worker);
  if (r.clock != clocks_[w]) {
    return core::Status::FailedPrecondition("shard " + std::to_string(options_.shard) +
                                            ": worker " + std::to_string(r.worker) +
                                            " asks a snapshot at clock " + std::to_string(r.clock) +
                                            " but its clock here is " + std::to_string(clocks_[w]));
  }
  auto done = [&]() -> core::Result<net::Message> {
    if (!snapshot_status_.ok()) return snapshot_status_;
    return MakeSnapshotReply(true, snapshot_done_clock_, snapshot_path_);
  };
  if (snapshot_done_clock_ == r.clock) return done();
  snapshot_asked_[w] = r.clock;
  const bool everyone = std::all_of(snapshot_asked_.begin(), snapshot_asked_.end(),
                                    [&](int64_t c) { return c == r.clock; });
  if (everyone && !snapshot_writing_) {
    // Every worker is inside Snapshot at this clock: nobody pushes until we answer.
    snapshot_writing_ = true;
    const std::vector<int64_t> clocks = clocks_;
    lock.unlock();
    std::string path;
    core::Status status = WriteSnapshot(r.clock, &path);
    lock.lock();
    snapshot_writing_ = false;
    snapshot_done_clock_ = r.clock;
    snapshot_status_ = status;
    snapshot_path_ = path;
    {
      std::lock_guard<std::mutex> c(counters_mu_);
      ++counters_.snapshots;
    }
    cv_.notify_all();
    if (status.ok()) {
      HALO_LOG(Info) << "shard " << options_.shard << ": snapshot of clock " << r.clock << " in "
                     << path;
    }
    return done();
  }
  if (!stopping_ && parked_ < options_.max_parked && park.count() > 0) {
    ++parked_;
    cv_.wait_until(lock, SteadyClock::now() + park,
                   [&] { return stopping_ || snapshot_done_clock_ == r.clock; });
    --parked_;
    if (snapshot_done_clock_ == r.clock) return done();
  }
  return MakeSnapshotReply(false, r.clock, "");
}

core::Status Shard::WriteSnapshot(int64_t clock, std::string* path) {
  ShardSnapshot snap;
  snap.shard = options_.shard;
  snap.num_shards = options_.num_shards;
  snap.num_workers = options_.num_workers;
  snap.clock = clock;
  snap.clocks.assign(static_cast<size_t>(options_.num_workers), clock);
  std::vector<std::shared_ptr<Table>> tables;
  {
    std::shared_lock<std::shared_mutex> lock(tables_mu_);
    for (const auto& [name, table] : tables_) tables.push_back(table);
  }
  for (const std::shared_ptr<Table>& table : tables) {
    const std::vector<int64_t> pending = table->PendingClocks();
    if (!pending.empty()) {
      return core::Status::FailedPrecondition(
          "shard " + std::to_string(options_.shard) + ": snapshot at clock " +
          std::to_string(clock) + ": table \"" + table->spec().name + "\" has pushes of clock " +
          std::to_string(pending.front()) +
          " not yet applied (snapshot right after Clock, before pushing)");
    }
    snap.specs.push_back(table->spec());
    snap.tables.push_back(table->Export());
  }
  *path = ShardSnapshotPath(options_.snapshot_dir, clock, options_.shard, options_.num_shards);
  core::Status s = WriteShardSnapshot(*path, snap);
  if (!s.ok()) return s.WithContext("shard " + std::to_string(options_.shard) + ": snapshot");
  s = PruneShardSnapshots(options_.snapshot_dir, options_.shard, options_.num_shards,
                          options_.keep_snapshots);
  if (!s.ok()) HALO_LOG(Warning) << "shard " << options_.shard << ": " << s.ToString();
  return core::Status::OK();
}

std::string Shard::StatsJson() const {
  nlohmann::json j;
  j["shard"] = options_.shard;
  j["num_shards"] = options_.num_shards;
  j["num_workers"] = options_.num_workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    j["clocks"] = clocks_;
    j["min_clock"] = min_clock_;
    j["last_snapshot_clock"] = snapshot_done_clock_;
  }
  j["tables"] = nlohmann::json::array();
  {
    std::shared_lock<std::shared_mutex> lock(tables_mu_);
    for (const auto& [name, table] : tables_) {
      const TableSpec& spec = table->spec();
      j["tables"].push_back({{"name", name},
                             {"rows", table->num_local_rows()},
                             {"dim", spec.dim},
                             {"staleness", spec.async() ? kAsync : spec.staleness},
                             {"optimizer", OptimizerName(spec.optimizer.kind)}});
    }
  }
  std::lock_guard<std::mutex> lock(counters_mu_);
  j["pulls"] = counters_.pulls;
  j["pull_rows"] = counters_.pull_rows;
  j["pushes"] = counters_.pushes;
  j["push_rows"] = counters_.push_rows;
  j["parked"] = counters_.parked;
  j["not_ready"] = counters_.not_ready;
  j["snapshots"] = counters_.snapshots;
  return j.dump();
}

}  // namespace halo::ps
