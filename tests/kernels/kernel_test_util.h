// Shared by the kernel tests: random graphs with the awkward cases built in, random tensors, and
// comparisons against double-precision references.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/csr.h"
#include "core/tensor.h"
#include "kernels/csr_view.h"

namespace halo::kernels::testing {

// A random in-CSR with num_rows destinations over num_cols sources (num_cols >= 2) that has:
// empty rows (row 0 always, then ~25%), duplicate edges (row 1 repeats one source three times),
// one high-degree row (row 2, degree 3 * num_cols, so duplicates too), and a source with no
// out-edges (the last one). Columns within a row are left unsorted on purpose.
inline core::Csr RandomCsr(int64_t num_rows, int64_t num_cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> col(0, num_cols - 2);
  std::uniform_int_distribution<int> deg(1, 6);
  std::uniform_int_distribution<int> coin(0, 3);
  core::Csr csr;
  for (int64_t v = 0; v < num_rows; ++v) {
    int64_t d = 0;
    if (v == 0) {
      d = 0;
    } else if (v == 1) {
      const int64_t u = col(rng);
      for (int i = 0; i < 3; ++i) csr.indices.push_back(u);
      d = 1;
    } else if (v == 2) {
      d = 3 * num_cols;
    } else {
      d = coin(rng) == 0 ? 0 : deg(rng);
    }
    for (int64_t i = 0; i < d; ++i) csr.indices.push_back(col(rng));
    csr.indptr.push_back(static_cast<int64_t>(csr.indices.size()));
  }
  return csr;
}

struct Graph {
  core::Csr csr;
  DeviceCsr dev;
  int64_t num_cols = 0;
  CsrView view() const { return dev.view(); }
  int64_t rows() const { return csr.num_rows(); }
  int64_t edges() const { return csr.num_entries(); }
};

inline Graph MakeGraph(int64_t num_rows, int64_t num_cols, uint64_t seed) {
  Graph g;
  g.csr = RandomCsr(num_rows, num_cols, seed);
  g.dev = DeviceCsr::FromCsr(g.csr, num_cols, core::Device::kCpu);
  g.num_cols = num_cols;
  return g;
}

inline std::vector<float> RandomVector(int64_t n, uint64_t seed, float lo = -1.0f,
                                       float hi = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

inline core::Tensor RandomTensor(int64_t rows, int64_t cols, uint64_t seed, float lo = -1.0f,
                                 float hi = 1.0f) {
  return core::Tensor::FromVector(RandomVector(rows * cols, seed, lo, hi), rows, cols);
}

// A tensor filled with NaN: outputs that a kernel forgets to write show up as failures.
inline core::Tensor Poisoned(int64_t rows, int64_t cols) {
  return core::Tensor::FromVector(std::vector<float>(rows * cols, std::nanf("")), rows, cols);
}

// Elementwise |got - want| <= atol + rtol * |want|, reporting the first few mismatches.
inline void ExpectClose(const std::vector<float>& got, const std::vector<double>& want, double atol,
                        double rtol, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol = atol + rtol * std::fabs(want[i]);
    if (!(std::fabs(static_cast<double>(got[i]) - want[i]) <= tol)) {
      ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want " << want[i];
      if (++reported == 5) return;
    }
  }
}

// Sum of r[i] * t[i] in double: the scalar "loss" whose gradient finite differences check.
inline double Dot(const std::vector<float>& r, const core::Tensor& t) {
  const std::vector<float> v = t.ToVector();
  double acc = 0.0;
  for (size_t i = 0; i < v.size(); ++i) acc += static_cast<double>(r[i]) * v[i];
  return acc;
}

// Central differences of `loss` (a function of `param`'s current contents) at every element of
// `param`, compared with `analytic`.
template <typename Loss>
void CheckFiniteDifferences(core::Tensor* param, const std::vector<float>& analytic, Loss&& loss,
                            double eps, double atol, double rtol, const char* what) {
  ASSERT_EQ(static_cast<int64_t>(analytic.size()), param->numel()) << what;
  std::vector<double> numeric(analytic.size());
  float* p = param->data();
  for (int64_t i = 0; i < param->numel(); ++i) {
    const float saved = p[i];
    const float hi = saved + static_cast<float>(eps);
    const float lo = saved - static_cast<float>(eps);
    p[i] = hi;
    const double plus = loss();
    p[i] = lo;
    const double minus = loss();
    p[i] = saved;
    // The float step actually taken, not the nominal 2 * eps.
    numeric[i] = (plus - minus) / (static_cast<double>(hi) - static_cast<double>(lo));
  }
  ExpectClose(analytic, numeric, atol, rtol, what);
}

}  // namespace halo::kernels::testing
