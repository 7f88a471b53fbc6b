// Portable, counter-based randomness: every stream is derived from (seed, key) with splitmix64,
// so results depend on the seed and the key (a node, a layer, an epoch), never on thread
// scheduling or the standard library. Used for sampling, initialization and random partitions.
#pragma once

#include <cstdint>

namespace halo::core {

// splitmix64's output function (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A seed for the sub-stream named `key` (a layer, a node ID, an epoch) of stream `seed`.
inline uint64_t DeriveSeed(uint64_t seed, uint64_t key) {
  return SplitMix64(SplitMix64(seed) ^ SplitMix64(key ^ 0x6A09E667F3BCC908ULL));
}

// A small splitmix64 generator. Not thread-safe; make one per node or per thread.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n) for n > 0. Lemire's multiply-shift with rejection: exactly uniform, and
  // independent of the standard library (std::uniform_int_distribution differs across vendors).
  uint64_t Uniform(uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(Next()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(Next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [0, 1) with 53 random bits.
  double UniformDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace halo::core
