// Client and server over real loopback sockets: echo, concurrency, async and multi-endpoint calls,
// handler errors, server-side pings. Fault cases (deadlines, dead and restarted servers, malformed
// frames) are in rpc_fault_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "net/client.h"
#include "net/server.h"
#include "tests/net/rpc_test_util.h"

namespace halo::net {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

constexpr uint16_t kEcho = kFirstUserType;

TEST(RpcTest, BindReportsThePortItPicked) {
  RpcServer a(EchoHandler());
  ASSERT_TRUE(a.Bind("tcp://127.0.0.1:*").ok());
  EXPECT_GT(a.port(), 0);
  EXPECT_EQ(a.endpoint(), "tcp://127.0.0.1:" + std::to_string(a.port()));
  RpcServer b(EchoHandler());
  ASSERT_TRUE(b.Bind("tcp://127.0.0.1:0").ok());
  EXPECT_GT(b.port(), 0);
  EXPECT_NE(b.port(), a.port());

  EXPECT_EQ(LoopbackEndpoint(7001), "tcp://127.0.0.1:7001");
  EXPECT_EQ(LoopbackEndpoint(), "tcp://127.0.0.1:*");

  RpcServer taken(EchoHandler());
  core::Status s = taken.Bind(a.endpoint());
  EXPECT_EQ(s.code(), core::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("Address already in use"));
  RpcServer bad(EchoHandler());
  EXPECT_EQ(bad.Bind("nonsense://x").code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(RpcClient::Connect("tcp://").status().code(), core::StatusCode::kInvalidArgument);
  RpcServer never_bound(EchoHandler());
  EXPECT_EQ(never_bound.Start().code(), core::StatusCode::kFailedPrecondition);
}

TEST(RpcTest, EchoesOneKilobyte) {
  TestServer server(EchoHandler());
  auto client = Connect(server.endpoint());
  std::vector<uint8_t> payload(1024);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7);
  Message request(kEcho, {Array::FromVector(payload), Array::FromString("hello")});
  core::Result<Message> reply = client->Call(request, milliseconds(5000));
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->type, kEcho);
  ASSERT_EQ(reply->arrays.size(), 2u);
  EXPECT_EQ(reply->arrays[0].ToVector<uint8_t>(), payload);
  EXPECT_EQ(reply->arrays[1].bytes(), "hello");
}

TEST(RpcTest, EchoesSixtyFourMegabytes) {
  TestServer server(EchoHandler());
  auto client = Connect(server.endpoint());
  std::vector<float> payload(16 << 20);  // 64 MiB
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<float>(i % 65521);
  Array sent = Array::FromVector(payload);
  const auto start = std::chrono::steady_clock::now();
  core::Result<Message> reply = client->Call(Message(kEcho, {sent}), milliseconds(30000));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  ASSERT_EQ(reply->arrays.size(), 1u);
  ASSERT_EQ(reply->arrays[0].count(), payload.size());
  EXPECT_EQ(std::memcmp(reply->arrays[0].data(), payload.data(), sent.num_bytes()), 0);
  RecordProperty("echo_64MiB_seconds", std::to_string(seconds));
}

TEST(RpcTest, EightThreadsGetTheirOwnReplies) {
  TestServer server(
      [](const Message& req) -> core::Result<Message> {
        HALO_ASSIGN_OR_RETURN(ArrayView<int64_t> in, req.View<int64_t>(0));
        std::vector<int64_t> out(in.begin(), in.end());
        for (int64_t& v : out) v = v * 2 + 1;
        return Message(req.type, {Array::FromVector(std::move(out))});
      },
      ServerOptions{/*num_workers=*/4});
  auto client = Connect(server.endpoint());
  constexpr int kThreads = 8;
  constexpr int kCalls = 250;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const int64_t tag = t * 100000 + i;
        core::Result<Message> r = client->Call(
            Message(kEcho, {Array::FromVector<int64_t>({tag, -tag, i})}), milliseconds(10000));
        if (!r.ok()) {
          ADD_FAILURE() << r.status().ToString();
          return;
        }
        if (r->arrays[0].ToVector<int64_t>() ==
            std::vector<int64_t>{2 * tag + 1, -2 * tag + 1, 2 * i + 1}) {
          ++good;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), kThreads * kCalls);
}

