// CPU edge softmax: one destination row (its in-edges, all heads) per iteration.
#include <cmath>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/parallel.h"

namespace halo::kernels::cpu {

namespace {
constexpr int kRowChunk = 64;
}  // namespace

void EdgeSoftmax(const CsrView& g, const Tensor& scores, Tensor* out) {
  const int64_t heads = scores.cols();
  const int64_t* __restrict indptr = g.indptr;
  const float* __restrict s = scores.data();
  float* __restrict o = out->data();

#pragma omp parallel for schedule(dynamic, kRowChunk) if (WorthParallel(g.num_edges * heads))
  for (int64_t v = 0; v < g.num_rows; ++v) {
    const int64_t begin = indptr[v];
    const int64_t end = indptr[v + 1];
    if (begin == end) continue;
    for (int64_t h = 0; h < heads; ++h) {
      // Subtracting the row max keeps exp() <= 1: no overflow for large scores.
      float m = s[begin * heads + h];
      for (int64_t e = begin + 1; e < end; ++e) m = std::fmax(m, s[e * heads + h]);
      float sum = 0.0f;
      for (int64_t e = begin; e < end; ++e) {
        const float ex = std::exp(s[e * heads + h] - m);
        o[e * heads + h] = ex;
        sum += ex;
      }
      const float inv = 1.0f / sum;
      for (int64_t e = begin; e < end; ++e) o[e * heads + h] *= inv;
    }
  }
}

void EdgeSoftmaxBackward(const CsrView& g, const Tensor& probs, const Tensor& grad_probs,
                         Tensor* grad_scores) {
  const int64_t heads = probs.cols();
  const int64_t* __restrict indptr = g.indptr;
  const float* __restrict p = probs.data();
  const float* __restrict gp = grad_probs.data();
  float* __restrict gs = grad_scores->data();

#pragma omp parallel for schedule(dynamic, kRowChunk) if (WorthParallel(g.num_edges * heads))
  for (int64_t v = 0; v < g.num_rows; ++v) {
    const int64_t begin = indptr[v];
    const int64_t end = indptr[v + 1];
    for (int64_t h = 0; h < heads; ++h) {
      float dot = 0.0f;
      for (int64_t e = begin; e < end; ++e) dot += p[e * heads + h] * gp[e * heads + h];
      for (int64_t e = begin; e < end; ++e) {
        gs[e * heads + h] = p[e * heads + h] * (gp[e * heads + h] - dot);
      }
    }
  }
}

}  // namespace halo::kernels::cpu
