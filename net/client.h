// RpcClient: request/reply calls to one RpcServer endpoint, with a deadline and retries.
//
//   HALO_ASSIGN_OR_RETURN(auto client, net::RpcClient::Connect("tcp://127.0.0.1:7001"));
//   HALO_ASSIGN_OR_RETURN(net::Message reply,
//                         client->Call(net::Message(kLookup, {ids}), std::chrono::seconds(2), 3));
//
// Each call in flight uses its own DEALER socket (idle ones are kept for reuse), so one client
// serves any number of threads at once. A call is sent once per attempt; after an attempt's share
// of the deadline passes without a reply, its socket is closed (a late reply to it is dropped by
// the server's ROUTER) and the next attempt goes out on a fresh socket. Retrying may execute a
// request twice on the server: pass max_attempts > 1 only for idempotent requests.
//
// Errors: Unavailable when no connection could be made for the last attempt ("no connection to
// tcp://...:7001 for request type 17 within 2000 ms (2 attempts)"), DeadlineExceeded when the
// request went out but no reply came ("no reply from tcp://...:7001 to request type 17 within
// 2000 ms (2 attempts)"), Corruption for an undecodable reply, and for an error reply the
// server's own code and message behind "<endpoint>: request type <t>: ".
//
// Thread-safety: RpcClient is thread-safe. A PendingCall is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "net/message.h"

namespace halo::net {

namespace internal {
class SocketPool;
struct CallState;
}  // namespace internal

struct ClientOptions {
  // Idle sockets kept for later calls; more concurrent calls open more sockets, closed on return.
  int max_idle_sockets = 16;
  // ZeroMQ high-water marks (messages) of each socket.
  int hwm = 1000;
};

class RpcClient;

// A call in flight, from RpcClient::CallAsync; Wait() or WaitAll() gives its outcome. Move-only.
// Destroying it without waiting abandons the call (a late reply is dropped). It keeps what it
// needs of its client alive, so it may outlive the RpcClient.
class PendingCall {
 public:
  PendingCall();
  ~PendingCall();
  PendingCall(PendingCall&& other) noexcept;
  PendingCall& operator=(PendingCall&& other) noexcept;

  // True until Wait() or WaitAll() has consumed it.
  bool valid() const { return state_ != nullptr; }
  // Blocks until the reply, an error or the deadline; the call is consumed (valid() turns false).
  // FailedPrecondition on an invalid handle.
  core::Result<Message> Wait();

 private:
  friend class RpcClient;
  friend std::vector<core::Result<Message>> WaitAll(std::vector<PendingCall>& calls);
  std::unique_ptr<internal::CallState> state_;
};

// Waits for all `calls` together (one poll over all their sockets) and returns their outcomes in
// the same order; every call is consumed. The time taken is that of the slowest call.
std::vector<core::Result<Message>> WaitAll(std::vector<PendingCall>& calls);

class RpcClient {
 public:
  // A client for `endpoint` ("tcp://host:port", "ipc://path"). Fails with InvalidArgument on a
  // malformed endpoint; does not wait for the server: calls wait (within their deadlines) until
  // it is there.
  static core::Result<std::unique_ptr<RpcClient>> Connect(const std::string& endpoint,
                                                          ClientOptions options = {});
  ~RpcClient();
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  const std::string& endpoint() const { return endpoint_; }

  // Sends `request` (its request_id is replaced by a fresh one) and waits for the reply.
  // `deadline` bounds the whole call, all attempts included; each attempt gets an equal share of
  // what is left when it starts. The reply has OK status: error replies are returned as Status.
  core::Result<Message> Call(Message request, std::chrono::milliseconds deadline,
                             int max_attempts = 1);
  // Sends `request` and returns without waiting. The request goes out at once when a connection
  // is up (an idle socket of an earlier call always has one); otherwise, and for retries, it goes
  // out inside Wait()/WaitAll(), which drive the call.
  PendingCall CallAsync(Message request, std::chrono::milliseconds deadline, int max_attempts = 1);
  // One kPing round trip: OK when the server answers within `deadline`.
  core::Status Ping(std::chrono::milliseconds deadline);

 private:
  RpcClient(std::string endpoint, std::shared_ptr<internal::SocketPool> pool);

  std::string endpoint_;
  std::shared_ptr<internal::SocketPool> pool_;
};

// One request for MultiCall.
struct CallSpec {
  RpcClient* client = nullptr;
  Message request;
};

// Sends every request (for instance one batch per owner part), then waits for all replies
// together: CallAsync on each, then WaitAll. Outcomes are in the order of `calls`.
std::vector<core::Result<Message>> MultiCall(std::vector<CallSpec> calls,
                                             std::chrono::milliseconds deadline,
                                             int max_attempts = 1);

}  // namespace halo::net
