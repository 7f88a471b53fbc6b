// ps::Client: one worker's view of the parameter server — Pull, Push, Clock, Wait (ps-lite style).
//
// CONSISTENCY CONTRACT. Worker w has a clock c: the number of times it has called Clock() (0 at
// start, or the clock of the snapshot the shards were restored from). For a table with staleness
// bound s (TableSpec::staleness):
//   * A Pull issued at clock c returns rows that include every push made by any worker at a clock
//     < c - s (SSP). With s = 0 (BSP) the rows are exactly the result of the pushes of clocks < c,
//     each clock's pushes summed over all workers and applied as one optimizer update per row (as a
//     single process would with the summed gradient). ASP tables (s < 0, kAsync) never wait.
//   * A worker always sees its own writes. With s > 0 and ASP: every push this client issued
//     before the Pull (the Pull first waits for those pushes to be applied). With s = 0: every
//     push of an earlier clock; pushes of the current clock become visible to everyone together,
//     at the clock boundary.
//   * Every pulled row comes with clock_reflected: the slowest worker's clock (on the row's shard)
//     when the row was read, or, for a row served from this client's cache, when it was cached.
//     The row includes every push of every worker at clocks < clock_reflected. The observed
//     staleness of a read is c - clock_reflected, always within [0, s]; Staleness() reports
//     its maximum and mean per table.
//   * Cache: a pulled row reflecting clock r is reused by later pulls at clock c while c - r <= s
//     (so cached reads obey the bound too), unless this client pushed to it since (a push drops
//     its rows from the cache). ASP tables are not cached.
//
//   ClientOptions opt;  opt.worker = rank;
//   HALO_ASSIGN_OR_RETURN(auto ps, Client::Connect({"tcp://host0:7100", "tcp://host1:7101"}, opt));
//   HALO_RETURN_IF_ERROR(ps->CreateTable(spec));       // every worker, same spec: idempotent
//   for (int step = 0; step < steps; ++step) {
//     std::vector<float> rows;
//     Client::Handle h = ps->Pull("node_emb", ids, &rows);   // rows: ids.size() x dim
//     HALO_RETURN_IF_ERROR(ps->Wait(h));
//     ... compute grads (ids.size() x dim) ...
//     ps->Push("node_emb", ids, grads);                 // waited by the next Pull or Clock
//     HALO_RETURN_IF_ERROR(ps->Clock());
//   }
//
// IDs: any order, duplicates allowed (a push sums the gradients of equal IDs), each in
// [0, num_rows). Pull and Push return at once with a handle; the requests are on their way. A Pull
// may first wait for this client's earlier pushes to the table (read-my-writes). Wait(handle)
// blocks until the operation is done and returns its outcome. Every Pull must be waited; pushes
// need not be: Clock() waits for every push in flight and returns the first failure. Waiting a
// handle a second time, or a push that Clock() already finished, returns OK.
//
// Failures: every RPC has a deadline (rpc_deadline; a pull or snapshot held by a shard gets
// rpc_deadline + park). A shard that does not answer is reported as "ps shard S (endpoint): ..."
// with the net/ code (Unavailable: no connection, DeadlineExceeded: no reply) within that time. A
// pull still waiting for slower workers after wait_deadline fails with DeadlineExceeded naming
// the shard and every worker's clock there. Pushes are not retried (a retried push could be applied
// twice); CreateTable, Clock and Hello are retried within their deadline (they are idempotent).
// After a failed Push or Clock the worker's state on the shards is unknown: restore a snapshot.
//
// Thread-safety: a Client is thread-safe; it is one worker with one clock. Each Pull and Push
// belongs to the clock current when it was issued; Clock() and Snapshot() wait for Push calls
// being issued, and pushes issued after them belong to the next clock. Operations issued one after
// the other (from one thread, or ordered by the caller) are ordered as described above.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "net/client.h"
#include "ps/table_spec.h"

