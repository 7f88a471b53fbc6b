#include "trainer/gloo_communicator.h"

#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/common/error.h>
#include <gloo/common/logging.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/transport/tcp/address.h>
#include <gloo/transport/tcp/device.h>
#include <signal.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <exception>
#include <mutex>
#include <utility>

#include "trainer/coordinator_store.h"

namespace halo::trainer {

namespace {

using core::Status;

// Gloo's reduction function type (void pointers, element count).
using ReduceFn = void (*)(void*, const void*, const void*, size_t);

// Heartbeat look-ups for error messages must not delay the error much.
constexpr std::chrono::milliseconds kHintDeadline{1000};

bool IsTimeout(const std::string& message) {
  return message.find("Timed out") != std::string::npos ||
         message.find("timed out") != std::string::npos ||
         message.find("not set within") != std::string::npos;
}

// Gloo messages start with "[/path/to/file.cc:123] "; keep what follows.
std::string StripGlooLocation(const std::string& message) {
  if (!message.empty() && message[0] == '[') {
    const size_t close = message.find("] ");
    if (close != std::string::npos && message.find(':') < close) return message.substr(close + 2);
  }
  return message;
}

// The address part of Gloo's printed form ("[127.0.0.1]:4242$3" -> "[127.0.0.1]:4242"): the
// listening address of the rank's device, which Gloo's pair errors quote.
std::string ListenerOf(const std::string& printed) { return printed.substr(0, printed.find('$')); }

// Gloo writes to its sockets with writev, which raises SIGPIPE when the peer has gone: by
// default that kills the process before Gloo can report the error. Ignore it (once, and only
// when nobody installed a handler), as Python does for PyTorch's Gloo.
void IgnoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current;
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL &&
        (current.sa_flags & SA_SIGINFO) == 0) {
      std::signal(SIGPIPE, SIG_IGN);
    }
  });
}

}  // namespace

core::Result<std::unique_ptr<GlooCommunicator>> GlooCommunicator::Create(
    const CommConfig& config, const std::string& group_name) {
  IgnoreSigpipe();
  std::unique_ptr<GlooCommunicator> comm(new GlooCommunicator());
  comm->config_ = config;
  const std::chrono::milliseconds rpc_deadline =
      std::min(config.timeout, std::chrono::milliseconds(10000));
  HALO_ASSIGN_OR_RETURN(comm->client_,
                        net::CoordinatorClient::Connect(config.coordinator, rpc_deadline));
  HALO_ASSIGN_OR_RETURN(comm->hint_client_,
                        net::CoordinatorClient::Connect(config.coordinator, kHintDeadline));
  HALO_ASSIGN_OR_RETURN(comm->group_, JoinGroup(*comm->client_, config, group_name));

  CoordinatorStore store(comm->client_.get(), config.timeout);
  gloo::rendezvous::PrefixStore prefixed(comm->group_.prefix + "gloo", store);
  const std::string where = "gloo rendezvous (rank " + std::to_string(config.rank) + " of " +
                            std::to_string(config.world_size) + ", listening on " +
                            config.bind_address + ", coordinator " + config.coordinator + ")";
  try {
    gloo::transport::tcp::attr attr;
    attr.hostname = config.bind_address;
    comm->device_ = gloo::transport::tcp::CreateDevice(attr);
    auto context = std::make_shared<gloo::rendezvous::Context>(config.rank, config.world_size);
    context->setTimeout(config.timeout);
    context->connectFullMesh(prefixed, comm->device_);
    comm->context_ = std::move(context);
  } catch (const std::exception& e) {
    const std::string message = StripGlooLocation(e.what());
    return IsTimeout(message) ? Status::DeadlineExceeded(where + ": " + message)
                              : Status::Unavailable(where + ": " + message);
  }

  // Every rank stored the addresses of its pairs (one per peer, all on its device's listening
  // socket) under "<rank>": keep each rank's listening address to name peers in errors.
  comm->peer_addresses_.assign(static_cast<size_t>(config.world_size), std::string());
  if (config.world_size > 1) {
    for (int r = 0; r < config.world_size; ++r) {
      auto bytes = comm->client_->Get(comm->group_.prefix + "gloo/" + std::to_string(r),
                                      std::chrono::milliseconds(0));
      if (!bytes.ok() || bytes->empty()) continue;
      const size_t each = bytes->size() / static_cast<size_t>(config.world_size - 1);
      try {
        gloo::transport::tcp::Address address(
            std::vector<char>(bytes->begin(), bytes->begin() + static_cast<ptrdiff_t>(each)));
        comm->peer_addresses_[static_cast<size_t>(r)] = ListenerOf(address.str());
      } catch (const std::exception&) {
        // Only used for messages.
      }
    }
  }
  return comm;
}

GlooCommunicator::~GlooCommunicator() {
  // Say so before closing the sockets, so that peers whose collectives fail because of it can
  // name this rank (best effort: bounded by the hint client's short deadline).
  // Only a rank that closes in good order says so: one closing after its own collective failed
  // is a casualty, not the cause, and must not be blamed by the others.
  if (context_ != nullptr && config_.world_size > 1 && broken_.ok()) {
    (void)hint_client_->Set(group_.prefix + "left/" + std::to_string(config_.rank), "closed");
  }
  // The context (pairs) before the device (its event loop thread).
  context_.reset();
  device_.reset();
}

