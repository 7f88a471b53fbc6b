// Internal to kernels/cpu: when a loop is worth an OpenMP team. Small ops (a minibatch's bias,
// a test's tiny graph) run faster serially than the cost of waking the threads, and on a loaded
// machine a parallel region's barrier can cost milliseconds.
#pragma once

#include <cstdint>

namespace halo::kernels::cpu {

// Roughly the number of scalar multiply-adds (or bytes / 4 moved) below which we stay serial.
constexpr int64_t kMinParallelWork = int64_t{1} << 15;

inline bool WorthParallel(int64_t work) { return work >= kMinParallelWork; }

}  // namespace halo::kernels::cpu
