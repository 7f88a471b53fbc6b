// The Gloo communicator: ranks are threads of this process talking real Gloo TCP over loopback,
// rendezvousing through an in-process CoordinatorServer. Collectives are checked against naive
// serial loops; failures (a rank that never joins, leaves, or stops calling) must turn into
// errors naming it within the timeout, never hangs.
#include "trainer/communicator.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "net/coordinator.h"
#include "net/server.h"

namespace halo::trainer {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class CommunicatorTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start(net::LoopbackEndpoint()).ok()); }

  CommConfig Config(int rank, int world, milliseconds timeout = milliseconds(20000)) {
    CommConfig c;
    c.backend = "gloo";
    c.rank = rank;
    c.world_size = world;
    c.coordinator = server_.endpoint();
    c.host = "h" + std::to_string(rank);
    c.timeout = timeout;
    return c;
  }

  // Creates the communicators of `world` ranks concurrently (rendezvous needs all of them).
  std::vector<std::unique_ptr<Communicator>> CreateAll(int world,
                                                       milliseconds timeout = milliseconds(20000)) {
    std::vector<std::unique_ptr<Communicator>> comms(static_cast<size_t>(world));
    std::vector<core::Status> status(static_cast<size_t>(world));
    std::vector<std::thread> threads;
    for (int r = 0; r < world; ++r) {
      threads.emplace_back([&, r] {
        auto c = CreateCommunicator(Config(r, world, timeout));
        if (c.ok()) {
          comms[static_cast<size_t>(r)] = std::move(c).value();
        } else {
          status[static_cast<size_t>(r)] = c.status();
        }
      });
    }
    for (auto& t : threads) t.join();
    for (int r = 0; r < world; ++r) {
      EXPECT_TRUE(status[static_cast<size_t>(r)].ok())
          << "rank " << r << ": " << status[static_cast<size_t>(r)].ToString();
    }
    return comms;
  }

  // Runs fn(rank) on one thread per rank and waits for all.
  static void RunRanks(int world, const std::function<void(int)>& fn) {
    std::vector<std::thread> threads;
    for (int r = 0; r < world; ++r) threads.emplace_back(fn, r);
    for (auto& t : threads) t.join();
  }

  net::CoordinatorServer server_;
};

std::vector<float> RandomVector(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

class AllReduceTest : public CommunicatorTest, public ::testing::WithParamInterface<int> {};

TEST_P(AllReduceTest, SumEqualsSerialSumOfEveryRank) {
  const int world = GetParam();
  auto comms = CreateAll(world);
  ASSERT_EQ(comms.size(), static_cast<size_t>(world));
  for (const auto& c : comms) ASSERT_NE(c, nullptr);
  for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{1000}, size_t{3} << 20}) {
    std::vector<std::vector<float>> data(static_cast<size_t>(world));
    for (int r = 0; r < world; ++r) data[static_cast<size_t>(r)] = RandomVector(n, 1000 * r + n);
    // The reference: a naive loop over ranks in double precision.
    std::vector<double> expected(n, 0.0), magnitude(n, 0.0);
    for (int r = 0; r < world; ++r) {
      for (size_t i = 0; i < n; ++i) {
        expected[i] += data[static_cast<size_t>(r)][i];
        magnitude[i] += std::fabs(data[static_cast<size_t>(r)][i]);
      }
    }
    std::vector<core::Status> status(static_cast<size_t>(world));
    RunRanks(world, [&](int r) {
      status[static_cast<size_t>(r)] =
          comms[static_cast<size_t>(r)]->AllReduceSum(data[static_cast<size_t>(r)].data(), n);
    });
    for (int r = 0; r < world; ++r) {
      ASSERT_TRUE(status[static_cast<size_t>(r)].ok()) << status[static_cast<size_t>(r)].ToString();
      size_t bad = 0;
      for (size_t i = 0; i < n; ++i) {
        const double tol = 1e-5 * magnitude[i] + 1e-7;
        if (std::fabs(data[static_cast<size_t>(r)][i] - expected[i]) > tol && bad++ < 5) {
          ADD_FAILURE() << "n=" << n << " rank " << r << " [" << i
                        << "]: " << data[static_cast<size_t>(r)][i] << " != " << expected[i];
        }
      }
      EXPECT_EQ(bad, 0u) << "n=" << n << " rank " << r;
      // Every rank holds the same bits.
      if (r > 0) {
        EXPECT_TRUE(data[static_cast<size_t>(r)] == data[0]) << "n=" << n;
      }
    }
  }
}

