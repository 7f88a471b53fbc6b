#include "ps/client.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <unordered_map>
#include <utility>

#include "ps/protocol.h"
#include "ps/shard_map.h"

namespace halo::ps {

namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int64_t MsSince(SteadyClock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - t).count();
}

std::string ClocksText(const std::vector<int64_t>& clocks) {
  std::string s = "[";
  for (size_t i = 0; i < clocks.size(); ++i) s += (i ? ", " : "") + std::to_string(clocks[i]);
  return s + "]";
}

// A "not ready" that comes back well before the park time means the shard had no free park slot:
// wait a little before asking again (1 ms doubling to 50 ms), as the coordinator client does.
constexpr milliseconds kMaxBackoff{50};

}  // namespace

struct Client::TableState {
  TableState(TableSpec s, int num_shards)
      : spec(std::move(s)), map(spec.routing, spec.num_rows, num_shards) {}

  const TableSpec spec;
  const ShardMap map;

  struct Entry {
    int64_t clock = 0;  // clock_reflected of the pull that brought it
    std::vector<float> values;
  };
  std::mutex mu;  // guards everything below
  std::unordered_map<int64_t, Entry> cache;
  int64_t push_epoch = 0;  // pushes issued so far: a pull that overlapped one does not cache
  StalenessStats stats;
  double staleness_sum = 0;
};

struct Client::Op {
  enum class Kind { kPull, kPush, kSnapshot };
  Kind kind = Kind::kPull;
  std::shared_ptr<TableState> table;
  int64_t clock = 0;

  struct Part {
    int shard = 0;
    std::vector<int64_t> ids;  // pull: distinct IDs; push: as given
    net::PendingCall call;
    SteadyClock::time_point sent;
    milliseconds backoff{1};
    bool ready = false;
    net::Message reply;
    int64_t reflected = 0;
  };
  std::vector<Part> parts;

  // Pull.
  std::vector<float>* rows = nullptr;
  std::vector<std::pair<int32_t, int64_t>> where;  // per position: (part, index), part -1: cached
  int64_t epoch = 0;
  int64_t hits = 0;
  int64_t hit_staleness_sum = 0;
  int64_t hit_staleness_max = 0;
  bool waited = false;
  SteadyClock::time_point start;
  std::string snapshot_path;  // snapshot: shard 0's file

  std::mutex mu;
  bool done = false;  // guarded by mu
  core::Status status;
};

Client::Client(ClientOptions options, std::vector<std::unique_ptr<net::RpcClient>> shards)
    : options_(std::move(options)), shards_(std::move(shards)) {}

Client::~Client() = default;

std::string Client::ShardName(int shard) const {
  return "ps shard " + std::to_string(shard) + " (" +
         shards_[static_cast<size_t>(shard)]->endpoint() + ")";
}

const std::string& Client::endpoint(int shard) const {
  return shards_[static_cast<size_t>(shard)]->endpoint();
}

int64_t Client::clock() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clock_;
}