int GlooCommunicator::PeerIn(const std::string& message) const {
  for (int r = 0; r < static_cast<int>(peer_addresses_.size()); ++r) {
    const std::string& a = peer_addresses_[static_cast<size_t>(r)];
    if (r != config_.rank && !a.empty() && message.find(a) != std::string::npos) return r;
  }
  return -1;
}

std::string GlooCommunicator::PeerHint() {
  return trainer::PeerHint(*hint_client_, group_, config_.rank);
}

std::string GlooCommunicator::LeftPeers() {
  std::vector<std::string> keys;
  for (int r = 0; r < config_.world_size; ++r) {
    if (r != config_.rank) keys.push_back(group_.prefix + "left/" + std::to_string(r));
  }
  auto missing = hint_client_->Missing(keys);
  if (!missing.ok()) return "";
  std::string out;
  int count = 0;
  for (int r = 0; r < config_.world_size; ++r) {
    if (r == config_.rank) continue;
    const std::string key = group_.prefix + "left/" + std::to_string(r);
    if (std::find(missing->begin(), missing->end(), key) != missing->end()) continue;
    out += (count++ > 0 ? ", " : "") + RankName(group_, r);
  }
  if (count == 0) return "";
  return out + (count == 1 ? " had closed its communicator" : " had closed their communicators");
}

template <typename Fn>
Status GlooCommunicator::Run(const std::string& op, Fn&& fn) {
  if (!broken_.ok()) {
    return Status::FailedPrecondition(
        op + " on rank " + std::to_string(config_.rank) +
        ": communicator unusable after an earlier failure: " + broken_.message());
  }
  const uint32_t tag = next_tag_++;
  std::string error;
  try {
    fn(tag);
    return Status::OK();
  } catch (const gloo::IoException& e) {
    error = e.what();
  } catch (const gloo::EnforceNotMet& e) {
    error = e.what();
  } catch (const std::exception& e) {
    error = e.what();
  }
  error = StripGlooLocation(error);
  std::string message = op + " (collective #" + std::to_string(tag) + ") failed on " +
                        RankName(group_, config_.rank) + ": " + error;
  const std::string left = LeftPeers();
  const int peer = PeerIn(error);
  if (peer >= 0 && left.find(RankName(group_, peer)) == std::string::npos) {
    message += "; peer " + RankName(group_, peer);
  }
  if (!left.empty()) message += "; " + left;
  message += "; " + PeerHint();
  broken_ = IsTimeout(error) ? Status::DeadlineExceeded(message) : Status::Unavailable(message);
  return broken_;
}

Status GlooCommunicator::CheckRoot(int root) const {
  if (root < 0 || root >= config_.world_size) {
    return Status::InvalidArgument("broadcast root " + std::to_string(root) + " out of range [0, " +
                                   std::to_string(config_.world_size) + ")");
  }
  return Status::OK();
}

Status GlooCommunicator::AllReduceSum(float* data, size_t count) {
  if (config_.world_size == 1 || count == 0) return Status::OK();
  return Run("all-reduce of " + std::to_string(count) + " floats", [&](uint32_t tag) {
    gloo::AllreduceOptions opts(context_);
    opts.setOutput(data, count);
    opts.setReduceFunction(static_cast<ReduceFn>(&gloo::sum<float>));
    opts.setTag(tag);
    opts.setTimeout(config_.timeout);
    gloo::allreduce(opts);
  });
}

Status GlooCommunicator::AllReduceSumHost(double* data, size_t count) {
  if (config_.world_size == 1 || count == 0) return Status::OK();
  return Run("all-reduce of " + std::to_string(count) + " doubles", [&](uint32_t tag) {
    gloo::AllreduceOptions opts(context_);
    opts.setOutput(data, count);
    opts.setReduceFunction(static_cast<ReduceFn>(&gloo::sum<double>));
    opts.setTag(tag);
    opts.setTimeout(config_.timeout);
    gloo::allreduce(opts);
  });
}

Status GlooCommunicator::Broadcast(float* data, size_t count, int root) {
  HALO_RETURN_IF_ERROR(CheckRoot(root));
  if (config_.world_size == 1 || count == 0) return Status::OK();
  return Run("broadcast of " + std::to_string(count) + " floats from rank " + std::to_string(root),
             [&](uint32_t tag) {
               gloo::BroadcastOptions opts(context_);
               opts.setOutput(data, count);
               opts.setRoot(root);
               opts.setTag(tag);
               opts.setTimeout(config_.timeout);
               gloo::broadcast(opts);
             });
}

Status GlooCommunicator::BroadcastHost(void* data, size_t num_bytes, int root) {
  HALO_RETURN_IF_ERROR(CheckRoot(root));
  if (config_.world_size == 1 || num_bytes == 0) return Status::OK();
  return Run(
      "broadcast of " + std::to_string(num_bytes) + " bytes from rank " + std::to_string(root),
      [&](uint32_t tag) {
        gloo::BroadcastOptions opts(context_);
        opts.setOutput(static_cast<uint8_t*>(data), num_bytes);
        opts.setRoot(root);
        opts.setTag(tag);
        opts.setTimeout(config_.timeout);
        gloo::broadcast(opts);
      });
}

Status GlooCommunicator::Barrier() {
  if (config_.world_size == 1) return Status::OK();
  return Run("barrier", [&](uint32_t tag) {
    gloo::BarrierOptions opts(context_);
    opts.setTag(tag);
    opts.setTimeout(config_.timeout);
    gloo::barrier(opts);
  });
}

}  // namespace halo::trainer