TEST_P(AllReduceTest, HostDoublesSumExactly) {
  const int world = GetParam();
  auto comms = CreateAll(world);
  for (const auto& c : comms) ASSERT_NE(c, nullptr);
  constexpr size_t kN = 257;
  std::vector<std::vector<double>> data(static_cast<size_t>(world), std::vector<double>(kN));
  std::vector<double> expected(kN, 0.0);
  for (int r = 0; r < world; ++r) {
    for (size_t i = 0; i < kN; ++i) {
      // Integers (and a large offset): the sum is exact in any order, so compare with ==.
      const double v = static_cast<double>((r + 1) * 1000003 + i) + 1e12;
      data[static_cast<size_t>(r)][i] = v;
      expected[i] += v;
    }
  }
  std::vector<core::Status> status(static_cast<size_t>(world));
  RunRanks(world, [&](int r) {
    status[static_cast<size_t>(r)] =
        comms[static_cast<size_t>(r)]->AllReduceSumHost(data[static_cast<size_t>(r)].data(), kN);
  });
  for (int r = 0; r < world; ++r) {
    ASSERT_TRUE(status[static_cast<size_t>(r)].ok()) << status[static_cast<size_t>(r)].ToString();
    EXPECT_EQ(data[static_cast<size_t>(r)], expected) << "rank " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(WorldSizes, AllReduceTest, ::testing::Values(1, 2, 4));

TEST_F(CommunicatorTest, BroadcastFromEveryRoot) {
  constexpr int kWorld = 4;
  auto comms = CreateAll(kWorld);
  for (const auto& c : comms) ASSERT_NE(c, nullptr);
  for (int root : {0, 2}) {
    for (size_t n : {size_t{1}, size_t{100003}}) {
      std::vector<std::vector<float>> data(kWorld);
      for (int r = 0; r < kWorld; ++r) data[r] = RandomVector(n, 77 * r + root);
      const std::vector<float> expected = data[root];
      std::vector<core::Status> status(kWorld);
      RunRanks(kWorld, [&](int r) { status[r] = comms[r]->Broadcast(data[r].data(), n, root); });
      for (int r = 0; r < kWorld; ++r) {
        ASSERT_TRUE(status[r].ok()) << status[r].ToString();
        EXPECT_TRUE(data[r] == expected) << "root " << root << " rank " << r << " n " << n;
      }
    }
  }
  // Host bytes (a config blob, say) from rank 3.
  std::vector<std::string> blobs(kWorld, std::string(37, '?'));
  blobs[3] = "resolved config from rank three......";
  std::vector<core::Status> status(kWorld);
  RunRanks(kWorld, [&](int r) { status[r] = comms[r]->BroadcastHost(blobs[r].data(), 37, 3); });
  for (int r = 0; r < kWorld; ++r) {
    ASSERT_TRUE(status[r].ok()) << status[r].ToString();
    EXPECT_EQ(blobs[r], blobs[3]);
  }
  // A root out of range is the caller's error, found before any communication.
  float x = 0;
  EXPECT_EQ(comms[0]->Broadcast(&x, 1, kWorld).code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(comms[0]->BroadcastHost(&x, 4, -1).code(), core::StatusCode::kInvalidArgument);
}

TEST_F(CommunicatorTest, BarrierHoldsEveryoneUntilAllArrive) {
  constexpr int kWorld = 4;
  auto comms = CreateAll(kWorld);
  for (const auto& c : comms) ASSERT_NE(c, nullptr);
  std::mutex mu;
  std::condition_variable cv;
  int entered = 0;
  std::atomic<int> passed{0};
  std::atomic<int> passed_before_rank0{-1};
  std::vector<core::Status> status(kWorld);
  RunRanks(kWorld, [&](int r) {
    if (r == 0) {
      // Rank 0 arrives last: only once every other rank waits at the barrier (or passed it,
      // which a working barrier forbids).
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return entered == kWorld - 1; });
      lock.unlock();
      std::this_thread::sleep_for(milliseconds(50));  // give a broken barrier time to let go
      passed_before_rank0 = passed.load();
    } else {
      {
        std::lock_guard<std::mutex> lock(mu);
        ++entered;
      }
      cv.notify_all();
    }
    status[r] = comms[r]->Barrier();
    ++passed;
  });
  for (int r = 0; r < kWorld; ++r) ASSERT_TRUE(status[r].ok()) << status[r].ToString();
  EXPECT_EQ(passed_before_rank0.load(), 0);
  EXPECT_EQ(passed.load(), kWorld);
}

TEST_F(CommunicatorTest, RendezvousTimeoutNamesMissingRankAndHost) {
  server_.Set("plan/rank/2/host", "node-c");
  const milliseconds timeout(1500);
  std::vector<core::Status> status(2);
  std::vector<Clock::duration> took(2);
  RunRanks(2, [&](int r) {
    const auto start = Clock::now();
    auto c = CreateCommunicator(Config(r, 3, timeout));
    took[r] = Clock::now() - start;
    status[r] = c.ok() ? core::Status::OK() : c.status();
  });
  for (int r = 0; r < 2; ++r) {
    ASSERT_FALSE(status[r].ok());
    EXPECT_EQ(status[r].code(), core::StatusCode::kDeadlineExceeded) << status[r].ToString();
    EXPECT_NE(status[r].message().find("rank 2 (host node-c) did not join within 1500 ms"),
              std::string::npos)
        << status[r].message();
    EXPECT_NE(status[r].message().find(server_.endpoint()), std::string::npos);
    EXPECT_GE(took[r], timeout);
    EXPECT_LT(took[r], timeout + milliseconds(3000));
  }
}

TEST_F(CommunicatorTest, RankThatLeavesMakesOthersFailNotHang) {
  constexpr int kWorld = 3;
  const milliseconds timeout(2000);
  auto comms = CreateAll(kWorld, timeout);
  for (const auto& c : comms) ASSERT_NE(c, nullptr);
  // One good round first.
  std::vector<std::vector<float>> data(kWorld, std::vector<float>(1000, 1.0f));
  std::vector<core::Status> status(kWorld);
  RunRanks(kWorld, [&](int r) { status[r] = comms[r]->AllReduceSum(data[r].data(), 1000); });
  for (int r = 0; r < kWorld; ++r) ASSERT_TRUE(status[r].ok()) << status[r].ToString();
  ASSERT_EQ(data[0][0], 3.0f);

  comms[2].reset();  // rank 2 goes away (its sockets close)
  std::vector<Clock::duration> took(2);
  RunRanks(2, [&](int r) {
    const auto start = Clock::now();
    status[r] = comms[r]->AllReduceSum(data[r].data(), 1000);
    took[r] = Clock::now() - start;
  });
  for (int r = 0; r < 2; ++r) {
    ASSERT_FALSE(status[r].ok()) << "rank " << r;
    EXPECT_LT(took[r], timeout + milliseconds(3000)) << status[r].ToString();
    EXPECT_NE(status[r].message().find("all-reduce of 1000 floats"), std::string::npos)
        << status[r].message();
    // The rank that left is named (it said so on the coordinator before closing its sockets).
    EXPECT_NE(status[r].message().find("rank 2 (host h2) had closed its communicator"),
              std::string::npos)
        << status[r].message();
    EXPECT_NE(status[r].message().find("rank " + std::to_string(r) + " (host h" +
                                       std::to_string(r) + ")"),
              std::string::npos)
        << status[r].message();
    std::printf("rank %d error after %.2f s: %s\n", r,
                std::chrono::duration<double>(took[r]).count(), status[r].ToString().c_str());
    // The communicator stays failed rather than running on a broken mesh.
    float x = 1;
    core::Status again = comms[r]->AllReduceSum(&x, 1);
    EXPECT_EQ(again.code(), core::StatusCode::kFailedPrecondition) << again.ToString();
  }
}

TEST_F(CommunicatorTest, SigpipeDoesNotKillTheProcess) {
  // Gloo writes with writev: a write to a peer that died raises SIGPIPE, which by default kills
  // the process instead of failing the collective. Creating a communicator ignores it.
  auto comms = CreateAll(2);
  for (const auto& c : comms) ASSERT_NE(c, nullptr);
  struct sigaction current;
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &current), 0);
  EXPECT_EQ(current.sa_handler, SIG_IGN);
}

