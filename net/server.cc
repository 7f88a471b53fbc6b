#include "net/server.h"

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <utility>
#include <zmq.hpp>

#include "core/logging.h"
#include "net/codec.h"
#include "net/transport.h"

namespace halo::net {
namespace {

constexpr const char* kRepliesEndpoint = "inproc://halo-rpc-replies";
// Messages moved per wake-up of the I/O thread before it polls again, so that neither direction
// starves the other.
constexpr int kBurst = 64;
// A ping this small is answered on the I/O thread; anything larger goes to the workers.
constexpr size_t kInlinePingBytes = 4096;

// One request as received: ROUTER identity frame, then the message frames.
using Parts = std::vector<zmq::message_t>;

// The reply parts (identity first) for `reply`; an encoding failure becomes an Internal reply.
Parts ReplyParts(zmq::message_t identity, const Message& reply) {
  core::Result<std::vector<Frame>> frames = Encode(reply);
  if (!frames.ok()) {
    Message error;
    error.type = reply.type;
    error.request_id = reply.request_id;
    error.status = core::Status::Internal("cannot encode reply: " + frames.status().message());
    frames = Encode(error);
  }
  Parts parts;
  parts.reserve(frames->size() + 1);
  parts.push_back(std::move(identity));
  for (const Frame& f : *frames) parts.push_back(internal::ToZmq(f));
  return parts;
}

bool IsZmqShutdown(const zmq::error_t& e) { return e.num() == ETERM; }

// The reply to one request's frames: a kPing's, the handler's, or an error reply.
Message Answer(const RpcServer::Handler& handler, const std::vector<Frame>& frames) {
  Message reply;
  core::Result<Message> request = Decode(frames);
  if (!request.ok()) {
    const HeaderPeek peek = PeekHeader(frames[0].data, frames[0].size);
    reply.type = peek.type;
    reply.request_id = peek.request_id;
    reply.status = request.status().WithContext("malformed request");
    return reply;
  }
  if (request->type != kPing) {
    try {
      core::Result<Message> result = handler(*request);
      if (result.ok()) {
        reply = std::move(result).value();
      } else {
        reply.status = result.status();
      }
    } catch (const std::exception& e) {
      reply.status = core::Status::Internal("handler threw: " + std::string(e.what()));
    } catch (...) {
      reply.status = core::Status::Internal("handler threw a non-standard exception");
    }
  }
  reply.request_id = request->request_id;
  if (reply.type == 0) reply.type = request->type;
  return reply;
}

}  // namespace

struct RpcServer::State {
  zmq::context_t context{1};
  std::unique_ptr<zmq::socket_t> router;   // used by the I/O thread once started
  std::unique_ptr<zmq::socket_t> replies;  // PULL side of the workers' replies

  std::mutex mu;
  std::condition_variable cv;
  std::deque<Parts> queue;  // guarded by mu
  bool closed = false;      // guarded by mu
};

std::string LoopbackEndpoint(int port) {
  return "tcp://127.0.0.1:" + (port == 0 ? std::string("*") : std::to_string(port));
}

RpcServer::RpcServer(Handler handler, ServerOptions options)
    : handler_(std::move(handler)), options_(options), state_(std::make_unique<State>()) {
  if (options_.num_workers < 1) options_.num_workers = 1;
  if (options_.max_queued_requests < 1) options_.max_queued_requests = 1;
}

RpcServer::~RpcServer() { Stop(); }

core::Status RpcServer::Bind(const std::string& endpoint) {
  if (state_->router != nullptr || stopped_) {
    return core::Status::FailedPrecondition("RpcServer::Bind(" + endpoint +
                                            "): already bound or stopped");
  }
  try {
    auto router = std::make_unique<zmq::socket_t>(state_->context, zmq::socket_type::router);
    internal::SetCommonOptions(*router, options_.hwm);
    router->bind(endpoint);
    endpoint_ = router->get(zmq::sockopt::last_endpoint);
    state_->router = std::move(router);
  } catch (const zmq::error_t& e) {
    if (e.num() == EINVAL || e.num() == EPROTONOSUPPORT || e.num() == ENOCOMPATPROTO) {
      return core::Status::InvalidArgument("bad endpoint \"" + endpoint + "\": " + e.what());
    }
    return internal::ZmqError("bind", endpoint, e);
  }
  return core::Status::OK();
}

int RpcServer::port() const {
  if (endpoint_.rfind("tcp://", 0) != 0) return 0;
  const size_t colon = endpoint_.rfind(':');
  if (colon == std::string::npos) return 0;
  return std::atoi(endpoint_.c_str() + colon + 1);
}

core::Status RpcServer::Start() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (state_->router == nullptr) {
    return core::Status::FailedPrecondition("RpcServer::Start: Bind an endpoint first");
  }
  if (started_ || stopped_) {
    return core::Status::FailedPrecondition("RpcServer::Start: already started or stopped");
  }
  try {
    state_->replies = std::make_unique<zmq::socket_t>(state_->context, zmq::socket_type::pull);
    internal::SetCommonOptions(*state_->replies, options_.hwm);
    state_->replies->bind(kRepliesEndpoint);
  } catch (const zmq::error_t& e) {
    return internal::ZmqError("bind", kRepliesEndpoint, e);
  }
  started_ = true;
  threads_.emplace_back([this] { IoLoop(); });
  for (int i = 0; i < options_.num_workers; ++i) threads_.emplace_back([this] { WorkerLoop(); });
  return core::Status::OK();
}

