// The consistency contract of ps/client.h, on in-process shards over loopback:
//   * the staleness bound, under randomized schedules (s in {0, 1, 2, 4}, a 5x straggler): every
//     read contains every push older than c - s (exactly the pushes older than c for s = 0), and
//     the shards make a pull wait exactly when its worker is more than s clocks ahead;
//   * the exact blocking point: a worker runs s clocks ahead of a held worker without waiting, and
//     its pull at s + 1 ahead waits until the held worker clocks;
//   * ASP never waits; read-my-writes; the cache respects the bound.
// Random compute delays only shape the schedules: every assertion holds for any timing, and the
// tests wait on conditions (events, futures), never on sleeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "core/random.h"
#include "tests/ps/ps_test_util.h"

namespace halo::ps {
namespace {

using testing::AllRows;
using testing::LocalCluster;
using testing::PullNow;
using testing::PushNow;

// Every PullEvent of every shard, with a wait for a matching one.
class EventLog {
 public:
  void Attach(LocalCluster& cluster) {
    for (int s = 0; s < cluster.num_shards(); ++s) {
      cluster.shard(s).SetPullObserver([this](const PullEvent& e) { Record(e); });
    }
  }
  void Record(const PullEvent& e) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(e);
    cv_.notify_all();
  }
  // True once an event satisfying `pred` was recorded (false after 60 s: a hang, not a timing).
  bool WaitFor(const std::function<bool(const PullEvent&)>& pred) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(60),
                        [&] { return std::any_of(events_.begin(), events_.end(), pred); });
  }
  std::vector<PullEvent> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PullEvent> events_;
};

// Checks the shards' decisions: a pull waits iff min clock < clock - s, is answered only when
// min clock >= clock - s; returns the number of pulls (worker, clock) that had to wait somewhere.
int CheckEvents(const std::vector<PullEvent>& events, bool sequential_clients) {
  std::set<std::pair<int, int64_t>> waited;
  for (const PullEvent& e : events) {
    const int64_t min = *std::min_element(e.clocks.begin(), e.clocks.end());
    EXPECT_EQ(e.min_clock, min);
    if (sequential_clients) {
      EXPECT_EQ(e.clocks[static_cast<size_t>(e.worker)], e.clock);
    }
    switch (e.kind) {
      case PullEvent::Kind::kArrived:
        EXPECT_EQ(e.must_wait, e.staleness >= 0 && min < e.clock - e.staleness)
            << "worker " << e.worker << " clock " << e.clock << " min " << min;
        if (e.must_wait) waited.insert({e.worker, e.clock});
        break;
      case PullEvent::Kind::kAnswered:
        if (e.staleness >= 0) {
          EXPECT_GE(min, e.clock - e.staleness);
        }
        break;
      case PullEvent::Kind::kNotReady:
        EXPECT_LT(min, e.clock - e.staleness);
        break;
    }
  }
  return static_cast<int>(waited.size());
}

// One column per worker; each worker's pushes add 1 to its column (SGD, lr 1, gradient -1).
TableSpec CountingTable(int64_t rows, int workers, int64_t staleness, Routing routing = {}) {
  TableSpec spec;
  spec.name = "counts";
  spec.num_rows = rows;
  spec.dim = workers;
  spec.optimizer.kind = OptimizerKind::kSgd;
  spec.optimizer.lr = 1.0f;
  spec.staleness = staleness;
  spec.routing = std::move(routing);
  return spec;
}

std::vector<float> OneHotGrads(size_t n, int dim, int column) {
  std::vector<float> g(n * static_cast<size_t>(dim), 0.0f);
  for (size_t i = 0; i < n; ++i) g[i * static_cast<size_t>(dim) + static_cast<size_t>(column)] = -1;
  return g;
}

float At(const std::vector<float>& rows, int dim, size_t i, int j) {
  return rows[i * static_cast<size_t>(dim) + static_cast<size_t>(j)];
}

class ExactBlockingTest : public ::testing::TestWithParam<int> {};

