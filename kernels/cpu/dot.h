// Internal to kernels/cpu: a float dot product the compiler can vectorize. A single running sum
// is one long dependency chain (and -O3 without -ffast-math may not reorder it); eight independent
// partial sums vectorize and hide the add latency. The order is fixed, so results are
// deterministic.
#pragma once

#include <cstdint>

namespace halo::kernels::cpu {

inline float Dot(const float* __restrict a, const float* __restrict b, int64_t n) {
  constexpr int kLanes = 8;
  float part[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) part[j] += a[i + j] * b[i + j];
  }
  float acc =
      ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
  for (; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

}  // namespace halo::kernels::cpu