core::Result<std::unique_ptr<Client>> Client::Connect(const std::vector<std::string>& endpoints,
                                                      const ClientOptions& options) {
  if (endpoints.empty()) return core::Status::InvalidArgument("ps: no shard endpoints");
  if (options.worker < 0) {
    return core::Status::InvalidArgument("ps: worker must be >= 0, got " +
                                         std::to_string(options.worker));
  }
  std::vector<std::unique_ptr<net::RpcClient>> shards;
  for (size_t s = 0; s < endpoints.size(); ++s) {
    core::Result<std::unique_ptr<net::RpcClient>> c =
        net::RpcClient::Connect(endpoints[s], options.net);
    if (!c.ok()) return c.status().WithContext("ps shard " + std::to_string(s));
    shards.push_back(std::move(c).value());
  }
  std::unique_ptr<Client> client(new Client(options, std::move(shards)));
  const int n = client->num_shards();
  std::vector<net::PendingCall> calls;
  for (int s = 0; s < n; ++s) {
    calls.push_back(client->shards_[static_cast<size_t>(s)]->CallAsync(
        MakeHelloRequest(), options.rpc_deadline, options.max_attempts));
  }
  std::vector<core::Result<net::Message>> replies = net::WaitAll(calls);
  std::vector<int64_t> mine(static_cast<size_t>(n));
  for (int s = 0; s < n; ++s) {
    auto& r = replies[static_cast<size_t>(s)];
    if (!r.ok()) return r.status().WithContext(client->ShardName(s) + ": Hello");
    core::Result<HelloReply> hello = ParseHelloReply(*r);
    if (!hello.ok()) return hello.status().WithContext(client->ShardName(s));
    if (hello->shard != s || hello->num_shards != n) {
      return core::Status::InvalidArgument(
          client->ShardName(s) + " is shard " + std::to_string(hello->shard) + " of " +
          std::to_string(hello->num_shards) + ", expected shard " + std::to_string(s) + " of " +
          std::to_string(n) + " (endpoints in the wrong order or from another run?)");
    }
    if (s == 0) client->num_workers_ = hello->num_workers;
    if (hello->num_workers != client->num_workers_) {
      return core::Status::InvalidArgument(
          client->ShardName(s) + " serves " + std::to_string(hello->num_workers) +
          " workers, shard 0 serves " + std::to_string(client->num_workers_));
    }
    if (options.worker >= hello->num_workers) {
      return core::Status::InvalidArgument("ps: worker " + std::to_string(options.worker) +
                                           " is not in [0, " + std::to_string(hello->num_workers) +
                                           ") (the shards' --num_workers)");
    }
    mine[static_cast<size_t>(s)] = hello->clocks[static_cast<size_t>(options.worker)];
  }
  // After a crash in the middle of a Clock some shards may be one clock behind: bring them up.
  const int64_t clock = *std::max_element(mine.begin(), mine.end());
  for (int s = 0; s < n; ++s) {
    if (mine[static_cast<size_t>(s)] == clock) continue;
    core::Result<net::Message> r = client->shards_[static_cast<size_t>(s)]->Call(
        MakeClockRequest(options.worker, clock), options.rpc_deadline, options.max_attempts);
    if (!r.ok()) return r.status().WithContext(client->ShardName(s) + ": Clock");
  }
  client->clock_ = clock;
  return client;
}

core::Status Client::CreateTable(const TableSpec& spec) {
  HALO_RETURN_IF_ERROR(ValidateTableSpec(spec));
  const std::string json = TableSpecToJson(spec);
  std::vector<net::PendingCall> calls;
  for (const auto& shard : shards_) {
    calls.push_back(shard->CallAsync(MakeCreateTableRequest(json), options_.rpc_deadline,
                                     options_.max_attempts));
  }
  std::vector<core::Result<net::Message>> replies = net::WaitAll(calls);
  for (int s = 0; s < num_shards(); ++s) {
    const auto& r = replies[static_cast<size_t>(s)];
    if (!r.ok()) return r.status().WithContext(ShardName(s) + ": CreateTable");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tables_.find(spec.name);
  if (it == tables_.end() || it->second->spec != spec) {
    tables_[spec.name] = std::make_shared<TableState>(spec, num_shards());
    tables_[spec.name]->stats.bound = spec.async() ? kAsync : spec.staleness;
  }
  return core::Status::OK();
}

std::shared_ptr<Client::TableState> Client::FindTable(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : it->second;
}

Client::Handle Client::Register(std::shared_ptr<Op> op) {
  std::lock_guard<std::mutex> lock(mu_);
  const Handle h = next_handle_++;
  ops_[h] = std::move(op);
  return h;
}

namespace {

core::Status UnknownTable(const std::string& name) {
  return core::Status::NotFound("ps: table \"" + name +
                                "\" is not known to this client (CreateTable first)");
}

core::Status CheckIds(const TableSpec& spec, const std::vector<int64_t>& ids) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= spec.num_rows) {
      return core::Status::OutOfRange(
          "ps: table \"" + spec.name + "\": row " + std::to_string(ids[i]) + " (position " +
          std::to_string(i) + ") is out of range [0, " + std::to_string(spec.num_rows) + ")");
    }
  }
  return core::Status::OK();
}

}  // namespace

