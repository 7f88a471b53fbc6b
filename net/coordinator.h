// The coordinator: a small key-value service for one run, served by halo-launch (or a test) and
// used by every process of the run for rendezvous (Gloo's store, NCCL's unique ID, who is on
// which host) and liveness (heartbeats).
//
//   CoordinatorServer server;                       // in the launcher
//   HALO_RETURN_IF_ERROR(server.Start("tcp://127.0.0.1:0"));
//   ... pass server.endpoint() to every process ...
//
//   HALO_ASSIGN_OR_RETURN(auto c, CoordinatorClient::Connect(endpoint));   // in a process
//   HALO_RETURN_IF_ERROR(c->Set("rank/3/host", "node-b"));
//   HALO_ASSIGN_OR_RETURN(std::string v, c->Get("nccl/unique_id", std::chrono::seconds(30)));
//
// Get waits until the key exists or the deadline passes (DeadlineExceeded naming the key); the
// server never blocks a worker thread on it: it answers "not set" at once and the client polls
// again with a short backoff (1 ms doubling to 50 ms) within its wait. Every RPC has a deadline;
// an unreachable coordinator is Unavailable naming it. Keys and values are arbitrary bytes.
// Protocol: message types 60-64, listed at the top of coordinator.cc.
//
// Thread-safety: both classes are thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace halo::net {

class RpcServer;
class RpcClient;

class CoordinatorServer {
 public:
  CoordinatorServer();
  ~CoordinatorServer();
  // Binds ("tcp://addr:0" picks a free port) and starts serving.
  core::Status Start(const std::string& bind_endpoint);
  void Stop();
  // The bound endpoint, with the actual port.
  const std::string& endpoint() const;
  // In-process access for the launcher.
  void Set(const std::string& key, const std::string& value);
  std::optional<std::string> Get(const std::string& key) const;
  // Seconds since `key` was last set, or nullopt when it never was (liveness of heartbeats).
  std::optional<double> SecondsSinceSet(const std::string& key) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

class CoordinatorClient {
 public:
  // Connects lazily; `rpc_deadline` bounds each RPC (Get's waiting has its own deadline).
  static core::Result<std::unique_ptr<CoordinatorClient>> Connect(
      const std::string& endpoint,
      std::chrono::milliseconds rpc_deadline = std::chrono::milliseconds(10000));
  ~CoordinatorClient();
  const std::string& endpoint() const;
  core::Status Set(const std::string& key, const std::string& value);
  // Waits up to `wait` for the key to exist (wait 0: one look). DeadlineExceeded: "coordinator
  // <ep>: key '<k>' not set within N ms"; an unreachable coordinator fails within
  // max(wait, 200 ms) (and rpc_deadline).
  core::Result<std::string> Get(const std::string& key, std::chrono::milliseconds wait);
  // The value of `key`, or nullopt when it is not set now (one RPC, no waiting).
  core::Result<std::optional<std::string>> TryGet(const std::string& key);
  // The keys among `keys` that are not set now (one RPC).
  core::Result<std::vector<std::string>> Missing(const std::vector<std::string>& keys);
  // Atomically adds `delta` to the integer at `key` (0 when missing); returns the new value.
  // InvalidArgument when the key holds something other than a decimal integer. Not retried (a
  // retry could add twice).
  core::Result<int64_t> Add(const std::string& key, int64_t delta);
  // For each of `keys`, seconds since it was last set on the server, or nullopt when it never
  // was (one RPC): heartbeat liveness as seen from a process.
  core::Result<std::vector<std::optional<double>>> SecondsSinceSet(
      const std::vector<std::string>& keys);

 private:
  CoordinatorClient();
  std::unique_ptr<RpcClient> rpc_;
  std::chrono::milliseconds rpc_deadline_{10000};
};

}  // namespace halo::net
