// CoordinatorStore: Gloo's rendezvous key-value store (gloo::rendezvous::Store) over the run's
// coordinator (net/coordinator.h), so Gloo contexts connect through the same service that
// halo-launch runs.
//
//   net::CoordinatorClient* client = ...;
//   CoordinatorStore store(client, std::chrono::seconds(30));
//   gloo::rendezvous::PrefixStore prefixed("comm/gloo/1/", store);
//   context->connectFullMesh(prefixed, device);
//
// Errors: Gloo's Store interface has no status, so failures are thrown as gloo::IoException
// whose message names the coordinator and the keys ("coordinator tcp://...: keys 'x/1', 'x/3'
// not set within 30000 ms"); the Communicator catches them. get() waits for its key up to the
// store's timeout, like Gloo's own stores.
//
// Thread-safety: as the client (thread-safe). The client must outlive the store.
#pragma once

#include <gloo/rendezvous/store.h>

#include <chrono>
#include <string>
#include <vector>

#include "net/coordinator.h"

namespace halo::trainer {

class CoordinatorStore : public gloo::rendezvous::Store {
 public:
  CoordinatorStore(net::CoordinatorClient* client, std::chrono::milliseconds timeout);

  void set(const std::string& key, const std::vector<char>& data) override;
  // Waits up to the store's timeout for `key`.
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys,
            const std::chrono::milliseconds& timeout) override;

 private:
  net::CoordinatorClient* client_;
  std::chrono::milliseconds timeout_;
};

// Waits until every key in `keys` is set on the coordinator, polling with a short backoff, up to
// `timeout`. DeadlineExceeded lists the keys still missing (at most 8 named, then a count).
core::Status WaitForKeys(net::CoordinatorClient& client, const std::vector<std::string>& keys,
                         std::chrono::milliseconds timeout,
                         std::vector<std::string>* missing = nullptr);

}  // namespace halo::trainer