Client::Handle Client::Pull(const std::string& table, const std::vector<int64_t>& ids,
                            std::vector<float>* rows) {
  auto op = std::make_shared<Op>();
  op->kind = Op::Kind::kPull;
  op->rows = rows;
  op->start = SteadyClock::now();
  auto fail = [&](core::Status s) {
    op->done = true;
    op->status = std::move(s);
    return Register(op);
  };
  std::shared_ptr<TableState> t = FindTable(table);
  if (t == nullptr) return fail(UnknownTable(table));
  op->table = t;
  const TableSpec& spec = t->spec;
  core::Status ids_ok = CheckIds(spec, ids);
  if (!ids_ok.ok()) return fail(ids_ok);
  // Read-my-writes: this client's pushes to the table are applied before the pull is sent.
  core::Status pushes = FinishPushes(table);
  if (!pushes.ok()) {
    return fail(core::Status(pushes.code(), "an earlier push failed: " + pushes.message()));
  }
  op->clock = clock();
  const size_t d = static_cast<size_t>(spec.dim);
  rows->assign(ids.size() * d, 0.0f);
  op->where.resize(ids.size());
  std::vector<int32_t> part_of_shard(static_cast<size_t>(num_shards()), -1);
  std::vector<std::unordered_map<int64_t, int64_t>> index;  // per part: ID -> index
  const bool use_cache = !spec.async() && options_.max_cache_rows > 0;
  {
    std::lock_guard<std::mutex> lock(t->mu);
    op->epoch = t->push_epoch;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (use_cache) {
        auto hit = t->cache.find(ids[i]);
        if (hit != t->cache.end() && op->clock - hit->second.clock <= spec.staleness) {
          std::memcpy(rows->data() + i * d, hit->second.values.data(), d * sizeof(float));
          op->where[i] = {-1, 0};
          const int64_t staleness = op->clock - hit->second.clock;
          ++op->hits;
          op->hit_staleness_sum += staleness;
          op->hit_staleness_max = std::max(op->hit_staleness_max, staleness);
          continue;
        }
      }
      const int shard = t->map.Shard(ids[i]);
      int32_t& part = part_of_shard[static_cast<size_t>(shard)];
      if (part < 0) {
        part = static_cast<int32_t>(op->parts.size());
        op->parts.emplace_back();
        op->parts.back().shard = shard;
        index.emplace_back();
      }
      Op::Part& p = op->parts[static_cast<size_t>(part)];
      auto [it, inserted] =
          index[static_cast<size_t>(part)].emplace(ids[i], static_cast<int64_t>(p.ids.size()));
      if (inserted) p.ids.push_back(ids[i]);
      op->where[i] = {part, it->second};
    }
  }
  const milliseconds park = std::min(options_.park, options_.wait_deadline);
  for (Op::Part& p : op->parts) {
    p.sent = SteadyClock::now();
    p.call = shards_[static_cast<size_t>(p.shard)]->CallAsync(
        MakePullRequest(spec.name, options_.worker, op->clock, park.count(), p.ids),
        park + options_.rpc_deadline, 1);
  }
  return Register(op);
}

Client::Handle Client::Push(const std::string& table, const std::vector<int64_t>& ids,
                            const std::vector<float>& grads) {
  std::shared_lock<std::shared_mutex> step(step_mu_);
  auto op = std::make_shared<Op>();
  op->kind = Op::Kind::kPush;
  auto fail = [&](core::Status s) {
    op->done = true;
    op->status = std::move(s);
    return Register(op);
  };
  std::shared_ptr<TableState> t = FindTable(table);
  if (t == nullptr) return fail(UnknownTable(table));
  op->table = t;
  const TableSpec& spec = t->spec;
  const size_t d = static_cast<size_t>(spec.dim);
  if (grads.size() != ids.size() * d) {
    return fail(core::Status::InvalidArgument("ps: Push to table \"" + table +
                                              "\": " + std::to_string(grads.size()) +
                                              " gradient floats for " + std::to_string(ids.size()) +
                                              " rows of dim " + std::to_string(d)));
  }
  core::Status ids_ok = CheckIds(spec, ids);
  if (!ids_ok.ok()) return fail(ids_ok);
  {
    std::lock_guard<std::mutex> lock(t->mu);
    ++t->push_epoch;
    for (int64_t id : ids) t->cache.erase(id);
  }
  std::vector<std::vector<float>> part_grads;
  std::vector<int32_t> part_of_shard(static_cast<size_t>(num_shards()), -1);
  for (size_t i = 0; i < ids.size(); ++i) {
    const int shard = t->map.Shard(ids[i]);
    int32_t& part = part_of_shard[static_cast<size_t>(shard)];
    if (part < 0) {
      part = static_cast<int32_t>(op->parts.size());
      op->parts.emplace_back();
      op->parts.back().shard = shard;
      part_grads.emplace_back();
    }
    op->parts[static_cast<size_t>(part)].ids.push_back(ids[i]);
    std::vector<float>& g = part_grads[static_cast<size_t>(part)];
    g.insert(g.end(), grads.begin() + static_cast<std::ptrdiff_t>(i * d),
             grads.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
  }
  Handle h;
  {
    std::lock_guard<std::mutex> lock(mu_);
    op->clock = clock_;
    pushed_since_clock_ = true;
    for (size_t p = 0; p < op->parts.size(); ++p) {
      Op::Part& part = op->parts[p];
      // Not retried: a push that reached the shard but whose reply was lost would apply twice.
      part.call = shards_[static_cast<size_t>(part.shard)]->CallAsync(
          MakePushRequest(spec.name, options_.worker, op->clock, std::move(part.ids),
                          std::move(part_grads[p])),
          options_.rpc_deadline, 1);
    }
    h = next_handle_++;
    ops_[h] = op;
  }
  return h;
}

core::Status Client::Wait(Handle handle) {
  std::shared_ptr<Op> op;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (handle <= 0 || handle >= next_handle_) {
      return core::Status::InvalidArgument("ps: unknown handle " + std::to_string(handle));
    }
    auto it = ops_.find(handle);
    if (it == ops_.end()) return core::Status::OK();  // waited already, or finished by Clock
    op = it->second;
  }
  Complete(op.get());
  {
    std::lock_guard<std::mutex> lock(mu_);
    ops_.erase(handle);
  }
  std::lock_guard<std::mutex> lock(op->mu);
  return op->status;
}

