// Concurrency stress: 6 workers, each a Client shared by 2 threads, against 2 shards with few
// threads (so that pulls overflow the park slots and take the client's back-off path), issuing
// random pulls and pushes on a BSP, an SSP and an ASP table, and clocking together. Every push adds
// 1 to every column of its rows, so a row read half-updated would show unequal columns; at the end
// every row holds exactly the number of pushes it received. Run under ThreadSanitizer by
// scripts/tsan_ps.sh.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "core/random.h"
#include "tests/ps/ps_test_util.h"

namespace halo::ps {
namespace {

using testing::AllRows;
using testing::LocalCluster;
using testing::PullNow;

constexpr int kWorkers = 6;
constexpr int kThreadsPerWorker = 2;
constexpr int kRounds = 12;
constexpr int kOpsPerRound = 4;
constexpr int64_t kRows = 50;
constexpr int64_t kDim = 3;

// A reusable barrier for the threads of one worker (std::barrier is C++20).
class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  void Arrive() {
    std::unique_lock<std::mutex> lock(mu_);
    const int64_t gen = generation_;
    if (++count_ == n_) {
      count_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != gen; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int n_;
  int count_ = 0;
  int64_t generation_ = 0;
};

TEST(StressTest, ManyClientsManyThreads) {
  LocalCluster cluster(2, kWorkers, "", /*threads=*/4);  // 2 park slots per shard
  ASSERT_TRUE(cluster.ok());
  std::vector<TableSpec> specs(3);
  const int64_t bounds[3] = {0, 2, kAsync};
  const Routing routings[3] = {Routing::Modulo(),
                               Routing::ByPartition(core::PartitionBook({0, 20, 21, 50})),
                               Routing::Contiguous(kRows, 2)};
  for (int t = 0; t < 3; ++t) {
    specs[static_cast<size_t>(t)].name = "t" + std::to_string(t);
    specs[static_cast<size_t>(t)].num_rows = kRows;
    specs[static_cast<size_t>(t)].dim = kDim;
    specs[static_cast<size_t>(t)].optimizer.lr = 1.0f;
    specs[static_cast<size_t>(t)].staleness = bounds[t];
    specs[static_cast<size_t>(t)].routing = routings[t];
  }
  // Pushes per (table, row).
  std::vector<std::atomic<int64_t>> pushed(3 * kRows);
  std::atomic<int64_t> torn{0}, errors{0}, reads{0};

  auto worker = [&](int w) {
    ClientOptions opt;
    opt.park = std::chrono::milliseconds(50);
    opt.max_cache_rows = 20;  // small: exercises eviction
    auto client = cluster.Connect(w, opt);
    ASSERT_TRUE(client != nullptr);
    for (const TableSpec& spec : specs) ASSERT_TRUE(client->CreateTable(spec).ok());
    Barrier barrier(kThreadsPerWorker);
    auto thread = [&](int k) {
      core::Rng rng(core::DeriveSeed(static_cast<uint64_t>(w), static_cast<uint64_t>(k)));
      for (int round = 0; round < kRounds; ++round) {
        for (int op = 0; op < kOpsPerRound; ++op) {
          const int t = static_cast<int>(rng.Uniform(3));
          const std::string& name = specs[static_cast<size_t>(t)].name;
          std::vector<int64_t> ids;
          for (uint64_t n = 1 + rng.Uniform(12); n > 0; --n) {
            ids.push_back(static_cast<int64_t>(rng.Uniform(kRows)));
          }
          if (rng.Uniform(2) == 0) {
            std::vector<float> rows;
            core::Status s = client->Wait(client->Pull(name, ids, &rows));
            if (!s.ok()) {
              ++errors;
              ADD_FAILURE() << s.ToString();
              continue;
            }
            for (size_t i = 0; i < ids.size(); ++i) {
              for (int64_t j = 1; j < kDim; ++j) {
                if (rows[i * kDim + static_cast<size_t>(j)] != rows[i * kDim]) ++torn;
              }
            }
            reads += static_cast<int64_t>(ids.size());
          } else {
            for (int64_t id : ids) ++pushed[static_cast<size_t>(t * kRows + id)];
            client->Push(name, ids, std::vector<float>(ids.size() * kDim, -1.0f));
          }
        }
        barrier.Arrive();
        if (k == 0) {
          core::Status s = client->Clock();
          if (!s.ok()) {
            ++errors;
            ADD_FAILURE() << s.ToString();
          }
        }
        barrier.Arrive();
      }
    };
    std::vector<std::thread> threads;
    for (int k = 0; k < kThreadsPerWorker; ++k) threads.emplace_back(thread, k);
    for (std::thread& t : threads) t.join();
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) workers.emplace_back(worker, w);
  for (std::thread& t : workers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);

  auto c = cluster.Connect(0);
  ASSERT_TRUE(c != nullptr);
  EXPECT_EQ(c->clock(), kRounds);
  for (int t = 0; t < 3; ++t) {
    ASSERT_TRUE(c->CreateTable(specs[static_cast<size_t>(t)]).ok());
    const std::vector<float> rows = PullNow(*c, specs[static_cast<size_t>(t)].name, AllRows(kRows));
    for (int64_t r = 0; r < kRows; ++r) {
      for (int64_t j = 0; j < kDim; ++j) {
        EXPECT_EQ(rows[static_cast<size_t>(r * kDim + j)],
                  static_cast<float>(pushed[static_cast<size_t>(t * kRows + r)].load()))
            << "table " << t << " row " << r;
      }
    }
  }
}

}  // namespace
}  // namespace halo::ps