namespace halo::ps {

struct ClientOptions {
  int worker = 0;  // this worker's rank, in [0, num_workers of the shards)
  // Bounds each RPC, retries included.
  std::chrono::milliseconds rpc_deadline{5000};
  // How long a shard may hold a pull (or snapshot) that has to wait for other workers before
  // answering "not ready" (the client then asks again).
  std::chrono::milliseconds park{500};
  // How long a pull or snapshot may wait for other workers in all.
  std::chrono::milliseconds wait_deadline{300000};
  // Attempts of idempotent RPCs (CreateTable, Clock, Hello, Stats).
  int max_attempts = 2;
  // Rows cached per table (0: no cache). When full, rows too stale to reuse are dropped first.
  int64_t max_cache_rows = int64_t{1} << 20;
  net::ClientOptions net;
};

// What one worker observed of one table.
struct StalenessStats {
  int64_t bound = 0;           // the table's s (negative: ASP)
  int64_t rows_read = 0;       // rows returned by pulls (duplicates counted), cache hits included
  int64_t cache_hits = 0;      // of which served from the cache
  int64_t max_observed = 0;    // max over reads of clock - clock_reflected
  double mean_observed = 0.0;  // mean over reads
  int64_t pulls = 0;
  int64_t waited_pulls = 0;  // pulls that a shard held or answered "not ready" (slower workers)
};

class Client {
 public:
  using Handle = int64_t;

  // Connects to the shards (endpoints[s] is shard s), checks each one's shard index, shard count
  // and worker count, and takes the worker's clock from the shards (the largest, after a restore
  // or a crash in the middle of a Clock; shards behind are brought to it). Errors name the shard.
  static core::Result<std::unique_ptr<Client>> Connect(const std::vector<std::string>& endpoints,
                                                       const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Creates the table on every shard, or checks that it exists with an equal spec (AlreadyExists
  // otherwise, showing both specs). Required before using a table from this client.
  core::Status CreateTable(const TableSpec& spec);

  // Reads the rows of `ids` into *rows (resized here to ids.size() x dim; must stay alive and
  // untouched until Wait). Errors (unknown table, ID out of range) come from Wait.
  Handle Pull(const std::string& table, const std::vector<int64_t>& ids, std::vector<float>* rows);
  // Sends gradients (ids.size() x dim floats) to be applied by the table's optimizer.
  Handle Push(const std::string& table, const std::vector<int64_t>& ids,
              const std::vector<float>& grads);
  // Blocks until the operation is done; its outcome.
  core::Status Wait(Handle handle);

  // Ends this worker's current clock: waits for its pushes, then tells every shard. On error the
  // clock does not advance.
  core::Status Clock();
  // Collective snapshot: every worker calls it at the same clock, right after Clock() and before
  // pushing again; returns when every shard has written its file (ps/snapshot.h). *path (if given)
  // gets shard 0's file.
  core::Status Snapshot(std::string* path = nullptr);

  int worker() const { return options_.worker; }
  int num_shards() const { return static_cast<int>(shards_.size()); }
  int num_workers() const { return num_workers_; }
  int64_t clock() const;
  const std::string& endpoint(int shard) const;

  StalenessStats Staleness(const std::string& table) const;
  std::map<std::string, StalenessStats> AllStaleness() const;
  // A shard's StatsJson (ps/shard.h).
  core::Result<std::string> ShardStats(int shard);

 private:
  struct TableState;
  struct Op;

  Client(ClientOptions options, std::vector<std::unique_ptr<net::RpcClient>> shards);

  std::shared_ptr<TableState> FindTable(const std::string& name) const;
  Handle Register(std::shared_ptr<Op> op);
  // Waits for pending pushes (of `table`, or all when empty); the first error.
  core::Status FinishPushes(const std::string& table);
  void Complete(Op* op);
  void CompletePull(Op* op);
  void CompletePush(Op* op);
  std::string ShardName(int shard) const;

  const ClientOptions options_;
  std::vector<std::unique_ptr<net::RpcClient>> shards_;
  int num_workers_ = 0;

  // Push holds it shared while issuing, Clock and Snapshot exclusively: a push belongs to one
  // clock.
  std::shared_mutex step_mu_;
  mutable std::mutex mu_;
  int64_t clock_ = 0;                                          // guarded by mu_
  bool pushed_since_clock_ = false;                            // guarded by mu_
  Handle next_handle_ = 1;                                     // guarded by mu_
  std::map<Handle, std::shared_ptr<Op>> ops_;                  // guarded by mu_
  std::map<std::string, std::shared_ptr<TableState>> tables_;  // guarded by mu_
};

}  // namespace halo::ps
