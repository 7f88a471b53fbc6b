#include "net/coordinator.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "net/client.h"
#include "net/message.h"
#include "net/server.h"

namespace halo::net {

// Message types of the coordinator (see docs/net-protocol.md). Keys travel as one kBytes array of
// the keys back to back plus an i64 array of their lengths, so a request may name many keys.
constexpr uint16_t kCoordSet = 60;      // [key bytes, value bytes] -> []
constexpr uint16_t kCoordGet = 61;      // [key bytes] -> [u8 found (1 element), value bytes]
constexpr uint16_t kCoordMissing = 62;  // [keys bytes, i64 lengths] -> [i64 indices of unset keys]
constexpr uint16_t kCoordAdd = 63;      // [key bytes, i64 delta (1 element)] -> [i64 new value]
constexpr uint16_t kCoordAge = 64;      // [keys bytes, i64 lengths] -> [f64 seconds, -1 = unset]

namespace {

using core::Result;
using core::Status;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kFirstBackoff{1};
constexpr std::chrono::milliseconds kMaxBackoff{50};
constexpr std::chrono::milliseconds kLastLook{200};

std::vector<Array> EncodeKeys(const std::vector<std::string>& keys) {
  std::string joined;
  std::vector<int64_t> lengths;
  lengths.reserve(keys.size());
  for (const std::string& k : keys) {
    joined += k;
    lengths.push_back(static_cast<int64_t>(k.size()));
  }
  return {Array::FromString(std::move(joined)), Array::FromVector(std::move(lengths))};
}

Result<std::vector<std::string>> DecodeKeys(const Message& m) {
  HALO_RETURN_IF_ERROR(m.ExpectArrays(2));
  HALO_ASSIGN_OR_RETURN(ArrayView<char> joined, m.View<char>(0));
  HALO_ASSIGN_OR_RETURN(ArrayView<int64_t> lengths, m.View<int64_t>(1));
  std::vector<std::string> keys;
  keys.reserve(lengths.size());
  size_t pos = 0;
  for (int64_t len : lengths) {
    if (len < 0 || static_cast<uint64_t>(len) > joined.size() - pos) {
      return Status::InvalidArgument("key lengths run past the " + std::to_string(joined.size()) +
                                     " key bytes");
    }
    keys.emplace_back(joined.data() + pos, static_cast<size_t>(len));
    pos += static_cast<size_t>(len);
  }
  if (pos != joined.size()) {
    return Status::InvalidArgument("key lengths cover " + std::to_string(pos) + " of " +
                                   std::to_string(joined.size()) + " key bytes");
  }
  return keys;
}

std::string AsString(ArrayView<char> v) {
  return v.empty() ? std::string() : std::string(v.data(), v.size());
}

// The integer in `s`, or nullopt when it is not a whole decimal int64.
std::optional<int64_t> ParseInt(const std::string& s) {
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Server

struct CoordinatorServer::State {
  struct Entry {
    std::string value;
    Clock::time_point set_at;
  };
  mutable std::mutex mu;
  std::unordered_map<std::string, Entry> kv;
  std::unique_ptr<RpcServer> rpc;
  std::string endpoint;

  void Set(const std::string& key, std::string value) {
    std::lock_guard<std::mutex> lock(mu);
    kv[key] = Entry{std::move(value), Clock::now()};
  }

  Result<Message> Handle(const Message& req) {
    switch (req.type) {
      case kCoordSet: {
        HALO_RETURN_IF_ERROR(req.ExpectArrays(2));
        HALO_ASSIGN_OR_RETURN(ArrayView<char> key, req.View<char>(0));
        HALO_ASSIGN_OR_RETURN(ArrayView<char> value, req.View<char>(1));
        Set(AsString(key), AsString(value));
        return Message(kCoordSet);
      }
      case kCoordGet: {
        HALO_RETURN_IF_ERROR(req.ExpectArrays(1));
        HALO_ASSIGN_OR_RETURN(ArrayView<char> key, req.View<char>(0));
        std::lock_guard<std::mutex> lock(mu);
        auto it = kv.find(AsString(key));
        const bool found = it != kv.end();
        return Message(kCoordGet, {Array::FromVector<uint8_t>({found ? uint8_t{1} : uint8_t{0}}),
                                   Array::FromString(found ? it->second.value : std::string())});
      }
      case kCoordMissing: {
        HALO_ASSIGN_OR_RETURN(std::vector<std::string> keys, DecodeKeys(req));
        std::vector<int64_t> missing;
        std::lock_guard<std::mutex> lock(mu);
        for (size_t i = 0; i < keys.size(); ++i) {
          if (kv.find(keys[i]) == kv.end()) missing.push_back(static_cast<int64_t>(i));
        }
        return Message(kCoordMissing, {Array::FromVector(std::move(missing))});
      }
      case kCoordAdd: {
        HALO_RETURN_IF_ERROR(req.ExpectArrays(2));
        HALO_ASSIGN_OR_RETURN(ArrayView<char> key_view, req.View<char>(0));
        HALO_ASSIGN_OR_RETURN(ArrayView<int64_t> delta, req.View<int64_t>(1));
        if (delta.size() != 1) {
          return Status::InvalidArgument("add: expected 1 delta, got " +
                                         std::to_string(delta.size()));
        }
        const std::string key = AsString(key_view);
        std::lock_guard<std::mutex> lock(mu);
        int64_t value = 0;
        auto it = kv.find(key);
        if (it != kv.end()) {
          std::optional<int64_t> old = ParseInt(it->second.value);
          if (!old) {
            return Status::InvalidArgument("add: key '" + key + "' holds '" +
                                           it->second.value.substr(0, 64) + "', not an integer");
          }
          value = *old;
        }
        value += delta[0];
        kv[key] = Entry{std::to_string(value), Clock::now()};
        return Message(kCoordAdd, {Array::FromVector<int64_t>({value})});
      }
      case kCoordAge: {
        HALO_ASSIGN_OR_RETURN(std::vector<std::string> keys, DecodeKeys(req));
        std::vector<double> ages(keys.size(), -1.0);
        const Clock::time_point now = Clock::now();
        std::lock_guard<std::mutex> lock(mu);
        for (size_t i = 0; i < keys.size(); ++i) {
          auto it = kv.find(keys[i]);
          if (it != kv.end()) {
            ages[i] = std::chrono::duration<double>(now - it->second.set_at).count();
          }
        }
        return Message(kCoordAge, {Array::FromVector(std::move(ages))});
      }
      default:
        return Status::InvalidArgument("coordinator: unknown request type " +
                                       std::to_string(req.type));
    }
  }
};

CoordinatorServer::CoordinatorServer() : state_(std::make_unique<State>()) {}

CoordinatorServer::~CoordinatorServer() { Stop(); }

Status CoordinatorServer::Start(const std::string& bind_endpoint) {
  if (state_->rpc) return Status::FailedPrecondition("coordinator already started");
  State* state = state_.get();
  ServerOptions options;
  options.num_workers = 2;  // every request is a short map operation under one lock
  auto rpc = std::make_unique<RpcServer>([state](const Message& req) { return state->Handle(req); },
                                         options);
  Status s = rpc->Bind(bind_endpoint);
  if (!s.ok()) return s.WithContext("coordinator");
  HALO_RETURN_IF_ERROR(rpc->Start());
  state_->endpoint = rpc->endpoint();
  state_->rpc = std::move(rpc);
  return Status::OK();
}

void CoordinatorServer::Stop() {
  if (state_->rpc) state_->rpc->Stop();
}

const std::string& CoordinatorServer::endpoint() const { return state_->endpoint; }

void CoordinatorServer::Set(const std::string& key, const std::string& value) {
  state_->Set(key, value);
}

std::optional<std::string> CoordinatorServer::Get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->kv.find(key);
  if (it == state_->kv.end()) return std::nullopt;
  return it->second.value;
}

std::optional<double> CoordinatorServer::SecondsSinceSet(const std::string& key) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->kv.find(key);
  if (it == state_->kv.end()) return std::nullopt;
  return std::chrono::duration<double>(Clock::now() - it->second.set_at).count();
}

// ---------------------------------------------------------------------------------------------
// Client

CoordinatorClient::CoordinatorClient() = default;
CoordinatorClient::~CoordinatorClient() = default;

Result<std::unique_ptr<CoordinatorClient>> CoordinatorClient::Connect(
    const std::string& endpoint, std::chrono::milliseconds rpc_deadline) {
  if (rpc_deadline.count() <= 0) {
    return Status::InvalidArgument("coordinator rpc deadline must be > 0 ms, got " +
                                   std::to_string(rpc_deadline.count()));
  }
  auto rpc = RpcClient::Connect(endpoint);
  if (!rpc.ok()) return rpc.status().WithContext("coordinator");
  std::unique_ptr<CoordinatorClient> client(new CoordinatorClient());
  client->rpc_ = std::move(rpc).value();
  client->rpc_deadline_ = rpc_deadline;
  return client;
}

const std::string& CoordinatorClient::endpoint() const { return rpc_->endpoint(); }

Status CoordinatorClient::Set(const std::string& key, const std::string& value) {
  auto reply = rpc_->Call(Message(kCoordSet, {Array::FromString(key), Array::FromString(value)}),
                          rpc_deadline_, /*max_attempts=*/2);
  if (!reply.ok()) return reply.status().WithContext("coordinator: set '" + key + "'");
  return Status::OK();
}

Result<std::optional<std::string>> CoordinatorClient::TryGet(const std::string& key) {
  auto reply = rpc_->Call(Message(kCoordGet, {Array::FromString(key)}), rpc_deadline_, 2);
  if (!reply.ok()) return reply.status().WithContext("coordinator: get '" + key + "'");
  HALO_RETURN_IF_ERROR(reply->ExpectArrays(2));
  HALO_ASSIGN_OR_RETURN(ArrayView<uint8_t> found, reply->View<uint8_t>(0));
  HALO_ASSIGN_OR_RETURN(ArrayView<char> value, reply->View<char>(1));
  if (found.size() != 1) return Status::Corruption("coordinator: malformed get reply");
  if (found[0] == 0) return std::optional<std::string>();
  return std::optional<std::string>(AsString(value));
}

Result<std::string> CoordinatorClient::Get(const std::string& key, std::chrono::milliseconds wait) {
  const Clock::time_point deadline = Clock::now() + wait;
  std::chrono::milliseconds backoff = kFirstBackoff;
  while (true) {
    // Each look is bounded by the RPC deadline and by what is left of the wait (at least
    // kLastLook, so that a last look at a live coordinator can still get through).
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const std::chrono::milliseconds rpc_deadline =
        std::min(rpc_deadline_, std::max(left, kLastLook));
    auto reply = rpc_->Call(Message(kCoordGet, {Array::FromString(key)}), rpc_deadline, 1);
    if (!reply.ok()) return reply.status().WithContext("coordinator: get '" + key + "'");
    HALO_RETURN_IF_ERROR(reply->ExpectArrays(2));
    HALO_ASSIGN_OR_RETURN(ArrayView<uint8_t> found, reply->View<uint8_t>(0));
    HALO_ASSIGN_OR_RETURN(ArrayView<char> value, reply->View<char>(1));
    if (found.size() != 1) return Status::Corruption("coordinator: malformed get reply");
    if (found[0] != 0) return AsString(value);
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      return Status::DeadlineExceeded("coordinator " + endpoint() + ": key '" + key +
                                      "' not set within " + std::to_string(wait.count()) + " ms");
    }
    const auto sleep = std::min<Clock::duration>(backoff, deadline - now);
    std::this_thread::sleep_for(sleep);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

Result<std::vector<std::string>> CoordinatorClient::Missing(const std::vector<std::string>& keys) {
  if (keys.empty()) return std::vector<std::string>();
  auto reply = rpc_->Call(Message(kCoordMissing, EncodeKeys(keys)), rpc_deadline_, 2);
  if (!reply.ok()) return reply.status().WithContext("coordinator: missing keys");
  HALO_RETURN_IF_ERROR(reply->ExpectArrays(1));
  HALO_ASSIGN_OR_RETURN(ArrayView<int64_t> indices, reply->View<int64_t>(0));
  std::vector<std::string> missing;
  missing.reserve(indices.size());
  for (int64_t i : indices) {
    if (i < 0 || static_cast<size_t>(i) >= keys.size()) {
      return Status::Corruption("coordinator: missing-keys reply index " + std::to_string(i) +
                                " out of range");
    }
    missing.push_back(keys[static_cast<size_t>(i)]);
  }
  return missing;
}

Result<int64_t> CoordinatorClient::Add(const std::string& key, int64_t delta) {
  auto reply =
      rpc_->Call(Message(kCoordAdd, {Array::FromString(key), Array::FromVector<int64_t>({delta})}),
                 rpc_deadline_, /*max_attempts=*/1);
  if (!reply.ok()) return reply.status().WithContext("coordinator: add '" + key + "'");
  HALO_RETURN_IF_ERROR(reply->ExpectArrays(1));
  HALO_ASSIGN_OR_RETURN(ArrayView<int64_t> value, reply->View<int64_t>(0));
  if (value.size() != 1) return Status::Corruption("coordinator: malformed add reply");
  return value[0];
}

Result<std::vector<std::optional<double>>> CoordinatorClient::SecondsSinceSet(
    const std::vector<std::string>& keys) {
  if (keys.empty()) return std::vector<std::optional<double>>();
  auto reply = rpc_->Call(Message(kCoordAge, EncodeKeys(keys)), rpc_deadline_, 2);
  if (!reply.ok()) return reply.status().WithContext("coordinator: key ages");
  HALO_RETURN_IF_ERROR(reply->ExpectArrays(1));
  HALO_ASSIGN_OR_RETURN(ArrayView<double> ages, reply->View<double>(0));
  if (ages.size() != keys.size()) return Status::Corruption("coordinator: malformed ages reply");
  std::vector<std::optional<double>> out;
  out.reserve(ages.size());
  for (double a : ages) out.push_back(a < 0 ? std::nullopt : std::optional<double>(a));
  return out;
}

}  // namespace halo::net
