#include "trainer/init.h"

#include <cmath>
#include <vector>

#include "core/random.h"

namespace halo::trainer {

uint64_t MixSeed(uint64_t a, uint64_t b) {
  return core::Rng(a ^ (b * 0xd1b54a32d192ed03ULL)).Next();
}

void UniformInit(uint64_t seed, float bound, core::Tensor* weight) {
  std::vector<float> host(static_cast<size_t>(weight->numel()));
  core::Rng rng(seed);
  for (float& v : host) v = static_cast<float>((2.0 * rng.UniformDouble() - 1.0) * bound);
  *weight = core::Tensor::FromVector(host, weight->rows(), weight->cols(), weight->device());
}

void GlorotUniform(uint64_t seed, core::Tensor* weight) {
  const double bound = std::sqrt(6.0 / static_cast<double>(weight->rows() + weight->cols()));
  UniformInit(seed, static_cast<float>(bound), weight);
}

void ZeroInit(core::Tensor* weight) { weight->SetZero(); }

}  // namespace halo::trainer
