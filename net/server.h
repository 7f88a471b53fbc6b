// RpcServer: answers Messages arriving on a ZeroMQ ROUTER socket with a handler run by a pool of
// worker threads.
//
//   net::RpcServer server([&](const net::Message& req) -> core::Result<net::Message> {...});
//   HALO_RETURN_IF_ERROR(server.Bind("tcp://127.0.0.1:*"));   // server.endpoint(): actual port
//   HALO_RETURN_IF_ERROR(server.Start());
//   ...
//   server.Stop();
//
// Threads: one I/O thread owns the ROUTER socket (ZeroMQ sockets are single-threaded), answers
// kPing itself, and queues other requests; `num_workers` threads decode, run the handler, encode
// and hand replies back to the I/O thread over an inproc PUSH/PULL pair. A shared queue (rather
// than a DEALER fan-out) means a slow handler never holds up requests an idle worker could take.
// When `max_queued_requests` are waiting, the I/O thread stops reading and ZeroMQ's high-water
// marks push back on the clients.
//
// Replies: the handler's Message goes back with the request's request_id (and type, unless the
// handler set one). A handler error, or an exception thrown by the handler (as Internal), goes
// back as an error reply. A request that cannot be decoded gets an error reply naming the problem,
// addressed with the request id when the header still shows one (else 0); the server goes on.
//
// Thread-safety: the handler runs on several workers at once and must be thread-safe, and must
// not call Stop (Stop waits for handlers). Bind and Start are called from one thread; Stop from
// any thread; endpoint() may be read from any thread after Bind.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "net/message.h"

namespace halo::net {

// "tcp://127.0.0.1:<port>", or "tcp://127.0.0.1:*" (any free port) for port 0: servers bind to
// loopback unless configured otherwise.
std::string LoopbackEndpoint(int port = 0);

struct ServerOptions {
  int num_workers = 4;
  // Requests read off the socket but not yet taken by a worker, before reading pauses.
  int max_queued_requests = 1024;
  // ZeroMQ high-water marks (messages) of the ROUTER socket.
  int hwm = 1000;
};

class RpcServer {
 public:
  using Handler = std::function<core::Result<Message>(const Message& request)>;

  explicit RpcServer(Handler handler, ServerOptions options = {});
  // Stops the server if it runs.
  ~RpcServer();
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Binds the socket to `endpoint`; before Start, once. Port 0 or "*" ("tcp://127.0.0.1:*") picks
  // a free port; endpoint() then says which. Unavailable when the address is taken,
  // InvalidArgument when the endpoint is malformed.
  core::Status Bind(const std::string& endpoint);
  // The bound endpoint with its actual port ("tcp://127.0.0.1:40123"); empty before Bind.
  const std::string& endpoint() const { return endpoint_; }
  // The bound TCP port, or 0 (not bound, or not TCP).
  int port() const;

  // Starts the threads; after a successful Bind, once.
  core::Status Start();
  // Stops reading, waits for running handlers to return, joins every thread and closes the
  // socket (the port is free again when Stop returns). Queued requests are dropped: their clients
  // time out or retry. Idempotent; a stopped server cannot be started again.
  void Stop();

 private:
  struct State;  // sockets, queue and context: ZeroMQ types stay out of this header

  void IoLoop();
  void WorkerLoop();

  Handler handler_;
  ServerOptions options_;
  std::string endpoint_;
  std::unique_ptr<State> state_;
  std::vector<std::thread> threads_;
  std::mutex stop_mu_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace halo::net
