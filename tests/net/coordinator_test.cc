// The coordinator KV service: set/get, waiting gets, missing keys, atomic add, liveness ages, and
// errors that name the key and the coordinator.
#include "net/coordinator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "net/server.h"

namespace halo::net {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start("tcp://127.0.0.1:0").ok());  // port 0: any free port
    ASSERT_EQ(server_.endpoint().find(":0"), std::string::npos) << server_.endpoint();
    auto client = CoordinatorClient::Connect(server_.endpoint(), milliseconds(5000));
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  CoordinatorServer server_;
  std::unique_ptr<CoordinatorClient> client_;
};

TEST_F(CoordinatorTest, SetThenGet) {
  ASSERT_TRUE(client_->Set("rank/3/host", "node-b").ok());
  auto v = client_->Get("rank/3/host", milliseconds(0));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "node-b");
  // Overwrite; binary values with NUL bytes and empty values survive.
  const std::string binary("a\0b\xff", 4);
  ASSERT_TRUE(client_->Set("rank/3/host", binary).ok());
  EXPECT_EQ(client_->Get("rank/3/host", milliseconds(0)).value(), binary);
  ASSERT_TRUE(client_->Set("empty", "").ok());
  EXPECT_EQ(client_->Get("empty", milliseconds(0)).value(), "");
  // The in-process view of the launcher sees what clients set, and the other way round.
  EXPECT_EQ(server_.Get("rank/3/host"), binary);
  EXPECT_FALSE(server_.Get("nope").has_value());
  server_.Set("plan/world_size", "4");
  EXPECT_EQ(client_->Get("plan/world_size", milliseconds(0)).value(), "4");
  auto tried = client_->TryGet("nope");
  ASSERT_TRUE(tried.ok());
  EXPECT_FALSE(tried->has_value());
}

TEST_F(CoordinatorTest, GetWaitsForAnotherThreadToSet) {
  std::atomic<bool> getting{false};
  std::thread setter([&] {
    // Set only once the getter has started its wait (and found nothing).
    while (!getting.load()) std::this_thread::yield();
    auto c = CoordinatorClient::Connect(server_.endpoint());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Set("nccl/unique_id", "xyz").ok());
  });
  EXPECT_FALSE(client_->TryGet("nccl/unique_id")->has_value());
  getting = true;
  auto v = client_->Get("nccl/unique_id", milliseconds(10000));
  setter.join();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "xyz");
}

TEST_F(CoordinatorTest, GetDeadlineNamesKeyAndCoordinator) {
  const auto start = Clock::now();
  auto v = client_->Get("never/set", milliseconds(300));
  const auto took = Clock::now() - start;
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), core::StatusCode::kDeadlineExceeded);
  EXPECT_NE(v.status().message().find("'never/set'"), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find(server_.endpoint()), std::string::npos);
  EXPECT_NE(v.status().message().find("300 ms"), std::string::npos);
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(2000));
}

TEST_F(CoordinatorTest, MissingListsUnsetKeysInOrder) {
  ASSERT_TRUE(client_->Set("a", "1").ok());
  ASSERT_TRUE(client_->Set("c", "1").ok());
  auto m = client_->Missing({"a", "b", "c", "d", ""});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(*m, (std::vector<std::string>{"b", "d", ""}));
  EXPECT_TRUE(client_->Missing({})->empty());
  EXPECT_TRUE(client_->Missing({"a", "c"})->empty());
}

TEST_F(CoordinatorTest, AddIsAtomicAcrossThreads) {
  constexpr int kThreads = 8;
  constexpr int kAddsEach = 50;
  std::vector<std::thread> threads;
  std::vector<std::vector<int64_t>> seen(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = CoordinatorClient::Connect(server_.endpoint());
      ASSERT_TRUE(c.ok());
      for (int i = 0; i < kAddsEach; ++i) {
        auto v = (*c)->Add("counter", 1);
        ASSERT_TRUE(v.ok()) << v.status().ToString();
        seen[t].push_back(*v);
      }
    });
  }
  for (auto& t : threads) t.join();
  // Every add returned a distinct value: together exactly 1..N.
  std::vector<int64_t> all;
  for (const auto& s : seen) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kAddsEach));
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], static_cast<int64_t>(i + 1));
  EXPECT_EQ(client_->Get("counter", milliseconds(0)).value(), std::to_string(kThreads * kAddsEach));
  EXPECT_EQ(client_->Add("counter", -400).value(), kThreads * kAddsEach - 400);
  // Adding to something that is not an integer is an error naming the key.
  ASSERT_TRUE(client_->Set("text", "hello").ok());
  auto bad = client_->Add("text", 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'text'"), std::string::npos) << bad.status().message();
}

TEST_F(CoordinatorTest, SecondsSinceSet) {
  EXPECT_FALSE(server_.SecondsSinceSet("heartbeat/0").has_value());
  ASSERT_TRUE(client_->Set("heartbeat/0", "1").ok());
  auto age = server_.SecondsSinceSet("heartbeat/0");
  ASSERT_TRUE(age.has_value());
  EXPECT_GE(*age, 0.0);
  EXPECT_LT(*age, 5.0);
  // Ages grow with time and reset on every set.
  std::this_thread::sleep_for(milliseconds(60));  // let the age grow (not synchronization)
  const double older = *server_.SecondsSinceSet("heartbeat/0");
  EXPECT_GE(older, 0.05);
  ASSERT_TRUE(client_->Set("heartbeat/0", "2").ok());
  EXPECT_LT(*server_.SecondsSinceSet("heartbeat/0"), older);
  // The same through a client, for several keys at once.
  auto ages = client_->SecondsSinceSet({"heartbeat/0", "heartbeat/1"});
  ASSERT_TRUE(ages.ok()) << ages.status().ToString();
  ASSERT_EQ(ages->size(), 2u);
  ASSERT_TRUE((*ages)[0].has_value());
  EXPECT_LT(*(*ages)[0], older);
  EXPECT_FALSE((*ages)[1].has_value());
}

TEST(CoordinatorClientTest, UnreachableCoordinatorFailsWithinDeadline) {
  // A port nothing listens on: bind a server, note its endpoint, stop it.
  std::string endpoint;
  {
    CoordinatorServer s;
    ASSERT_TRUE(s.Start(LoopbackEndpoint()).ok());
    endpoint = s.endpoint();
  }
  auto client = CoordinatorClient::Connect(endpoint, milliseconds(300));
  ASSERT_TRUE(client.ok());
  const auto start = Clock::now();
  core::Status s = (*client)->Set("k", "v");
  EXPECT_LT(Clock::now() - start, milliseconds(1500));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), core::StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find(endpoint), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("coordinator"), std::string::npos) << s.message();

  const auto start_get = Clock::now();
  auto v = (*client)->Get("k", milliseconds(400));
  EXPECT_LT(Clock::now() - start_get, milliseconds(1500));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find(endpoint), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("'k'"), std::string::npos) << v.status().message();
}

TEST(CoordinatorClientTest, RejectsMalformedEndpoint) {
  EXPECT_FALSE(CoordinatorClient::Connect("not-an-endpoint").ok());
}

}  // namespace
}  // namespace halo::net
