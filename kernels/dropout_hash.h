// The dropout keep decision as a pure function of (seed, element index): a counter-based hash,
// so CPU and CUDA draw bit-identical masks with no RNG state. Header-only and usable from both
// .cc and .cu (host and device).
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define HALO_HD __host__ __device__
#else
#define HALO_HD
#endif

namespace halo::kernels {

// splitmix64's finalizer (Steele et al.): a bijective 64-bit mixer.
HALO_HD inline uint64_t SplitMix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// One 64-bit hash serves 4 consecutive elements, 16 bits each: hashing dominated dropout's cost
// (a 2708 x 1433 input is 3.9M draws per step), and 1/65536 is ample resolution for p.
constexpr int kDropoutLanes = 4;

HALO_HD inline uint64_t DropoutBlockHash(uint64_t seed, int64_t block) {
  return SplitMix64(seed ^ (static_cast<uint64_t>(block) * 0x9E3779B97F4A7C15ull));
}

// The draw of lane `lane` (0..3) of a block hash, in [0, 1).
HALO_HD inline float DropoutLaneUniform(uint64_t block_hash, int lane) {
  return static_cast<float>((block_hash >> (16 * lane)) & 0xFFFFu) * (1.0f / 65536.0f);
}

// A uniform draw in [0, 1) for element i.
HALO_HD inline float DropoutUniform(uint64_t seed, int64_t i) {
  return DropoutLaneUniform(DropoutBlockHash(seed, i / kDropoutLanes),
                            static_cast<int>(i % kDropoutLanes));
}

// Keep element i when its draw is >= p, so the keep rate is 1 - p (p == 0 keeps everything).
HALO_HD inline bool DropoutKeepHash(float p, uint64_t seed, int64_t i) {
  return DropoutUniform(seed, i) >= p;
}

}  // namespace halo::kernels
