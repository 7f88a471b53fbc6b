#include "ps/optimizer.h"

#include <cmath>

namespace halo::ps {

const char* OptimizerName(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd:
      return "sgd";
    case OptimizerKind::kAdagrad:
      return "adagrad";
    case OptimizerKind::kAdam:
      return "adam";
  }
  return "unknown";
}

core::Result<OptimizerKind> ParseOptimizerKind(const std::string& name) {
  if (name == "sgd") return OptimizerKind::kSgd;
  if (name == "adagrad") return OptimizerKind::kAdagrad;
  if (name == "adam") return OptimizerKind::kAdam;
  return core::Status::InvalidArgument("unknown optimizer \"" + name +
                                       "\" (expected sgd, adagrad or adam)");
}

bool OptimizerSpec::operator==(const OptimizerSpec& o) const {
  return kind == o.kind && lr == o.lr && weight_decay == o.weight_decay && eps == o.eps &&
         initial_accumulator == o.initial_accumulator && beta1 == o.beta1 && beta2 == o.beta2;
}

core::Status ValidateOptimizer(const OptimizerSpec& spec) {
  auto bad = [](const std::string& what) {
    return core::Status::InvalidArgument("optimizer: " + what);
  };
  if (!(spec.lr >= 0) || !std::isfinite(spec.lr)) return bad("lr must be finite and >= 0");
  if (!(spec.weight_decay >= 0) || !std::isfinite(spec.weight_decay)) {
    return bad("weight_decay must be finite and >= 0");
  }
  if (spec.kind != OptimizerKind::kSgd && !(spec.eps > 0)) return bad("eps must be > 0");
  if (spec.kind == OptimizerKind::kAdagrad && !(spec.initial_accumulator >= 0)) {
    return bad("initial_accumulator must be >= 0");
  }
  if (spec.kind == OptimizerKind::kAdam) {
    if (!(spec.beta1 >= 0 && spec.beta1 < 1)) return bad("beta1 must be in [0, 1)");
    if (!(spec.beta2 >= 0 && spec.beta2 < 1)) return bad("beta2 must be in [0, 1)");
  }
  return core::Status::OK();
}

int64_t StateFloatsPerRow(const OptimizerSpec& spec, int64_t dim) {
  switch (spec.kind) {
    case OptimizerKind::kSgd:
      return 0;
    case OptimizerKind::kAdagrad:
      return 1;
    case OptimizerKind::kAdam:
      return 2 * dim;
  }
  return 0;
}

void InitRowState(const OptimizerSpec& spec, int64_t dim, float* state) {
  const int64_t n = StateFloatsPerRow(spec, dim);
  const float value = spec.kind == OptimizerKind::kAdagrad ? spec.initial_accumulator : 0.0f;
  for (int64_t i = 0; i < n; ++i) state[i] = value;
}

void ApplyRowUpdate(const OptimizerSpec& spec, int64_t dim, float* row, float* state, int64_t* step,
                    const float* grad) {
  ++*step;
  const float wd = spec.weight_decay;
  switch (spec.kind) {
    case OptimizerKind::kSgd:
      for (int64_t j = 0; j < dim; ++j) row[j] -= spec.lr * (grad[j] + wd * row[j]);
      return;
    case OptimizerKind::kAdagrad: {
      double sum_sq = 0;
      for (int64_t j = 0; j < dim; ++j) {
        const float g = grad[j] + wd * row[j];
        sum_sq += static_cast<double>(g) * g;
      }
      state[0] += static_cast<float>(sum_sq / static_cast<double>(dim));
      const float scale = spec.lr / (std::sqrt(state[0]) + spec.eps);
      for (int64_t j = 0; j < dim; ++j) row[j] -= scale * (grad[j] + wd * row[j]);
      return;
    }
    case OptimizerKind::kAdam: {
      float* m = state;
      float* v = state + dim;
      const double t = static_cast<double>(*step);
      const float c1 = static_cast<float>(1.0 - std::pow(static_cast<double>(spec.beta1), t));
      const float c2 = static_cast<float>(1.0 - std::pow(static_cast<double>(spec.beta2), t));
      for (int64_t j = 0; j < dim; ++j) {
        const float g = grad[j] + wd * row[j];
        m[j] = spec.beta1 * m[j] + (1.0f - spec.beta1) * g;
        v[j] = spec.beta2 * v[j] + (1.0f - spec.beta2) * g * g;
        row[j] -= spec.lr * (m[j] / c1) / (std::sqrt(v[j] / c2) + spec.eps);
      }
      return;
    }
  }
}

}  // namespace halo::ps