TEST_P(ExactBlockingTest, FastWorkerWaitsExactlySClocksAhead) {
  const int64_t s = GetParam();
  LocalCluster cluster(2, 2);
  ASSERT_TRUE(cluster.ok());
  EventLog log;
  log.Attach(cluster);
  auto c0 = cluster.Connect(0);
  auto c1 = cluster.Connect(1);
  ASSERT_TRUE(c0 && c1);
  const TableSpec spec = CountingTable(4, 2, s);
  ASSERT_TRUE(c0->CreateTable(spec).ok());
  ASSERT_TRUE(c1->CreateTable(spec).ok());
  const std::vector<int64_t> ids = AllRows(4);

  // Worker 1 runs ahead while worker 0 stays at clock 0: no wait up to s clocks ahead.
  for (int64_t c = 0; c <= s; ++c) {
    std::vector<float> rows = PullNow(*c1, "counts", ids);
    for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(At(rows, 2, i, 0), 0.0f);
    PushNow(*c1, "counts", ids, OneHotGrads(ids.size(), 2, 1));
    ASSERT_TRUE(c1->Clock().ok());
  }
  for (const PullEvent& e : log.events()) {
    if (e.kind == PullEvent::Kind::kArrived) {
      EXPECT_FALSE(e.must_wait) << "clock " << e.clock;
    }
  }
  EXPECT_EQ(c1->Staleness("counts").waited_pulls, 0);

  // s + 1 ahead: the pull must wait for worker 0.
  std::vector<float> rows;
  const Client::Handle h = c1->Pull("counts", ids, &rows);
  auto done = std::async(std::launch::async, [&] { return c1->Wait(h); });
  ASSERT_TRUE(log.WaitFor([&](const PullEvent& e) {
    return e.kind == PullEvent::Kind::kArrived && e.worker == 1 && e.clock == s + 1 && e.must_wait;
  }));
  // Cannot have been answered: worker 0 is still at clock 0 (not a timing assumption).
  EXPECT_NE(done.wait_for(std::chrono::seconds(0)), std::future_status::ready);

  // Worker 0 does one step; that releases worker 1.
  std::vector<float> rows0 = PullNow(*c0, "counts", ids);
  for (size_t i = 0; i < ids.size(); ++i) {
    // BSP applies worker 1's clock-0 push only when clock 0 ends for everyone.
    EXPECT_EQ(At(rows0, 2, i, 1), s == 0 ? 0.0f : static_cast<float>(s + 1));
  }
  PushNow(*c0, "counts", ids, OneHotGrads(ids.size(), 2, 0));
  ASSERT_TRUE(c0->Clock().ok());
  core::Status st = done.get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(At(rows, 2, i, 0), 1.0f);  // worker 0's clock-0 push: clock 0 < 1 = reflected
    EXPECT_EQ(At(rows, 2, i, 1), static_cast<float>(s == 0 ? 1 : s + 1));  // its own pushes
  }
  EXPECT_TRUE(log.WaitFor([&](const PullEvent& e) {
    return e.kind == PullEvent::Kind::kAnswered && e.worker == 1 && e.clock == s + 1 &&
           e.min_clock == 1;
  }));
  const StalenessStats st1 = c1->Staleness("counts");
  EXPECT_EQ(st1.bound, s);
  EXPECT_EQ(st1.max_observed, s);  // clock s + 1, reflecting clock 1
  EXPECT_EQ(st1.waited_pulls, 1);
  CheckEvents(log.events(), true);
}

INSTANTIATE_TEST_SUITE_P(Bounds, ExactBlockingTest, ::testing::Values(0, 1, 2, 4));

// Who pushed what to which row at which clock, recorded before each push is sent.
class History {
 public:
  History(int workers, int64_t rows)
      : pushes_(static_cast<size_t>(workers), std::vector<std::vector<int64_t>>(rows)) {}
  void Record(int w, int64_t row, int64_t clock) {
    std::lock_guard<std::mutex> lock(mu_);
    pushes_[static_cast<size_t>(w)][static_cast<size_t>(row)].push_back(clock);
  }
  // Pushes of worker w to `row` at clocks < `clock`, and in all so far.
  int64_t Before(int w, int64_t row, int64_t clock) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto& v = pushes_[static_cast<size_t>(w)][static_cast<size_t>(row)];
    return std::lower_bound(v.begin(), v.end(), clock) - v.begin();
  }
  int64_t Total(int w, int64_t row) {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int64_t>(pushes_[static_cast<size_t>(w)][static_cast<size_t>(row)].size());
  }

 private:
  std::mutex mu_;
  std::vector<std::vector<std::vector<int64_t>>> pushes_;  // [worker][row] -> clocks, ascending
};

