#include "net/client.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <optional>
#include <utility>
#include <zmq.hpp>

#include "net/codec.h"
#include "net/transport.h"

namespace halo::net {

using Clock = std::chrono::steady_clock;

namespace internal {

// The DEALER sockets of one client: idle ones wait here between calls.
class SocketPool {
 public:
  SocketPool(std::string endpoint, ClientOptions options)
      : endpoint_(std::move(endpoint)), options_(options) {}

  const std::string& endpoint() const { return endpoint_; }

  // An idle socket, or a new one connecting to the endpoint.
  core::Result<std::unique_ptr<zmq::socket_t>> Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        std::unique_ptr<zmq::socket_t> socket = std::move(idle_.back());
        idle_.pop_back();
        return socket;
      }
    }
    try {
      auto socket = std::make_unique<zmq::socket_t>(ClientContext(), zmq::socket_type::dealer);
      SetCommonOptions(*socket, options_.hwm);
      // Queue nothing on connections that are not complete: sending then waits (POLLOUT) until
      // a server is there, which tells "no server" (Unavailable) from "no reply" (deadline).
      socket->set(zmq::sockopt::immediate, 1);
      socket->connect(endpoint_);
      return socket;
    } catch (const zmq::error_t& e) {
      if (e.num() == EINVAL || e.num() == EPROTONOSUPPORT || e.num() == ENOCOMPATPROTO) {
        return core::Status::InvalidArgument("bad endpoint \"" + endpoint_ + "\": " + e.what());
      }
      return ZmqError("connect to", endpoint_, e);
    }
  }

  // Takes back a socket with no request outstanding.
  void Release(std::unique_ptr<zmq::socket_t> socket) {
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int>(idle_.size()) < options_.max_idle_sockets) {
      idle_.push_back(std::move(socket));
    }
  }

 private:
  const std::string endpoint_;
  const ClientOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<zmq::socket_t>> idle_;
};

struct CallState {
  std::shared_ptr<SocketPool> pool;
  uint16_t type = 0;
  uint64_t request_id = 0;
  std::vector<Frame> frames;  // encoded once, sent by every attempt
  Clock::time_point start;
  Clock::time_point deadline;
  Clock::time_point attempt_deadline;
  int max_attempts = 1;
  int attempt = 0;
  std::unique_ptr<zmq::socket_t> socket;
  bool sent = false;  // the current attempt's request is out
  std::optional<core::Result<Message>> result;
};

}  // namespace internal

namespace {

using internal::CallState;

uint64_t NextRequestId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

std::string Attempts(int n) { return std::to_string(n) + (n == 1 ? " attempt" : " attempts"); }

int64_t ElapsedMs(const CallState& c, Clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - c.start).count();
}

void Finish(CallState* c, core::Result<Message> result) {
  c->socket.reset();  // closes it (LINGER 0): any late reply is dropped
  c->result = std::move(result);
}

void TrySend(CallState* c) {
  std::vector<zmq::message_t> parts;
  parts.reserve(c->frames.size());
  for (const Frame& f : c->frames) parts.push_back(internal::ToZmq(f));
  try {
    c->sent = internal::SendParts(*c->socket, parts, /*dontwait=*/true);
  } catch (const zmq::error_t& e) {
    Finish(c, internal::ZmqError("send to", c->pool->endpoint(), e));
  }
}

void StartAttempt(CallState* c, Clock::time_point now) {
  c->socket.reset();
  ++c->attempt;
  c->sent = false;
  const int left = c->max_attempts - c->attempt + 1;
  c->attempt_deadline = now + (c->deadline - now) / left;
  core::Result<std::unique_ptr<zmq::socket_t>> socket = c->pool->Acquire();
  if (!socket.ok()) {
    Finish(c, socket.status());
    return;
  }
  c->socket = std::move(socket).value();
  TrySend(c);  // a pooled socket is usually connected: no need to poll first
}

void TimeOut(CallState* c, Clock::time_point now) {
  const std::string what = c->sent ? "no reply from " + c->pool->endpoint() + " to"
                                   : "no connection to " + c->pool->endpoint() + " for";
  const std::string message = what + " request type " + std::to_string(c->type) + " within " +
                              std::to_string(ElapsedMs(*c, now)) + " ms (" + Attempts(c->attempt) +
                              ")";
  Finish(c, c->sent ? core::Status::DeadlineExceeded(message) : core::Status::Unavailable(message));
}

// Reads every reply waiting on the call's socket; stale ones (other request ids) are dropped.
void TryReceive(CallState* c) {
  std::vector<zmq::message_t> parts;
  for (;;) {
    try {
      if (!internal::RecvParts(*c->socket, &parts, /*dontwait=*/true)) return;
    } catch (const zmq::error_t& e) {
      Finish(c, internal::ZmqError("receive from", c->pool->endpoint(), e));
      return;
    }
    std::vector<Frame> frames;
    frames.reserve(parts.size());
    for (zmq::message_t& p : parts) frames.push_back(internal::FromZmq(std::move(p)));
    const std::string context = c->pool->endpoint() + ": request type " + std::to_string(c->type);
    core::Result<Message> reply = Decode(frames);
    if (!reply.ok()) {
      Finish(c, reply.status().WithContext(context + ": bad reply"));
      return;
    }
    // Id 0 with an error: the server could not read our id, and this socket carries only us.
    const bool ours =
        reply->request_id == c->request_id || (reply->request_id == 0 && !reply->status.ok());
    if (!ours) continue;
    c->pool->Release(std::move(c->socket));
    if (!reply->status.ok()) {
      Finish(c, reply->status.WithContext(context));
    } else {
      Finish(c, std::move(reply));
    }
    return;
  }
}

