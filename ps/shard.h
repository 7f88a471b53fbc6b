// Shard: the state of one parameter-server shard and the answers to every request of the protocol
// (ps/protocol.h): its tables, every worker's clock, the stale-synchronous wait, and collective
// snapshots. ShardServer puts it on the network; tests may call Handle directly.
//
//   ShardOptions opt;  opt.shard = 0;  opt.num_shards = 2;  opt.num_workers = 4;
//   HALO_ASSIGN_OR_RETURN(std::unique_ptr<Shard> shard, Shard::Create(opt));
//   HALO_ASSIGN_OR_RETURN(net::Message reply, shard->Handle(request));
//
// Clocks: every worker's clock starts at 0; Clock(w, c) sets it to max(its clock, c) (retries are
// harmless). min_clock is the smallest of them. A Pull of table T from worker w at clock c is
// answered once min_clock >= c - s(T) (at once for ASP tables). The reply carries
// clock_reflected = min_clock at the moment of answering: the rows reflect every push that any
// worker made at a clock < clock_reflected (each worker's pushes of a clock are acknowledged before
// it sends the Clock that ends it), possibly more (immediate tables), and nothing else is promised.
//
// Applying pushes: tables with s > 0 or ASP apply each push at once (duplicates summed, one
// optimizer update per distinct row, atomic per row). BSP tables (s = 0) sum the pushes of clock c
// per worker, add the workers' sums in worker order (independent of arrival order) and apply the
// total as one optimizer update per row when the last worker ends clock c, before any pull can see
// min_clock > c: a pull at clock c then sees exactly the updates of clocks < c, as a single
// process applying each clock's summed gradient would.
//
// Waiting without deadlocks: a request that must wait (a Pull ahead of the bound, a Snapshot before
// every worker has asked) is parked on a condition variable for at most its park_ms (capped by
// max_park), and only while fewer than max_parked requests are parked; otherwise it is answered
// "not ready" at once and the client asks again. ShardServer sets max_parked below its number of
// worker threads, so some threads are always free for Clock and Push: the clocks that release the
// parked requests can always get through.
//
// Snapshots are collective: each of the W workers sends Snapshot at the same clock C, right after
// its Clock (pushes of clock C not yet begun); when the last one arrives, the shard writes rows,
// optimizer state and clocks to ShardSnapshotPath(snapshot_dir, C, shard, num_shards) and answers
// all of them. Restore reads the latest complete snapshot, of any shard count, and keeps the rows
// its ShardMap gives it.
//
// Thread-safety: Handle may run on any number of threads at once; Stop from any thread. Lock order:
// mu_ (clocks) before tables_mu_ before a table's locks.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "net/message.h"
#include "ps/table.h"

namespace halo::ps {

struct ShardOptions {
  int shard = 0;
  int num_shards = 1;
  int num_workers = 1;
  // Requests parked at once (waiting for clocks or for a snapshot's other workers); more are
  // answered "not ready" at once. >= 0.
  int max_parked = 6;
  // Longest time one request is parked, whatever its park_ms.
  std::chrono::milliseconds max_park{2000};
  // Where snapshots go ("" refuses Snapshot requests) and where Restore reads from.
  std::string snapshot_dir;
  // Snapshots this shard keeps (its own files of the newest clocks); 0 keeps all.
  int keep_snapshots = 3;
};

// What the shard decided about one pull, for tests and tracing (see SetPullObserver).
struct PullEvent {
  enum class Kind {
    kArrived,   // the request was read; must_wait says whether min_clock < clock - staleness
    kAnswered,  // rows sent, reflecting `min_clock`
    kNotReady,  // answered "not ready" (no park slot, park time over, or stopping)
  };
  Kind kind = Kind::kArrived;
  std::string table;
  int worker = 0;
  int64_t clock = 0;      // the puller's clock
  int64_t staleness = 0;  // the table's bound (negative: ASP)
  int64_t min_clock = 0;
  std::vector<int64_t> clocks;  // every worker's clock at that moment
  bool must_wait = false;
};

class Shard {
 public:
  // A shard with no tables and every clock at 0. InvalidArgument for bad options.
  static core::Result<std::unique_ptr<Shard>> Create(const ShardOptions& options);
  // A shard restored from the latest complete snapshot under options.snapshot_dir (NotFound when
  // there is none): tables, this shard's rows (re-routed when the snapshot's shard count differs),
  // optimizer state and clocks. The snapshot's worker count must equal options.num_workers.
  static core::Result<std::unique_ptr<Shard>> Restore(const ShardOptions& options);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Answers one request (any type of ps/protocol.h). Errors name the shard.
  core::Result<net::Message> Handle(const net::Message& request);
  // Called (under the clock lock, so keep it short) at every decision about a pull. Set it before
  // requests arrive.
  void SetPullObserver(std::function<void(const PullEvent&)> observer);
  // Wakes every parked request (answered "not ready") and makes new waits fail at once. For
  // shutdown, before the RPC server stops.
  void Stop();

  const ShardOptions& options() const { return options_; }
  int64_t MinClock() const;
  std::vector<int64_t> Clocks() const;
  // {"shard", "num_shards", "num_workers", "clocks", "min_clock", "tables": [{name, rows, dim,
  //  staleness, optimizer}], "pulls", "pull_rows", "pushes", "push_rows", "parked", "not_ready",
  //  "snapshots", "last_snapshot_clock"}.
  std::string StatsJson() const;

 private:
  explicit Shard(const ShardOptions& options);

  std::shared_ptr<Table> FindTable(const std::string& name) const;
  core::Status CheckWorker(int64_t worker) const;
  void Observe(PullEvent::Kind kind, const std::string& table, int worker, int64_t clock,
               int64_t staleness, bool must_wait);  // requires mu_
  core::Status ErrorHere(const core::Status& s) const;

  core::Result<net::Message> HandleCreateTable(const net::Message& request);
  core::Result<net::Message> HandlePull(const net::Message& request);
  core::Result<net::Message> HandlePush(const net::Message& request);
  core::Result<net::Message> HandleClock(const net::Message& request);
  core::Result<net::Message> HandleSnapshot(const net::Message& request);
  core::Status WriteSnapshot(int64_t clock, std::string* path);

  const ShardOptions options_;

  // Clocks, parking and the snapshot barrier.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> clocks_;  // guarded by mu_
  int64_t min_clock_ = 0;        // guarded by mu_
  int parked_ = 0;               // guarded by mu_
  bool stopping_ = false;        // guarded by mu_
  std::function<void(const PullEvent&)> observer_;
  // Snapshot barrier (guarded by mu_): the clock each worker asked a snapshot at (-1: none), the
  // last snapshot done, its outcome and file.
  std::vector<int64_t> snapshot_asked_;
  bool snapshot_writing_ = false;
  int64_t snapshot_done_clock_ = -1;
  core::Status snapshot_status_;
  std::string snapshot_path_;

  mutable std::shared_mutex tables_mu_;
  std::map<std::string, std::shared_ptr<Table>> tables_;  // guarded by tables_mu_

  // Counters (guarded by mu_ where they change with clocks; atomics would do as well).
  struct Counters {
    int64_t pulls = 0, pull_rows = 0, pushes = 0, push_rows = 0, parked = 0, not_ready = 0,
            snapshots = 0;
  };
  mutable std::mutex counters_mu_;
  Counters counters_;  // guarded by counters_mu_
};

}  // namespace halo::ps
