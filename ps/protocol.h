// The parameter-server protocol: the messages a shard (halo-ps, ps::Shard) answers and ps::Client
// sends, carried by net/ (docs/net-protocol.md). Layouts (docs/halo-ps.md):
//
//   type  name         request arrays                        reply arrays
//   80    CreateTable  spec json                             (none)
//   81    Pull         table, i64{worker,clock,park_ms}, ids   i64{ready,clock_reflected,waited},
//                                                              rows f32 n*dim, clocks i64 W
//   82    Push         table, i64{worker,clock}, ids, grads  (none)
//   83    Clock        i64{worker,clock}                     clocks i64 W
//   84    Hello        (none)                                i64{shard,num_shards,num_workers},
//                                                              clocks i64 W
//   85    Snapshot     i64{worker,clock,park_ms}             i64{ready,clock}, path
//   86    Stats        (none)                                json
// (table, spec json, path and json are byte arrays; ids i64 n; grads f32 n*dim; a Pull reply's
// rows are empty and its clocks given only when not ready.)
//
// A Pull or Snapshot that cannot be answered yet (slow workers; other workers not yet arrived)
// is held by the shard for at most park_ms and then answered with ready = 0 and the clocks; the
// client asks again. Requests from the network are checked completely (array count, dtypes,
// sizes) and a bad one is InvalidArgument naming the message type; a reply that does not fit its
// request is Corruption. Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "net/message.h"

namespace halo::ps {

constexpr uint16_t kCreateTable = 80;
constexpr uint16_t kPull = 81;
constexpr uint16_t kPush = 82;
constexpr uint16_t kClock = 83;
constexpr uint16_t kHello = 84;
constexpr uint16_t kSnapshot = 85;
constexpr uint16_t kStats = 86;

// "CreateTable", ..., "Stats", or "unknown".
const char* PsMessageName(uint16_t type);

// Requests.
net::Message MakeCreateTableRequest(const std::string& spec_json);
net::Message MakePullRequest(const std::string& table, int worker, int64_t clock, int64_t park_ms,
                             std::vector<int64_t> ids);
net::Message MakePushRequest(const std::string& table, int worker, int64_t clock,
                             std::vector<int64_t> ids, std::vector<float> grads);
net::Message MakeClockRequest(int worker, int64_t clock);
net::Message MakeHelloRequest();
net::Message MakeSnapshotRequest(int worker, int64_t clock, int64_t park_ms);
net::Message MakeStatsRequest();

struct PullRequest {
  std::string table;
  int64_t worker = 0;
  int64_t clock = 0;
  int64_t park_ms = 0;
  net::ArrayView<int64_t> ids;
};
struct PushRequest {
  std::string table;
  int64_t worker = 0;
  int64_t clock = 0;
  net::ArrayView<int64_t> ids;
  net::ArrayView<float> grads;  // not yet checked against the table's dim
};
struct WorkerClock {
  int64_t worker = 0;
  int64_t clock = 0;
  int64_t park_ms = 0;  // Snapshot only
};

core::Result<std::string> ParseCreateTableRequest(const net::Message& request);
core::Result<PullRequest> ParsePullRequest(const net::Message& request);
core::Result<PushRequest> ParsePushRequest(const net::Message& request);
core::Result<WorkerClock> ParseClockRequest(const net::Message& request);
core::Result<WorkerClock> ParseSnapshotRequest(const net::Message& request);

// Replies.
// `waited`: the shard held the request before answering (it was ahead of the bound).
net::Message MakePullReply(bool ready, int64_t clock_reflected, bool waited,
                           std::vector<float> rows, std::vector<int64_t> clocks);
net::Message MakeClocksReply(std::vector<int64_t> clocks);
net::Message MakeHelloReply(int shard, int num_shards, int num_workers,
                            std::vector<int64_t> clocks);
net::Message MakeSnapshotReply(bool ready, int64_t clock, std::string path);
net::Message MakeStatsReply(std::string json);

struct PullReply {
  bool ready = false;
  int64_t clock_reflected = 0;
  bool waited = false;
  net::ArrayView<float> rows;  // n * dim when ready
  std::vector<int64_t> clocks;
};
struct HelloReply {
  int shard = 0;
  int num_shards = 0;
  int num_workers = 0;
  std::vector<int64_t> clocks;
};
struct SnapshotReply {
  bool ready = false;
  int64_t clock = 0;
  std::string path;
};

core::Result<PullReply> ParsePullReply(const net::Message& reply, size_t n, int64_t dim);
core::Result<std::vector<int64_t>> ParseClocksReply(const net::Message& reply);
core::Result<HelloReply> ParseHelloReply(const net::Message& reply);
core::Result<SnapshotReply> ParseSnapshotReply(const net::Message& reply);
core::Result<std::string> ParseStatsReply(const net::Message& reply);

}  // namespace halo::ps