void Client::Complete(Op* op) {
  std::lock_guard<std::mutex> lock(op->mu);
  if (op->done) return;
  if (op->kind == Op::Kind::kPush) {
    CompletePush(op);
  } else {
    CompletePull(op);
  }
  op->done = true;
}

void Client::CompletePush(Op* op) {
  std::vector<net::PendingCall> calls;
  for (Op::Part& p : op->parts) calls.push_back(std::move(p.call));
  std::vector<core::Result<net::Message>> replies = net::WaitAll(calls);
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i].ok()) {
      op->status = replies[i].status().WithContext(ShardName(op->parts[i].shard) + ": Push \"" +
                                                   op->table->spec.name + "\"");
      return;
    }
  }
}

// Drives a pull or a snapshot: waits for every part, asks again where a shard answered "not
// ready", until every part is ready, one fails, or wait_deadline passes.
void Client::CompletePull(Op* op) {
  const bool snapshot = op->kind == Op::Kind::kSnapshot;
  const std::string what =
      snapshot ? std::string("Snapshot") : "Pull \"" + op->table->spec.name + "\"";
  const int64_t dim = snapshot ? 0 : op->table->spec.dim;
  const auto wait_deadline = op->start + options_.wait_deadline;
  for (;;) {
    std::vector<size_t> live;
    std::vector<net::PendingCall> calls;
    for (size_t i = 0; i < op->parts.size(); ++i) {
      if (op->parts[i].ready) continue;
      live.push_back(i);
      calls.push_back(std::move(op->parts[i].call));
    }
    if (live.empty()) break;
    std::vector<core::Result<net::Message>> replies = net::WaitAll(calls);
    for (size_t k = 0; k < live.size(); ++k) {
      Op::Part& p = op->parts[live[k]];
      core::Result<net::Message>& r = replies[k];
      if (!r.ok()) {
        op->status = r.status().WithContext(ShardName(p.shard) + ": " + what);
        return;
      }
      bool ready;
      int64_t reflected;
      std::vector<int64_t> clocks;
      if (snapshot) {
        core::Result<SnapshotReply> reply = ParseSnapshotReply(*r);
        if (!reply.ok()) {
          op->status = reply.status().WithContext(ShardName(p.shard));
          return;
        }
        ready = reply->ready;
        reflected = reply->clock;
        if (ready && p.shard == 0) op->snapshot_path = reply->path;
      } else {
        core::Result<PullReply> reply = ParsePullReply(*r, p.ids.size(), dim);
        if (!reply.ok()) {
          op->status = reply.status().WithContext(ShardName(p.shard));
          return;
        }
        ready = reply->ready;
        reflected = reply->clock_reflected;
        clocks = reply->clocks;
        if (reply->waited) op->waited = true;
      }
      if (ready) {
        p.ready = true;
        p.reflected = reflected;
        p.reply = std::move(r).value();
        continue;
      }
      op->waited = true;
      const auto now = SteadyClock::now();
      if (now >= wait_deadline) {
        std::string message =
            ShardName(p.shard) + ": " + what + " at clock " + std::to_string(op->clock) +
            ": still waiting for other workers after " + std::to_string(MsSince(op->start)) + " ms";
        if (!snapshot) {
          message += " (needs every worker at clock >= " +
                     std::to_string(op->clock - op->table->spec.staleness) +
                     "; workers' clocks there: " + ClocksText(clocks) + ")";
        }
        op->status = core::Status::DeadlineExceeded(message);
        return;
      }
      if (options_.park.count() == 0 || now - p.sent < options_.park / 2) {  // not held: back off
        std::this_thread::sleep_for(p.backoff);
        p.backoff = std::min(p.backoff * 2, kMaxBackoff);
      }
      const auto left = std::chrono::duration_cast<milliseconds>(wait_deadline - now);
      const milliseconds park = std::max(milliseconds(0), std::min(options_.park, left));
      net::Message request = snapshot
                                 ? MakeSnapshotRequest(options_.worker, op->clock, park.count())
                                 : MakePullRequest(op->table->spec.name, options_.worker, op->clock,
                                                   park.count(), p.ids);
      p.sent = SteadyClock::now();
      p.call = shards_[static_cast<size_t>(p.shard)]->CallAsync(std::move(request),
                                                                park + options_.rpc_deadline, 1);
    }
  }
  if (snapshot) return;

  // Every part is ready: scatter into request order, then account and cache.
  TableState& t = *op->table;
  const size_t d = static_cast<size_t>(t.spec.dim);
  std::vector<net::ArrayView<float>> part_rows;
  for (Op::Part& p : op->parts) part_rows.push_back(p.reply.arrays[1].view<float>());
  int64_t sum = op->hit_staleness_sum;
  int64_t max = op->hit_staleness_max;
  for (size_t i = 0; i < op->where.size(); ++i) {
    const auto [part, index] = op->where[i];
    if (part < 0) continue;
    const Op::Part& p = op->parts[static_cast<size_t>(part)];
    std::memcpy(op->rows->data() + i * d,
                part_rows[static_cast<size_t>(part)].data() + static_cast<size_t>(index) * d,
                d * sizeof(float));
    const int64_t staleness = std::max<int64_t>(0, op->clock - p.reflected);
    sum += staleness;
    max = std::max(max, staleness);
  }
  std::lock_guard<std::mutex> lock(t.mu);
  StalenessStats& st = t.stats;
  st.rows_read += static_cast<int64_t>(op->where.size());
  st.cache_hits += op->hits;
  st.max_observed = std::max(st.max_observed, max);
  t.staleness_sum += static_cast<double>(sum);
  st.mean_observed = st.rows_read > 0 ? t.staleness_sum / static_cast<double>(st.rows_read) : 0;
  ++st.pulls;
  if (op->waited) ++st.waited_pulls;
  // Cache what came back, unless this client pushed to the table meanwhile (the rows might miss
  // that push).
  if (t.spec.async() || options_.max_cache_rows <= 0 || t.push_epoch != op->epoch) return;
  const int64_t current = op->clock;  // clocks only grow: too stale now is too stale later
  for (size_t k = 0; k < op->parts.size(); ++k) {
    const Op::Part& p = op->parts[k];
    for (size_t j = 0; j < p.ids.size(); ++j) {
      auto it = t.cache.find(p.ids[j]);
      if (it == t.cache.end()) {
        if (static_cast<int64_t>(t.cache.size()) >= options_.max_cache_rows) {
          // Full: drop what no later pull can reuse; give up on caching if that frees nothing.
          for (auto e = t.cache.begin(); e != t.cache.end();) {
            e = current - e->second.clock > t.spec.staleness ? t.cache.erase(e) : std::next(e);
          }
          if (static_cast<int64_t>(t.cache.size()) >= options_.max_cache_rows) return;
        }
        it = t.cache.emplace(p.ids[j], TableState::Entry()).first;
      } else if (it->second.clock > p.reflected) {
        continue;  // keep the fresher copy
      }
      it->second.clock = p.reflected;
      const float* src = part_rows[k].data() + j * d;
      it->second.values.assign(src, src + d);
    }
  }
}

