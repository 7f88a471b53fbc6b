#include "trainer/coordinator_store.h"

#include <gloo/common/error.h>

#include <algorithm>
#include <thread>

namespace halo::trainer {

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Throw(const core::Status& status) {
  throw gloo::IoException("gloo store: " + status.message());
}

std::string ListKeys(const std::vector<std::string>& keys) {
  std::string out;
  const size_t shown = std::min<size_t>(keys.size(), 8);
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out += ", ";
    out += "'" + keys[i] + "'";
  }
  if (keys.size() > shown) out += " and " + std::to_string(keys.size() - shown) + " more";
  return out;
}

}  // namespace

core::Status WaitForKeys(net::CoordinatorClient& client, const std::vector<std::string>& keys,
                         std::chrono::milliseconds timeout, std::vector<std::string>* missing_out) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::chrono::milliseconds backoff(1);
  std::vector<std::string> pending = keys;
  while (true) {
    HALO_ASSIGN_OR_RETURN(pending, client.Missing(pending));
    if (missing_out != nullptr) *missing_out = pending;
    if (pending.empty()) return core::Status::OK();
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      return core::Status::DeadlineExceeded(
          "coordinator " + client.endpoint() + ": " + (pending.size() == 1 ? "key " : "keys ") +
          ListKeys(pending) + " not set within " + std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(backoff, deadline - now));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(50));
  }
}

CoordinatorStore::CoordinatorStore(net::CoordinatorClient* client,
                                   std::chrono::milliseconds timeout)
    : client_(client), timeout_(timeout) {}

void CoordinatorStore::set(const std::string& key, const std::vector<char>& data) {
  core::Status s = client_->Set(key, std::string(data.begin(), data.end()));
  if (!s.ok()) Throw(s);
}

std::vector<char> CoordinatorStore::get(const std::string& key) {
  core::Result<std::string> value = client_->Get(key, timeout_);
  if (!value.ok()) Throw(value.status());
  return std::vector<char>(value->begin(), value->end());
}

void CoordinatorStore::wait(const std::vector<std::string>& keys) { wait(keys, timeout_); }

void CoordinatorStore::wait(const std::vector<std::string>& keys,
                            const std::chrono::milliseconds& timeout) {
  // Gloo passes kNoTimeout (0) for "no timeout of its own": use the store's.
  core::Status s = WaitForKeys(*client_, keys, timeout.count() > 0 ? timeout : timeout_);
  if (!s.ok()) Throw(s);
}

}  // namespace halo::trainer