TEST(RpcTest, AsyncCallsAndMultiCallGoToEveryServerAtOnce) {
  // Each server answers with its index; the last one only once the gate opens.
  Gate gate;
  std::vector<std::unique_ptr<TestServer>> servers;
  std::vector<std::unique_ptr<RpcClient>> clients;
  for (int s = 0; s < 3; ++s) {
    servers.push_back(std::make_unique<TestServer>([s, &gate](const Message& req) {
      if (s == 2) gate.Wait();
      return core::Result<Message>(Message(req.type, {Array::FromVector<int32_t>({s})}));
    }));
    clients.push_back(Connect(servers.back()->endpoint()));
  }
  OpenOnExit open_on_exit(gate);
  std::vector<PendingCall> pending;
  for (int s = 0; s < 2; ++s)
    pending.push_back(clients[s]->CallAsync(Message(kEcho), milliseconds(5000)));
  std::vector<core::Result<Message>> results = WaitAll(pending);
  ASSERT_EQ(results.size(), 2u);
  for (int s = 0; s < 2; ++s) {
    ASSERT_TRUE(results[s].ok()) << results[s].status().ToString();
    EXPECT_EQ(results[s]->arrays[0].ToVector<int32_t>(), std::vector<int32_t>{s});
    EXPECT_FALSE(pending[s].valid());
  }

  // The slow server's call times out while the others succeed, in about one deadline in all.
  std::vector<CallSpec> calls;
  for (int s = 0; s < 3; ++s) calls.push_back(CallSpec{clients[s].get(), Message(kEcho)});
  const auto start = std::chrono::steady_clock::now();
  results = MultiCall(std::move(calls), milliseconds(300));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  gate.Open();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
  EXPECT_EQ(results[2].status().code(), core::StatusCode::kDeadlineExceeded);
  EXPECT_LT(elapsed, milliseconds(300 + 1000));

  PendingCall one = clients[0]->CallAsync(Message(kEcho), milliseconds(5000));
  EXPECT_TRUE(one.Wait().ok());
  EXPECT_EQ(one.Wait().status().code(), core::StatusCode::kFailedPrecondition);
}

TEST(RpcTest, HandlerErrorsAndExceptionsBecomeErrorReplies) {
  TestServer server([](const Message& req) -> core::Result<Message> {
    if (req.type == kEcho) return core::Status::NotFound("no node 12");
    if (req.type == kEcho + 1) throw std::runtime_error("boom");
    throw 7;
  });
  auto client = Connect(server.endpoint());
  core::Result<Message> r = client->Call(Message(kEcho), milliseconds(5000));
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), server.endpoint() + ": request type 16: no node 12");
  r = client->Call(Message(kEcho + 1), milliseconds(5000));
  EXPECT_EQ(r.status().code(), core::StatusCode::kInternal);
  EXPECT_THAT(r.status().message(), HasSubstr("handler threw: boom"));
  r = client->Call(Message(kEcho + 2), milliseconds(5000));
  EXPECT_EQ(r.status().code(), core::StatusCode::kInternal);
  EXPECT_THAT(r.status().message(), HasSubstr("non-standard exception"));
  EXPECT_TRUE(client->Ping(milliseconds(5000)).ok());  // and the server still serves
}

TEST(RpcTest, PingIsAnsweredWhileEveryWorkerIsBusy) {
  Gate entered, release;
  TestServer server(
      [&](const Message& req) {
        entered.Open();
        release.Wait();
        return core::Result<Message>(Message(req.type));
      },
      ServerOptions{/*num_workers=*/1});
  OpenOnExit open_on_exit(release);
  auto client = Connect(server.endpoint());
  core::Status busy_status;
  std::thread busy(
      [&] { busy_status = client->Call(Message(kEcho), milliseconds(10000)).status(); });
  entered.Wait();
  EXPECT_TRUE(client->Ping(milliseconds(5000)).ok());
  release.Open();
  busy.join();
  EXPECT_TRUE(busy_status.ok()) << busy_status.ToString();
}

// Not a check: measures 1 MiB request / 1 MiB reply round trips on loopback, as in ARCHITECTURE.md
// (ZeroMQ alone reaches ~2 GB/s there). The figure goes to the log and the test XML.
TEST(RpcThroughputTest, OneMebibyteEachWay) {
  TestServer server(EchoHandler());
  auto client = Connect(server.endpoint());
  Message request(kEcho, {Array::FromVector(std::vector<uint8_t>(1 << 20, 7))});
  ASSERT_TRUE(client->Call(request, milliseconds(5000)).ok());  // warm up the connection
  constexpr int kRounds = 200;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) {
    core::Result<Message> reply = client->Call(request, milliseconds(5000));
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    ASSERT_EQ(reply->arrays[0].num_bytes(), size_t{1} << 20);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double gb_per_s = 2.0 * kRounds * (1 << 20) / seconds / 1e9;
  std::printf(
      "[throughput] 1 MiB request + 1 MiB reply: %.0f round trips/s, %.2f GB/s "
      "(both directions counted)\n",
      kRounds / seconds, gb_per_s);
  RecordProperty("round_trips_per_s", std::to_string(kRounds / seconds));
  RecordProperty("gb_per_s_both_directions", std::to_string(gb_per_s));
}

}  // namespace
}  // namespace halo::net
