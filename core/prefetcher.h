// Prefetcher: produces items 0..count-1 on background threads, at most `depth` items ahead of
// the consumer, and hands them out in order. The trainer uses it to sample minibatches and fetch
// their features while the previous minibatch computes.
//
//   Prefetcher<Batch> batches(num_batches, /*depth=*/2, /*threads=*/1,
//                             [&](int64_t i) { return PrepareBatch(i); });
//   for (int64_t i = 0; i < num_batches; ++i) {
//     HALO_ASSIGN_OR_RETURN(Batch b, batches.Next());
//     ...
//   }
//
// With depth 0 every item is produced by Next() itself, on the caller's thread. An error from
// `produce` is returned by Next() for that item; items already in flight finish, no new ones
// start. The destructor waits for items in flight (produce must not block forever).
//
// Thread-safety: Next() is called from one thread; `produce` runs on several threads at once.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/status.h"

namespace halo::core {

template <typename T>
class Prefetcher {
 public:
  using Produce = std::function<Result<T>(int64_t index)>;

  Prefetcher(int64_t count, int depth, int num_threads, Produce produce)
      : count_(count), depth_(depth), produce_(std::move(produce)) {
    HALO_CHECK(count >= 0 && depth >= 0);
    if (depth_ == 0) return;
    for (int t = 0; t < std::max(1, num_threads); ++t) threads_.emplace_back([this] { Work(); });
  }
  ~Prefetcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // The next item in order; OutOfRange after the last one.
  Result<T> Next() {
    if (consumed_ >= count_) return Status::OutOfRange("prefetcher: no items left");
    if (depth_ == 0) return produce_(consumed_++);
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return ready_.count(consumed_) > 0 || (failed_ && consumed_ >= next_); });
    if (ready_.count(consumed_) == 0) {
      return Status::FailedPrecondition("prefetcher: stopped after an earlier item failed");
    }
    auto node = ready_.extract(consumed_);
    ++consumed_;
    lock.unlock();
    cv_.notify_all();  // a slot opened for the workers
    return std::move(node.mapped());
  }

 private:
  void Work() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock,
               [&] { return stop_ || failed_ || (next_ < count_ && next_ < consumed_ + depth_); });
      if (stop_ || failed_ || next_ >= count_) return;
      const int64_t index = next_++;
      lock.unlock();
      Result<T> item = produce_(index);
      lock.lock();
      if (!item.ok()) failed_ = true;
      ready_.emplace(index, std::move(item));
      cv_.notify_all();
    }
  }

  const int64_t count_;
  const int depth_;
  Produce produce_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, Result<T>> ready_;
  int64_t next_ = 0;      // next index to produce
  int64_t consumed_ = 0;  // next index to hand out
  bool stop_ = false;
  bool failed_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace halo::core