core::Status Client::FinishPushes(const std::string& table) {
  std::vector<std::shared_ptr<Op>> pushes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [h, op] : ops_) {
      if (op->kind == Op::Kind::kPush && (table.empty() || op->table->spec.name == table)) {
        pushes.push_back(op);
      }
    }
  }
  core::Status first;
  for (const std::shared_ptr<Op>& op : pushes) {
    Complete(op.get());
    std::lock_guard<std::mutex> lock(op->mu);
    if (first.ok() && !op->status.ok()) first = op->status;
  }
  return first;
}

core::Status Client::Clock() {
  std::unique_lock<std::shared_mutex> step(step_mu_);
  core::Status pushes = FinishPushes("");
  {
    // The pushes' outcomes are reported here (first failure), so their handles need no Wait.
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = ops_.begin(); it != ops_.end();) {
      bool finished = false;
      if (it->second->kind == Op::Kind::kPush) {
        std::lock_guard<std::mutex> op_lock(it->second->mu);
        finished = it->second->done;
      }
      it = finished ? ops_.erase(it) : std::next(it);
    }
  }
  if (!pushes.ok()) return pushes.WithContext("ps: Clock: a push of this clock failed");
  const int64_t next = clock() + 1;
  std::vector<net::PendingCall> calls;
  for (const auto& shard : shards_) {
    calls.push_back(shard->CallAsync(MakeClockRequest(options_.worker, next), options_.rpc_deadline,
                                     options_.max_attempts));
  }
  std::vector<core::Result<net::Message>> replies = net::WaitAll(calls);
  for (int s = 0; s < num_shards(); ++s) {
    const auto& r = replies[static_cast<size_t>(s)];
    if (!r.ok()) return r.status().WithContext(ShardName(s) + ": Clock");
  }
  std::lock_guard<std::mutex> lock(mu_);
  clock_ = next;
  pushed_since_clock_ = false;
  return core::Status::OK();
}

