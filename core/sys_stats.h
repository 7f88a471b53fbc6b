// Process resource figures and timing for summaries and benchmarks.
#pragma once

#include <chrono>
#include <cstdint>

namespace halo::core {

// Peak resident set size of this process so far, in bytes (getrusage).
int64_t PeakRssBytes();
// Current resident set size in bytes (/proc/self/statm), or -1 when unavailable.
int64_t CurrentRssBytes();

// Wall-clock stopwatch on the steady clock.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  void Reset() { start_ = std::chrono::steady_clock::now(); }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace halo::core
