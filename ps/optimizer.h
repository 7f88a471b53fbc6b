// Server-side optimizers of the parameter server: one update of one row from its (summed)
// gradient. SGD, row-wise Adagrad (one accumulator per row, as in DLRM/FBGEMM) and Adam with a
// per-row step count (a row's bias correction counts the updates that row received, so rows that
// are rarely touched are not under-corrected).
//
//   OptimizerSpec opt;  opt.kind = OptimizerKind::kAdam;  opt.lr = 0.01f;
//   std::vector<float> state(StateFloatsPerRow(opt, dim));  int64_t step = 0;
//   ApplyRowUpdate(opt, dim, row, state.data(), &step, grad);
//
// Update rules (g = the gradient of the row, t = the row's step after incrementing):
//   sgd      w -= lr * (g + wd * w)
//   adagrad  acc += mean_j(g_j^2);  w_j -= lr * g_j / (sqrt(acc) + eps)        (g includes wd * w)
//   adam     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//            w -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)              (g includes wd * w)
// Thread-safety: pure functions; the caller serializes updates of one row.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace halo::ps {

enum class OptimizerKind { kSgd, kAdagrad, kAdam };

// "sgd", "adagrad", "adam".
const char* OptimizerName(OptimizerKind kind);
core::Result<OptimizerKind> ParseOptimizerKind(const std::string& name);

struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::kSgd;
  float lr = 0.01f;
  float weight_decay = 0.0f;
  float eps = 1e-8f;                   // adagrad, adam
  float initial_accumulator = 0.0f;    // adagrad
  float beta1 = 0.9f, beta2 = 0.999f;  // adam

  bool operator==(const OptimizerSpec& o) const;
  bool operator!=(const OptimizerSpec& o) const { return !(*this == o); }
};

// InvalidArgument naming the field when a hyperparameter is out of range (lr < 0, eps <= 0, betas
// outside [0, 1), ...).
core::Status ValidateOptimizer(const OptimizerSpec& spec);

// Floats of optimizer state per row: 0 (sgd), 1 (adagrad), 2 * dim (adam: m then v).
int64_t StateFloatsPerRow(const OptimizerSpec& spec, int64_t dim);
// The initial state of a row (adagrad: initial_accumulator; adam: zeros).
void InitRowState(const OptimizerSpec& spec, int64_t dim, float* state);

// One update of `row` (dim floats) with `grad`; `state` holds StateFloatsPerRow floats and `step`
// the number of updates the row has had (incremented here).
void ApplyRowUpdate(const OptimizerSpec& spec, int64_t dim, float* row, float* state, int64_t* step,
                    const float* grad);

}  // namespace halo::ps