struct ScheduleParam {
  int64_t staleness;
  uint64_t seed;
};

class RandomScheduleTest : public ::testing::TestWithParam<ScheduleParam> {};

TEST_P(RandomScheduleTest, EveryReadSatisfiesTheBound) {
  const int64_t s = GetParam().staleness;
  const uint64_t seed = GetParam().seed;
  constexpr int kWorkers = 4;
  constexpr int64_t kRows = 6;
  constexpr int kSteps = 20;
  LocalCluster cluster(2, kWorkers);
  ASSERT_TRUE(cluster.ok());
  EventLog log;
  log.Attach(cluster);
  const TableSpec spec = CountingTable(kRows, kWorkers, s);
  History history(kWorkers, kRows);
  std::vector<StalenessStats> stats(kWorkers);

  auto worker = [&](int w) {
    auto client = cluster.Connect(w);
    ASSERT_TRUE(client != nullptr);
    ASSERT_TRUE(client->CreateTable(spec).ok());
    core::Rng rng(core::DeriveSeed(seed, static_cast<uint64_t>(w)));
    std::vector<int64_t> own(kRows, 0);
    for (int64_t c = 0; c < kSteps; ++c) {
      // "Compute": worker 0 is a 5x straggler.
      const auto delay = std::chrono::microseconds(rng.Uniform(300) * (w == 0 ? 5 : 1));
      std::this_thread::sleep_for(delay);
      std::vector<int64_t> ids;
      for (uint64_t k = 1 + rng.Uniform(8); k > 0; --k) {
        ids.push_back(static_cast<int64_t>(rng.Uniform(kRows)));
      }
      std::vector<float> rows = PullNow(*client, "counts", ids);
      for (size_t i = 0; i < ids.size(); ++i) {
        const int64_t r = ids[i];
        // Read-my-writes: exactly this worker's own pushes (all of them are of clocks < c).
        EXPECT_EQ(At(rows, kWorkers, i, w), static_cast<float>(own[static_cast<size_t>(r)]))
            << "worker " << w << " clock " << c << " row " << r;
        for (int v = 0; v < kWorkers; ++v) {
          if (v == w) continue;
          const float got = At(rows, kWorkers, i, v);
          if (s == 0) {
            EXPECT_EQ(got, static_cast<float>(history.Before(v, r, c)))
                << "BSP: worker " << w << " clock " << c << " row " << r << " column " << v;
          } else {
            EXPECT_GE(got, static_cast<float>(history.Before(v, r, c - s)))
                << "SSP: worker " << w << " clock " << c << " row " << r << " column " << v;
            EXPECT_LE(got, static_cast<float>(history.Total(v, r)));
          }
        }
      }
      std::vector<int64_t> push_ids;
      for (uint64_t k = rng.Uniform(6); k > 0; --k) {
        push_ids.push_back(static_cast<int64_t>(rng.Uniform(kRows)));
      }
      for (int64_t r : push_ids) {
        history.Record(w, r, c);
        ++own[static_cast<size_t>(r)];
      }
      client->Push("counts", push_ids, OneHotGrads(push_ids.size(), kWorkers, w));
      ASSERT_TRUE(client->Clock().ok());
    }
    stats[static_cast<size_t>(w)] = client->Staleness("counts");
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) threads.emplace_back(worker, w);
  for (std::thread& t : threads) t.join();

  const int waited = CheckEvents(log.events(), true);
  int64_t reads = 0;
  for (const StalenessStats& st : stats) {
    EXPECT_EQ(st.bound, s);
    EXPECT_LE(st.max_observed, s);
    EXPECT_GE(st.mean_observed, 0.0);
    EXPECT_LE(st.mean_observed, static_cast<double>(s));
    EXPECT_EQ(st.pulls, kSteps);
    reads += st.rows_read;
  }
  EXPECT_GT(reads, 0);
  std::printf("s=%lld seed=%llu: %d of %d pulls had to wait; max observed staleness %lld\n",
              static_cast<long long>(s), static_cast<unsigned long long>(seed), waited,
              kWorkers * kSteps,
              static_cast<long long>(
                  std::max_element(stats.begin(), stats.end(), [](const auto& a, const auto& b) {
                    return a.max_observed < b.max_observed;
                  })->max_observed));
}

