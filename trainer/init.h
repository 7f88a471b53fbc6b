// Deterministic parameter initialization (identical on every machine for a seed).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace halo::trainer {

// Glorot/Xavier uniform: U(-b, b), b = sqrt(6 / (fan_in + fan_out)) with fan_in = rows and
// fan_out = cols of the [rows x cols] weight. Drawn on the host from (seed), then copied.
void GlorotUniform(uint64_t seed, core::Tensor* weight);
// Same, with explicit fans (GAT attention vectors use fan_in = F, fan_out = 1 per head).
void UniformInit(uint64_t seed, float bound, core::Tensor* weight);
void ZeroInit(core::Tensor* weight);

// Mixes two values into a well-spread seed (for per-layer, per-step seeds).
uint64_t MixSeed(uint64_t a, uint64_t b);

}  // namespace halo::trainer
