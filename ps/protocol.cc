#include "ps/protocol.h"

#include <utility>

namespace halo::ps {

namespace {

using net::Array;

core::Status BadRequest(const net::Message& m, const std::string& what) {
  return core::Status::InvalidArgument(std::string(PsMessageName(m.type)) + " request: " + what);
}
core::Status BadReply(const net::Message& m, const std::string& what) {
  return core::Status::Corruption(std::string(PsMessageName(m.type)) + " reply: " + what);
}

// The i64 array `index` with exactly `count` values.
core::Result<net::ArrayView<int64_t>> Params(const net::Message& m, size_t index, size_t count) {
  HALO_ASSIGN_OR_RETURN(net::ArrayView<int64_t> p, m.View<int64_t>(index));
  if (p.size() != count) {
    return core::Status::InvalidArgument(
        std::string(PsMessageName(m.type)) + ": array " + std::to_string(index) + " has " +
        std::to_string(p.size()) + " values, expected " + std::to_string(count));
  }
  return p;
}

core::Result<std::string> Text(const net::Message& m, size_t index) {
  HALO_ASSIGN_OR_RETURN(net::ArrayView<char> t, m.View<char>(index));
  return std::string(t.data(), t.size());
}

}  // namespace

const char* PsMessageName(uint16_t type) {
  switch (type) {
    case kCreateTable:
      return "CreateTable";
    case kPull:
      return "Pull";
    case kPush:
      return "Push";
    case kClock:
      return "Clock";
    case kHello:
      return "Hello";
    case kSnapshot:
      return "Snapshot";
    case kStats:
      return "Stats";
    case net::kPing:
      return "Ping";
  }
  return "unknown";
}

net::Message MakeCreateTableRequest(const std::string& spec_json) {
  return net::Message(kCreateTable, {Array::FromString(spec_json)});
}

net::Message MakePullRequest(const std::string& table, int worker, int64_t clock, int64_t park_ms,
                             std::vector<int64_t> ids) {
  return net::Message(kPull, {Array::FromString(table),
                              Array::FromVector(std::vector<int64_t>{worker, clock, park_ms}),
                              Array::FromVector(std::move(ids))});
}

net::Message MakePushRequest(const std::string& table, int worker, int64_t clock,
                             std::vector<int64_t> ids, std::vector<float> grads) {
  return net::Message(
      kPush, {Array::FromString(table), Array::FromVector(std::vector<int64_t>{worker, clock}),
              Array::FromVector(std::move(ids)), Array::FromVector(std::move(grads))});
}

net::Message MakeClockRequest(int worker, int64_t clock) {
  return net::Message(kClock, {Array::FromVector(std::vector<int64_t>{worker, clock})});
}

net::Message MakeHelloRequest() { return net::Message(kHello); }

net::Message MakeSnapshotRequest(int worker, int64_t clock, int64_t park_ms) {
  return net::Message(kSnapshot, {Array::FromVector(std::vector<int64_t>{worker, clock, park_ms})});
}

net::Message MakeStatsRequest() { return net::Message(kStats); }

core::Result<std::string> ParseCreateTableRequest(const net::Message& request) {
  core::Status s = request.ExpectArrays(1);
  if (!s.ok()) return BadRequest(request, s.message());
  core::Result<std::string> text = Text(request, 0);
  if (!text.ok()) return BadRequest(request, text.status().message());
  return text;
}

core::Result<PullRequest> ParsePullRequest(const net::Message& request) {
  core::Status s = request.ExpectArrays(3);
  if (!s.ok()) return BadRequest(request, s.message());
  core::Result<std::string> table = Text(request, 0);
  if (!table.ok()) return BadRequest(request, table.status().message());
  core::Result<net::ArrayView<int64_t>> params = Params(request, 1, 3);
  if (!params.ok()) return BadRequest(request, params.status().message());
  core::Result<net::ArrayView<int64_t>> ids = request.View<int64_t>(2);
  if (!ids.ok()) return BadRequest(request, ids.status().message());
  PullRequest r;
  r.table = std::move(table).value();
  r.worker = (*params)[0];
  r.clock = (*params)[1];
  r.park_ms = (*params)[2];
  r.ids = *ids;
  if (r.park_ms < 0) return BadRequest(request, "park_ms < 0");
  return r;
}

core::Result<PushRequest> ParsePushRequest(const net::Message& request) {
  core::Status s = request.ExpectArrays(4);
  if (!s.ok()) return BadRequest(request, s.message());
  core::Result<std::string> table = Text(request, 0);
  if (!table.ok()) return BadRequest(request, table.status().message());
  core::Result<net::ArrayView<int64_t>> params = Params(request, 1, 2);
  if (!params.ok()) return BadRequest(request, params.status().message());
  core::Result<net::ArrayView<int64_t>> ids = request.View<int64_t>(2);
  if (!ids.ok()) return BadRequest(request, ids.status().message());
  core::Result<net::ArrayView<float>> grads = request.View<float>(3);
  if (!grads.ok()) return BadRequest(request, grads.status().message());
  PushRequest r;
  r.table = std::move(table).value();
  r.worker = (*params)[0];
  r.clock = (*params)[1];
  r.ids = *ids;
  r.grads = *grads;
  return r;
}

core::Result<WorkerClock> ParseClockRequest(const net::Message& request) {
  core::Status s = request.ExpectArrays(1);
  if (!s.ok()) return BadRequest(request, s.message());
  core::Result<net::ArrayView<int64_t>> params = Params(request, 0, 2);
  if (!params.ok()) return BadRequest(request, params.status().message());
  return WorkerClock{(*params)[0], (*params)[1], 0};
}

core::Result<WorkerClock> ParseSnapshotRequest(const net::Message& request) {
  core::Status s = request.ExpectArrays(1);
  if (!s.ok()) return BadRequest(request, s.message());
  core::Result<net::ArrayView<int64_t>> params = Params(request, 0, 3);
  if (!params.ok()) return BadRequest(request, params.status().message());
  if ((*params)[2] < 0) return BadRequest(request, "park_ms < 0");
  return WorkerClock{(*params)[0], (*params)[1], (*params)[2]};
}

net::Message MakePullReply(bool ready, int64_t clock_reflected, bool waited,
                           std::vector<float> rows, std::vector<int64_t> clocks) {
  return net::Message(
      kPull,
      {Array::FromVector(std::vector<int64_t>{ready ? 1 : 0, clock_reflected, waited ? 1 : 0}),
       Array::FromVector(std::move(rows)), Array::FromVector(std::move(clocks))});
}

net::Message MakeClocksReply(std::vector<int64_t> clocks) {
  return net::Message(kClock, {Array::FromVector(std::move(clocks))});
}

net::Message MakeHelloReply(int shard, int num_shards, int num_workers,
                            std::vector<int64_t> clocks) {
  return net::Message(kHello,
                      {Array::FromVector(std::vector<int64_t>{shard, num_shards, num_workers}),
                       Array::FromVector(std::move(clocks))});
}

net::Message MakeSnapshotReply(bool ready, int64_t clock, std::string path) {
  return net::Message(kSnapshot, {Array::FromVector(std::vector<int64_t>{ready ? 1 : 0, clock}),
                                  Array::FromString(std::move(path))});
}

net::Message MakeStatsReply(std::string json) {
  return net::Message(kStats, {Array::FromString(std::move(json))});
}

core::Result<PullReply> ParsePullReply(const net::Message& reply, size_t n, int64_t dim) {
  core::Status s = reply.ExpectArrays(3);
  if (!s.ok()) return BadReply(reply, s.message());
  core::Result<net::ArrayView<int64_t>> info = Params(reply, 0, 3);
  if (!info.ok()) return BadReply(reply, info.status().message());
  core::Result<net::ArrayView<float>> rows = reply.View<float>(1);
  if (!rows.ok()) return BadReply(reply, rows.status().message());
  core::Result<net::ArrayView<int64_t>> clocks = reply.View<int64_t>(2);
  if (!clocks.ok()) return BadReply(reply, clocks.status().message());
  PullReply r;
  r.ready = (*info)[0] != 0;
  r.clock_reflected = (*info)[1];
  r.waited = (*info)[2] != 0;
  r.rows = *rows;
  r.clocks.assign(clocks->begin(), clocks->end());
  const size_t expected = r.ready ? n * static_cast<size_t>(dim) : 0;
  if (r.rows.size() != expected) {
    return BadReply(reply, std::to_string(r.rows.size()) + " floats for " + std::to_string(n) +
                               " rows of dim " + std::to_string(dim));
  }
  return r;
}

core::Result<std::vector<int64_t>> ParseClocksReply(const net::Message& reply) {
  core::Status s = reply.ExpectArrays(1);
  if (!s.ok()) return BadReply(reply, s.message());
  core::Result<net::ArrayView<int64_t>> clocks = reply.View<int64_t>(0);
  if (!clocks.ok()) return BadReply(reply, clocks.status().message());
  return std::vector<int64_t>(clocks->begin(), clocks->end());
}

core::Result<HelloReply> ParseHelloReply(const net::Message& reply) {
  core::Status s = reply.ExpectArrays(2);
  if (!s.ok()) return BadReply(reply, s.message());
  core::Result<net::ArrayView<int64_t>> info = Params(reply, 0, 3);
  if (!info.ok()) return BadReply(reply, info.status().message());
  core::Result<net::ArrayView<int64_t>> clocks = reply.View<int64_t>(1);
  if (!clocks.ok()) return BadReply(reply, clocks.status().message());
  HelloReply r;
  r.shard = static_cast<int>((*info)[0]);
  r.num_shards = static_cast<int>((*info)[1]);
  r.num_workers = static_cast<int>((*info)[2]);
  r.clocks.assign(clocks->begin(), clocks->end());
  if (r.clocks.size() != static_cast<size_t>(r.num_workers)) {
    return BadReply(reply, "clocks of " + std::to_string(r.clocks.size()) + " workers, expected " +
                               std::to_string(r.num_workers));
  }
  return r;
}

core::Result<SnapshotReply> ParseSnapshotReply(const net::Message& reply) {
  core::Status s = reply.ExpectArrays(2);
  if (!s.ok()) return BadReply(reply, s.message());
  core::Result<net::ArrayView<int64_t>> info = Params(reply, 0, 2);
  if (!info.ok()) return BadReply(reply, info.status().message());
  core::Result<std::string> path = Text(reply, 1);
  if (!path.ok()) return BadReply(reply, path.status().message());
  return SnapshotReply{(*info)[0] != 0, (*info)[1], std::move(path).value()};
}

core::Result<std::string> ParseStatsReply(const net::Message& reply) {
  core::Status s = reply.ExpectArrays(1);
  if (!s.ok()) return BadReply(reply, s.message());
  core::Result<std::string> json = Text(reply, 0);
  if (!json.ok()) return BadReply(reply, json.status().message());
  return json;
}

}  // namespace halo::ps