TEST_F(CommunicatorTest, RankThatStopsCallingMakesOthersTimeOut) {
  constexpr int kWorld = 2;
  const milliseconds timeout(2000);
  auto comms = CreateAll(kWorld, timeout);
  for (const auto& c : comms) ASSERT_NE(c, nullptr);
  server_.Set("heartbeat/1", "1");  // rank 1 "beat" once, long before the failure shows
  // Rank 1 is alive (its communicator exists) but never enters the collective.
  std::vector<float> data(4096, 1.0f);
  const auto start = Clock::now();
  core::Status s = comms[0]->AllReduceSum(data.data(), data.size());
  const auto took = Clock::now() - start;
  ASSERT_FALSE(s.ok());
  std::printf("rank 0 error after %.2f s: %s\n", std::chrono::duration<double>(took).count(),
              s.ToString().c_str());
  EXPECT_EQ(s.code(), core::StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_GE(took, timeout - milliseconds(100));
  EXPECT_LT(took, timeout + milliseconds(3000));
  EXPECT_NE(s.message().find("rank 1 (host h1)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("heartbeat"), std::string::npos) << s.message();
}

TEST(CreateCommunicatorTest, ValidatesConfig) {
  CommConfig c;
  c.backend = "mpi";
  EXPECT_EQ(CreateCommunicator(c).status().code(), core::StatusCode::kInvalidArgument);
  c.backend = "gloo";
  c.world_size = 2;
  c.rank = 2;
  EXPECT_EQ(CreateCommunicator(c).status().code(), core::StatusCode::kInvalidArgument);
  c.rank = 1;  // no coordinator
  EXPECT_EQ(CreateCommunicator(c).status().code(), core::StatusCode::kInvalidArgument);
  c.coordinator = "tcp://127.0.0.1:1";
  c.timeout = milliseconds(0);
  EXPECT_EQ(CreateCommunicator(c).status().code(), core::StatusCode::kInvalidArgument);
  if (!core::CudaAvailable()) {
    CommConfig n;
    n.backend = "nccl";
    EXPECT_EQ(CreateCommunicator(n).status().code(), core::StatusCode::kFailedPrecondition);
  }
}

TEST(CreateCommunicatorTest, UnreachableCoordinatorFailsWithinTimeout) {
  CommConfig c;
  c.world_size = 2;
  c.coordinator = "tcp://127.0.0.1:1";  // nothing listens on port 1
  c.timeout = milliseconds(1000);
  const auto start = Clock::now();
  auto comm = CreateCommunicator(c);
  ASSERT_FALSE(comm.ok());
  EXPECT_LT(Clock::now() - start, milliseconds(4000));
  EXPECT_NE(comm.status().message().find("tcp://127.0.0.1:1"), std::string::npos)
      << comm.status().message();
}

TEST(SoloCommunicatorTest, CollectivesAreIdentities) {
  auto comm = CreateCommunicator(CommConfig{});  // world 1, no coordinator
  ASSERT_TRUE(comm.ok()) << comm.status().ToString();
  EXPECT_EQ((*comm)->world_size(), 1);
  EXPECT_EQ((*comm)->device(), core::Device::kCpu);
  std::vector<float> v = {1.5f, -2.0f};
  ASSERT_TRUE((*comm)->AllReduceSum(v.data(), v.size()).ok());
  ASSERT_TRUE((*comm)->Broadcast(v.data(), v.size(), 0).ok());
  ASSERT_TRUE((*comm)->Barrier().ok());
  EXPECT_EQ(v, (std::vector<float>{1.5f, -2.0f}));
  EXPECT_FALSE((*comm)->Broadcast(v.data(), v.size(), 1).ok());
  EXPECT_EQ(MakeSoloCommunicator(core::Device::kCuda)->device(), core::Device::kCuda);
}

TEST_F(CommunicatorTest, GroupsCanBeCreatedAgainOnOneCoordinator) {
  // A second set of communicators in the same run meets under a new generation of keys.
  for (int round = 0; round < 2; ++round) {
    auto comms = CreateAll(2);
    for (const auto& c : comms) ASSERT_NE(c, nullptr);
    std::vector<std::vector<double>> d = {{1.0}, {2.0}};
    std::vector<core::Status> status(2);
    RunRanks(2, [&](int r) { status[r] = comms[r]->AllReduceSumHost(d[r].data(), 1); });
    for (int r = 0; r < 2; ++r) {
      ASSERT_TRUE(status[r].ok()) << status[r].ToString();
      EXPECT_EQ(d[r][0], 3.0);
    }
  }
}

TEST_F(CommunicatorTest, Timing4RanksAllReduce25MB) {
  constexpr int kWorld = 4;
  constexpr size_t kN = 25 * 1000 * 1000 / sizeof(float);
  auto comms = CreateAll(kWorld);
  for (const auto& c : comms) ASSERT_NE(c, nullptr);
  std::vector<std::vector<float>> data(kWorld, std::vector<float>(kN, 1.0f));
  std::vector<core::Status> status(kWorld);
  constexpr int kRounds = 3;
  double best = 1e30;
  for (int round = 0; round < kRounds; ++round) {
    const auto start = Clock::now();
    RunRanks(kWorld, [&](int r) { status[r] = comms[r]->AllReduceSum(data[r].data(), kN); });
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
    for (int r = 0; r < kWorld; ++r) ASSERT_TRUE(status[r].ok()) << status[r].ToString();
  }
  // 1 * 4^rounds: every element multiplied by the world size each round.
  EXPECT_EQ(data[0][kN - 1], 64.0f);
  std::printf("{\"bench\":\"gloo_allreduce\",\"ranks\":%d,\"bytes\":%zu,\"best_seconds\":%.4f}\n",
              kWorld, kN * sizeof(float), best);
}

}  // namespace
}  // namespace halo::trainer