INSTANTIATE_TEST_SUITE_P(Bounds, RandomScheduleTest,
                         ::testing::Values(ScheduleParam{0, 1}, ScheduleParam{0, 2},
                                           ScheduleParam{1, 1}, ScheduleParam{1, 2},
                                           ScheduleParam{2, 1}, ScheduleParam{2, 2},
                                           ScheduleParam{4, 1}, ScheduleParam{4, 2}),
                         [](const auto& info) {
                           return "s" + std::to_string(info.param.staleness) + "_seed" +
                                  std::to_string(info.param.seed);
                         });

TEST(AsyncTest, NeverWaitsAndMeasuresStaleness) {
  LocalCluster cluster(1, 2);
  ASSERT_TRUE(cluster.ok());
  EventLog log;
  log.Attach(cluster);
  auto c1 = cluster.Connect(1);
  const TableSpec spec = CountingTable(3, 2, kAsync);
  ASSERT_TRUE(c1->CreateTable(spec).ok());
  for (int c = 0; c < 10; ++c) {
    std::vector<float> rows = PullNow(*c1, "counts", {0, 1, 2});
    EXPECT_EQ(At(rows, 2, 0, 1), static_cast<float>(c));  // its own pushes, no cache
    PushNow(*c1, "counts", {0, 1, 2}, OneHotGrads(3, 2, 1));
    ASSERT_TRUE(c1->Clock().ok());
  }
  for (const PullEvent& e : log.events()) EXPECT_FALSE(e.must_wait);
  const StalenessStats st = c1->Staleness("counts");
  EXPECT_EQ(st.bound, kAsync);
  EXPECT_EQ(st.max_observed, 9);  // worker 0 never clocked: clock 9 reflects clock 0
  EXPECT_DOUBLE_EQ(st.mean_observed, 4.5);
  EXPECT_EQ(st.cache_hits, 0);
  EXPECT_EQ(st.waited_pulls, 0);
}

TEST(ReadMyWritesTest, OwnPushesAreVisibleToTheNextPull) {
  for (int64_t s : {int64_t{1}, int64_t{3}, kAsync}) {
    SCOPED_TRACE("s=" + std::to_string(s));
    LocalCluster cluster(2, 2);  // worker 1 never moves
    ASSERT_TRUE(cluster.ok());
    auto c = cluster.Connect(0);
    TableSpec spec;
    spec.name = "emb";
    spec.num_rows = 8;
    spec.dim = 3;
    spec.init = {InitKind::kUniform, -1, 1, 3};
    spec.optimizer.lr = 0.5f;
    spec.staleness = s;
    ASSERT_TRUE(c->CreateTable(spec).ok());
    const std::vector<int64_t> ids = {5, 2, 5};
    std::vector<float> v0 = PullNow(*c, "emb", ids);  // cached (s >= 0)
    const std::vector<float> g = {1, 2, 3, 0.5f, 0.5f, 0.5f, 1, 1, 1};
    c->Push("emb", ids, g);  // not waited: the next pull waits for it
    std::vector<float> v1 = PullNow(*c, "emb", ids);
    for (int j = 0; j < 3; ++j) {
      // Row 5 appears twice: its gradients sum, one SGD step.
      EXPECT_FLOAT_EQ(v1[static_cast<size_t>(j)],
                      v0[static_cast<size_t>(j)] - 0.5f * (g[j] + g[6 + j]));
      EXPECT_FLOAT_EQ(v1[static_cast<size_t>(3 + j)], v0[static_cast<size_t>(3 + j)] - 0.5f * 0.5f);
      EXPECT_EQ(v1[static_cast<size_t>(6 + j)], v1[static_cast<size_t>(j)]);
    }
    // A pull in flight while pushing must not leave a stale row in the cache.
    std::vector<float> racing;
    const Client::Handle h = c->Pull("emb", {2}, &racing);
    c->Push("emb", {2}, {1, 1, 1});
    ASSERT_TRUE(c->Wait(h).ok());
    std::vector<float> v2 = PullNow(*c, "emb", {2});
    for (int j = 0; j < 3; ++j) {
      EXPECT_FLOAT_EQ(v2[static_cast<size_t>(j)], v1[static_cast<size_t>(3 + j)] - 0.5f);
    }
    ASSERT_TRUE(c->Clock().ok());
    std::vector<float> v3 = PullNow(*c, "emb", {2});
    EXPECT_EQ(v3, v2);
  }
}