// Runs the calls until each has a result: polls all their sockets at once, sends when a
// connection is ready, reads replies, and starts the next attempt when one times out.
void Drive(const std::vector<CallState*>& calls) {
  std::vector<zmq::pollitem_t> items;
  std::vector<CallState*> live;
  for (;;) {
    const Clock::time_point now = Clock::now();
    items.clear();
    live.clear();
    Clock::time_point wake = Clock::time_point::max();
    for (CallState* c : calls) {
      if (c->result) continue;
      if (now >= c->attempt_deadline) {
        if (c->attempt < c->max_attempts && now < c->deadline) {
          StartAttempt(c, now);
          if (c->result) continue;
        } else {
          TimeOut(c, now);
          continue;
        }
      }
      live.push_back(c);
      const short events = c->sent ? ZMQ_POLLIN : ZMQ_POLLOUT;
      items.push_back(zmq::pollitem_t{c->socket->handle(), 0, events, 0});
      wake = std::min(wake, c->attempt_deadline);
    }
    if (live.empty()) return;
    // Rounded up so that a wake-up never comes early and spins.
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now);
    try {
      zmq::poll(items, std::max(wait, std::chrono::milliseconds(0)));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      for (CallState* c : live) Finish(c, internal::ZmqError("poll", c->pool->endpoint(), e));
      return;
    }
    for (size_t i = 0; i < live.size(); ++i) {
      CallState* c = live[i];
      if (c->result) continue;
      if (!c->sent && (items[i].revents & ZMQ_POLLOUT)) TrySend(c);
      if (c->sent && !c->result && (items[i].revents & ZMQ_POLLIN)) TryReceive(c);
    }
  }
}

}  // namespace

PendingCall::PendingCall() = default;
PendingCall::~PendingCall() = default;
PendingCall::PendingCall(PendingCall&& other) noexcept = default;
PendingCall& PendingCall::operator=(PendingCall&& other) noexcept = default;

core::Result<Message> PendingCall::Wait() {
  if (state_ == nullptr) return core::Status::FailedPrecondition("PendingCall already consumed");
  Drive({state_.get()});
  core::Result<Message> result = std::move(*state_->result);
  state_.reset();
  return result;
}

std::vector<core::Result<Message>> WaitAll(std::vector<PendingCall>& calls) {
  std::vector<CallState*> states;
  for (PendingCall& call : calls) {
    if (call.state_ != nullptr) states.push_back(call.state_.get());
  }
  Drive(states);
  std::vector<core::Result<Message>> results;
  results.reserve(calls.size());
  for (PendingCall& call : calls) {
    if (call.state_ == nullptr) {
      results.emplace_back(core::Status::FailedPrecondition("PendingCall already consumed"));
      continue;
    }
    results.push_back(std::move(*call.state_->result));
    call.state_.reset();
  }
  return results;
}

core::Result<std::unique_ptr<RpcClient>> RpcClient::Connect(const std::string& endpoint,
                                                            ClientOptions options) {
  auto pool = std::make_shared<internal::SocketPool>(endpoint, options);
  // The first socket checks the endpoint and starts connecting before the first call.
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<zmq::socket_t> socket, pool->Acquire());
  pool->Release(std::move(socket));
  return std::unique_ptr<RpcClient>(new RpcClient(endpoint, std::move(pool)));
}

RpcClient::RpcClient(std::string endpoint, std::shared_ptr<internal::SocketPool> pool)
    : endpoint_(std::move(endpoint)), pool_(std::move(pool)) {}

RpcClient::~RpcClient() = default;

PendingCall RpcClient::CallAsync(Message request, std::chrono::milliseconds deadline,
                                 int max_attempts) {
  PendingCall call;
  call.state_ = std::make_unique<CallState>();
  CallState* c = call.state_.get();
  c->pool = pool_;
  c->type = request.type;
  c->request_id = NextRequestId();
  c->max_attempts = std::max(1, max_attempts);
  c->start = Clock::now();
  c->deadline = c->start + std::max(deadline, std::chrono::milliseconds(0));
  request.request_id = c->request_id;
  core::Result<std::vector<Frame>> frames = Encode(request);
  if (!frames.ok()) {
    c->result = frames.status();
    return call;
  }
  c->frames = std::move(frames).value();
  StartAttempt(c, c->start);
  return call;
}

core::Result<Message> RpcClient::Call(Message request, std::chrono::milliseconds deadline,
                                      int max_attempts) {
  return CallAsync(std::move(request), deadline, max_attempts).Wait();
}

core::Status RpcClient::Ping(std::chrono::milliseconds deadline) {
  return Call(Message(kPing), deadline, 1).status();
}

std::vector<core::Result<Message>> MultiCall(std::vector<CallSpec> calls,
                                             std::chrono::milliseconds deadline, int max_attempts) {
  std::vector<PendingCall> pending;
  pending.reserve(calls.size());
  for (CallSpec& spec : calls) {
    pending.push_back(spec.client->CallAsync(std::move(spec.request), deadline, max_attempts));
  }
  return WaitAll(pending);
}

}  // namespace halo::net