core::Status Client::Snapshot(std::string* path) {
  std::unique_lock<std::shared_mutex> step(step_mu_);
  Op op;
  op.kind = Op::Kind::kSnapshot;
  op.start = SteadyClock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pushed_since_clock_) {
      return core::Status::FailedPrecondition(
          "ps: Snapshot must come right after Clock(), before pushing again (clock " +
          std::to_string(clock_) + ")");
    }
    op.clock = clock_;
  }
  const milliseconds park = std::min(options_.park, options_.wait_deadline);
  for (int s = 0; s < num_shards(); ++s) {
    op.parts.emplace_back();
    Op::Part& p = op.parts.back();
    p.shard = s;
    p.sent = SteadyClock::now();
    p.call = shards_[static_cast<size_t>(s)]->CallAsync(
        MakeSnapshotRequest(options_.worker, op.clock, park.count()), park + options_.rpc_deadline,
        1);
  }
  std::lock_guard<std::mutex> lock(op.mu);
  CompletePull(&op);
  if (op.status.ok() && path != nullptr) *path = op.snapshot_path;
  return op.status;
}

StalenessStats Client::Staleness(const std::string& table) const {
  std::shared_ptr<TableState> t = FindTable(table);
  if (t == nullptr) return StalenessStats();
  std::lock_guard<std::mutex> lock(t->mu);
  return t->stats;
}

std::map<std::string, StalenessStats> Client::AllStaleness() const {
  std::map<std::string, std::shared_ptr<TableState>> tables;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tables = tables_;
  }
  std::map<std::string, StalenessStats> out;
  for (const auto& [name, t] : tables) {
    std::lock_guard<std::mutex> lock(t->mu);
    out[name] = t->stats;
  }
  return out;
}

core::Result<std::string> Client::ShardStats(int shard) {
  if (shard < 0 || shard >= num_shards()) {
    return core::Status::InvalidArgument("ps: no shard " + std::to_string(shard));
  }
  core::Result<net::Message> r = shards_[static_cast<size_t>(shard)]->Call(
      MakeStatsRequest(), options_.rpc_deadline, options_.max_attempts);
  if (!r.ok()) return r.status().WithContext(ShardName(shard) + ": Stats");
  return ParseStatsReply(*r);
}

}  // namespace halo::ps
