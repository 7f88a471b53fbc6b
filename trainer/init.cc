#include "trainer/init.h"

#include <cmath>
#include <vector>

namespace halo::trainer {

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double UniformDouble(uint64_t* state) {
  return static_cast<double>(SplitMix64(state) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t MixSeed(uint64_t a, uint64_t b) {
  uint64_t s = a ^ (b * 0xd1b54a32d192ed03ULL);
  return SplitMix64(&s);
}

void UniformInit(uint64_t seed, float bound, core::Tensor* weight) {
  std::vector<float> host(static_cast<size_t>(weight->numel()));
  uint64_t state = seed;
  for (float& v : host) v = static_cast<float>((2.0 * UniformDouble(&state) - 1.0) * bound);
  *weight = core::Tensor::FromVector(host, weight->rows(), weight->cols(), weight->device());
}

void GlorotUniform(uint64_t seed, core::Tensor* weight) {
  const double bound = std::sqrt(6.0 / static_cast<double>(weight->rows() + weight->cols()));
  UniformInit(seed, static_cast<float>(bound), weight);
}

void ZeroInit(core::Tensor* weight) { weight->SetZero(); }

}  // namespace halo::trainer
