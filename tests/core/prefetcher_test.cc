// Prefetcher: items come out in order whatever the thread count, never more than `depth` ahead
// of the consumer, errors surface at their item, and a consumer that stops early does not hang.
#include "core/prefetcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

namespace halo::core {
namespace {

TEST(PrefetcherTest, ItemsArriveInOrder) {
  for (int depth : {0, 1, 3, 8}) {
    for (int threads : {1, 2, 4}) {
      Prefetcher<int64_t> p(50, depth, threads, [](int64_t i) -> Result<int64_t> { return i * i; });
      for (int64_t i = 0; i < 50; ++i) {
        auto item = p.Next();
        ASSERT_TRUE(item.ok());
        EXPECT_EQ(item.value(), i * i) << "depth " << depth << " threads " << threads;
      }
      EXPECT_FALSE(p.Next().ok());
    }
  }
}

TEST(PrefetcherTest, NeverRunsMoreThanDepthAhead) {
  constexpr int kDepth = 3;
  std::atomic<int64_t> consumed{0};
  std::atomic<int64_t> worst_lead{0};
  Prefetcher<int64_t> p(40, kDepth, 4, [&](int64_t i) -> Result<int64_t> {
    // Item i may start only once fewer than kDepth items wait unconsumed before it.
    const int64_t lead = i - consumed.load();
    int64_t prev = worst_lead.load();
    while (lead > prev && !worst_lead.compare_exchange_weak(prev, lead)) {
    }
    return i;
  });
  for (int64_t i = 0; i < 40; ++i) {
    ASSERT_TRUE(p.Next().ok());
    consumed = i + 1;
  }
  EXPECT_LE(worst_lead.load(), kDepth);
}

TEST(PrefetcherTest, ErrorIsReturnedForItsItemAndLaterItemsStop) {
  std::mutex mu;
  std::set<int64_t> produced;
  Prefetcher<int64_t> p(100, 2, 2, [&](int64_t i) -> Result<int64_t> {
    {
      std::lock_guard<std::mutex> lock(mu);
      produced.insert(i);
    }
    if (i == 5) return Status::IOError("item 5 failed");
    return i;
  });
  for (int64_t i = 0; i < 5; ++i) ASSERT_TRUE(p.Next().ok());
  auto failed = p.Next();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), "item 5 failed");
  auto after = p.Next();  // must not hang
  EXPECT_FALSE(after.ok());
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_LE(*produced.rbegin(), 5 + 2 + 1);  // nothing far beyond the failure was started
}

TEST(PrefetcherTest, DestroyingEarlyDoesNotHang) {
  Prefetcher<int64_t> p(1000, 4, 2, [](int64_t i) -> Result<int64_t> { return i; });
  ASSERT_TRUE(p.Next().ok());
}  // the destructor joins the workers

}  // namespace
}  // namespace halo::core