void RpcServer::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard<std::mutex> queue_lock(state_->mu);
    state_->closed = true;
    state_->queue.clear();
  }
  state_->cv.notify_all();
  // Every blocking ZeroMQ call in our threads now returns ETERM.
  state_->context.shutdown();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  state_->router.reset();
  state_->replies.reset();
  state_->context.close();  // all sockets are closed: returns at once, and the port is free
}

void RpcServer::IoLoop() {
  State& s = *state_;
  zmq::socket_t& router = *s.router;
  zmq::socket_t& replies = *s.replies;
  Parts parts;
  for (;;) {
    try {
      bool room;
      {
        std::lock_guard<std::mutex> lock(s.mu);
        room = static_cast<int>(s.queue.size()) < options_.max_queued_requests;
      }
      zmq::pollitem_t items[2] = {
          {router.handle(), 0, static_cast<short>(room ? ZMQ_POLLIN : 0), 0},
          {replies.handle(), 0, ZMQ_POLLIN, 0},
      };
      // Every queued request ends in a reply, which wakes us; the timeout is only a safety net.
      zmq::poll(items, 2, std::chrono::milliseconds(room ? -1 : 100));

      for (int i = 0; i < kBurst && (items[1].revents & ZMQ_POLLIN); ++i) {
        if (!internal::RecvParts(replies, &parts, /*dontwait=*/true)) break;
        // ROUTER drops (never blocks on) a reply whose client is gone or over its high-water mark.
        internal::SendParts(router, parts, /*dontwait=*/true);
      }
      for (int i = 0; i < kBurst && room && (items[0].revents & ZMQ_POLLIN); ++i) {
        if (!internal::RecvParts(router, &parts, /*dontwait=*/true)) break;
        if (parts.size() < 2) continue;  // identity only: nothing to answer
        if (parts.size() == 2 && parts[1].size() <= kInlinePingBytes) {
          const Frame header{static_cast<const uint8_t*>(parts[1].data()), parts[1].size(), {}};
          if (PeekHeader(header.data, header.size).type == kPing) {
            core::Result<Message> ping = Decode({header});
            if (ping.ok()) {
              Message pong(kPing);
              pong.request_id = ping->request_id;
              Parts reply = ReplyParts(std::move(parts[0]), pong);
              internal::SendParts(router, reply, /*dontwait=*/true);
              continue;
            }
          }
        }
        std::lock_guard<std::mutex> lock(s.mu);
        s.queue.push_back(std::move(parts));
        s.cv.notify_one();
        room = static_cast<int>(s.queue.size()) < options_.max_queued_requests;
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      if (!IsZmqShutdown(e)) HALO_LOG(Error) << "rpc server " << endpoint_ << ": " << e.what();
      return;
    }
  }
}

void RpcServer::WorkerLoop() {
  State& s = *state_;
  try {
    zmq::socket_t push(s.context, zmq::socket_type::push);
    internal::SetCommonOptions(push, options_.hwm);
    push.connect(kRepliesEndpoint);
    for (;;) {
      Parts parts;
      {
        std::unique_lock<std::mutex> lock(s.mu);
        s.cv.wait(lock, [&] { return s.closed || !s.queue.empty(); });
        if (s.closed) return;
        parts = std::move(s.queue.front());
        s.queue.pop_front();
      }
      zmq::message_t identity = std::move(parts[0]);
      std::vector<Frame> frames;
      frames.reserve(parts.size() - 1);
      for (size_t i = 1; i < parts.size(); ++i) {
        frames.push_back(internal::FromZmq(std::move(parts[i])));
      }
      const Message reply = Answer(handler_, frames);
      Parts out = ReplyParts(std::move(identity), reply);
      internal::SendParts(push, out, /*dontwait=*/false);
    }
  } catch (const zmq::error_t& e) {
    if (!IsZmqShutdown(e)) HALO_LOG(Error) << "rpc server " << endpoint_ << ": " << e.what();
  }
}

}  // namespace halo::net
