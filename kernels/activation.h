// Elementwise activations and dropout, forward and backward.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/tensor.h"

namespace halo::kernels {

enum class Activation { kNone, kRelu, kElu, kLeakyRelu };

core::Result<Activation> ParseActivation(const std::string& name);  // none|relu|elu|leaky_relu

// y = act(x). `slope` is LeakyReLU's negative slope (ELU uses alpha = 1). y may alias x.
void ActivationForward(Activation act, float slope, const core::Tensor& x, core::Tensor* y);
// grad_x = grad_y * act'(x), with x the forward input. grad_x may alias grad_y.
void ActivationBackward(Activation act, float slope, const core::Tensor& x,
                        const core::Tensor& grad_y, core::Tensor* grad_x);

// Inverted dropout: mask[i] = keep, y[i] = x[i] * mask[i] / (1 - p). The mask is a pure
// function of (seed, i) (a counter-based hash), so CPU and CUDA draw identical masks.
// p == 0 copies x and sets every mask entry to 1. y may alias x.
void DropoutForward(float p, uint64_t seed, const core::Tensor& x, core::Tensor* y,
                    core::Array<uint8_t>* mask);
void DropoutBackward(float p, const core::Array<uint8_t>& mask, const core::Tensor& grad_y,
                     core::Tensor* grad_x);

// The keep decision DropoutForward uses for element i (exposed for tests and references).
bool DropoutKeep(float p, uint64_t seed, int64_t i);

}  // namespace halo::kernels