TEST(ReadMyWritesTest, BspPushesBecomeVisibleAtTheClockBoundary) {
  LocalCluster cluster(1, 2);
  ASSERT_TRUE(cluster.ok());
  auto c0 = cluster.Connect(0);
  auto c1 = cluster.Connect(1);
  TableSpec spec = CountingTable(2, 2, 0);
  ASSERT_TRUE(c0->CreateTable(spec).ok());
  ASSERT_TRUE(c1->CreateTable(spec).ok());
  PushNow(*c0, "counts", {1}, OneHotGrads(1, 2, 0));
  EXPECT_EQ(PullNow(*c0, "counts", {1})[0], 0.0f);  // same clock: not yet
  ASSERT_TRUE(c0->Clock().ok());
  ASSERT_TRUE(c1->Clock().ok());
  EXPECT_EQ(PullNow(*c0, "counts", {1})[0], 1.0f);  // clock 1: applied for everyone
  EXPECT_EQ(PullNow(*c1, "counts", {1})[0], 1.0f);
}

TEST(CacheTest, ReusesRowsOnlyWithinTheBound) {
  LocalCluster cluster(1, 2);
  ASSERT_TRUE(cluster.ok());
  auto c0 = cluster.Connect(0);
  auto c1 = cluster.Connect(1);
  const TableSpec spec = CountingTable(2, 2, 2);
  ASSERT_TRUE(c0->CreateTable(spec).ok());
  ASSERT_TRUE(c1->CreateTable(spec).ok());
  EXPECT_EQ(PullNow(*c0, "counts", {0})[1], 0.0f);  // cached, reflecting clock 0
  PushNow(*c1, "counts", {0}, OneHotGrads(1, 2, 1));
  for (int c = 1; c <= 3; ++c) {
    ASSERT_TRUE(c1->Clock().ok());
    ASSERT_TRUE(c0->Clock().ok());
    const float seen = PullNow(*c0, "counts", {0})[1];
    // Clocks 1 and 2: the cached copy (staleness <= 2) may be reused, and is; clock 3 refetches.
    EXPECT_EQ(seen, c <= 2 ? 0.0f : 1.0f) << "clock " << c;
  }
  const StalenessStats st = c0->Staleness("counts");
  EXPECT_EQ(st.cache_hits, 2);
  EXPECT_EQ(st.max_observed, 2);
  EXPECT_LE(st.max_observed, st.bound);
}

TEST(ClientTest, ErrorsComeFromWait) {
  LocalCluster cluster(2, 1);
  ASSERT_TRUE(cluster.ok());
  auto c = cluster.Connect(0);
  std::vector<float> rows;
  core::Status s = c->Wait(c->Pull("missing", {1}, &rows));
  EXPECT_EQ(s.code(), core::StatusCode::kNotFound);
  const TableSpec spec = CountingTable(4, 1, 1);
  ASSERT_TRUE(c->CreateTable(spec).ok());
  ASSERT_TRUE(c->CreateTable(spec).ok());  // idempotent
  TableSpec other = spec;
  other.dim = 2;
  s = c->CreateTable(other);
  EXPECT_EQ(s.code(), core::StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("ps shard 0 ("), std::string::npos) << s.message();
  s = c->Wait(c->Pull("counts", {1, 4}, &rows));
  EXPECT_EQ(s.code(), core::StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("row 4 (position 1)"), std::string::npos) << s.message();
  s = c->Wait(c->Push("counts", {1}, {1, 2}));
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(c->Wait(12345).code(), core::StatusCode::kInvalidArgument);
  // A worker outside the shards' worker count is refused at Connect.
  ClientOptions opt;
  opt.worker = 1;
  auto bad = Client::Connect(cluster.endpoints(), opt);
  EXPECT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument);
  // Shards listed in the wrong order are caught.
  std::vector<std::string> swapped = {cluster.endpoints()[1], cluster.endpoints()[0]};
  auto wrong = Client::Connect(swapped, ClientOptions());
  EXPECT_EQ(wrong.status().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace halo::ps
