// Helpers of the net tests: a started server on a free loopback port, an echo handler, a client.
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "net/client.h"
#include "net/server.h"

namespace halo::net {

// A gate that handlers wait at until the test opens it. RpcServer::Stop waits for running
// handlers, so declare an OpenOnExit after the server: it opens the gate before the server stops,
// even when a failed assertion leaves the test early.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class OpenOnExit {
 public:
  explicit OpenOnExit(Gate& gate) : gate_(gate) {}
  ~OpenOnExit() { gate_.Open(); }

 private:
  Gate& gate_;
};

inline RpcServer::Handler EchoHandler() {
  return [](const Message& request) -> core::Result<Message> {
    return Message(request.type, request.arrays);
  };
}

// An RpcServer bound to `endpoint` (a free loopback port by default) and started.
class TestServer {
 public:
  explicit TestServer(RpcServer::Handler handler, ServerOptions options = {},
                      const std::string& endpoint = LoopbackEndpoint())
      : server_(std::move(handler), options) {
    core::Status bound = server_.Bind(endpoint);
    EXPECT_TRUE(bound.ok()) << bound.ToString();
    core::Status started = server_.Start();
    EXPECT_TRUE(started.ok()) << started.ToString();
  }
  const std::string& endpoint() const { return server_.endpoint(); }
  int port() const { return server_.port(); }
  void Stop() { server_.Stop(); }

 private:
  RpcServer server_;
};

inline std::unique_ptr<RpcClient> Connect(const std::string& endpoint) {
  core::Result<std::unique_ptr<RpcClient>> client = RpcClient::Connect(endpoint);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(client).value() : nullptr;
}

}  // namespace halo::net
