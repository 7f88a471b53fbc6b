// CPU SDDMM: edges are walked per destination row (each thread owns a block of rows and thus
// their edges); the gradient to sources walks the transposed graph so each thread owns its
// source rows.
#include <cstring>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/dot.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/transpose.h"

namespace halo::kernels::cpu {

namespace {
constexpr int kRowChunk = 64;
}  // namespace

void SDDMM(const CsrView& g, SddmmOp op, const Tensor& dst, const Tensor& src, int64_t heads,
           Tensor* out) {
  const int64_t cols = dst.cols();
  const int64_t feats = cols / heads;
  const int64_t* __restrict indptr = g.indptr;
  const int64_t* __restrict indices = g.indices;
  const float* __restrict dd = dst.data();
  const float* __restrict sd = src.data();
  float* __restrict od = out->data();

#pragma omp parallel for schedule(dynamic, kRowChunk) if (WorthParallel(g.num_edges * cols))
  for (int64_t v = 0; v < g.num_rows; ++v) {
    const float* __restrict dv = dd + v * cols;
    for (int64_t e = indptr[v]; e < indptr[v + 1]; ++e) {
      const float* __restrict su = sd + indices[e] * cols;
      float* __restrict oe = od + e * heads;
      if (op == SddmmOp::kAdd) {
        for (int64_t h = 0; h < heads; ++h) oe[h] = dv[h] + su[h];
        continue;
      }
      for (int64_t h = 0; h < heads; ++h) oe[h] = Dot(dv + h * feats, su + h * feats, feats);
    }
  }
}

void SDDMMBackward(const CsrView& g, SddmmOp op, const Tensor& dst, const Tensor& src,
                   int64_t heads, const Tensor& grad_out, Tensor* grad_dst, Tensor* grad_src) {
  const int64_t cols = dst.cols();
  const int64_t feats = cols / heads;
  const int64_t* __restrict indptr = g.indptr;
  const int64_t* __restrict indices = g.indices;
  const float* __restrict dd = dst.data();
  const float* __restrict sd = src.data();
  const float* __restrict go = grad_out.data();
  const bool dot = op == SddmmOp::kDot;

  // d out[e, h] / d dst[v, h*F + f] = src[u, h*F + f] (kDot) or 1 (kAdd).
  if (grad_dst != nullptr && cols > 0) {
    float* __restrict gd = grad_dst->data();
#pragma omp parallel for schedule(dynamic, kRowChunk) if (WorthParallel(g.num_edges * cols))
    for (int64_t v = 0; v < g.num_rows; ++v) {
      float* __restrict gv = gd + v * cols;
      std::memset(gv, 0, sizeof(float) * cols);
      for (int64_t e = indptr[v]; e < indptr[v + 1]; ++e) {
        const float* __restrict ge = go + e * heads;
        if (!dot) {
          for (int64_t h = 0; h < heads; ++h) gv[h] += ge[h];
          continue;
        }
        const float* __restrict su = sd + indices[e] * cols;
        for (int64_t h = 0; h < heads; ++h) {
          const float s = ge[h];
          for (int64_t f = 0; f < feats; ++f) gv[h * feats + f] += s * su[h * feats + f];
        }
      }
    }
  }

  if (grad_src != nullptr && cols > 0 && g.num_cols > 0) {
    float* __restrict gs = grad_src->data();
    if (g.num_edges == 0) {
      grad_src->SetZero();
      return;
    }
    const Transposed t = Transpose(g);
    const int64_t* __restrict tptr = t.indptr.data();
    const int64_t* __restrict tdst = t.dst.get();
    const int64_t* __restrict tedge = t.edge.get();
#pragma omp parallel for schedule(dynamic, kRowChunk) if (WorthParallel(g.num_edges * cols))
    for (int64_t u = 0; u < g.num_cols; ++u) {
      float* __restrict gu = gs + u * cols;
      std::memset(gu, 0, sizeof(float) * cols);
      for (int64_t k = tptr[u]; k < tptr[u + 1]; ++k) {
        const float* __restrict ge = go + tedge[k] * heads;
        if (!dot) {
          for (int64_t h = 0; h < heads; ++h) gu[h] += ge[h];
          continue;
        }
        const float* __restrict dv = dd + tdst[k] * cols;
        for (int64_t h = 0; h < heads; ++h) {
          const float s = ge[h];
          for (int64_t f = 0; f < feats; ++f) gu[h * feats + f] += s * dv[h * feats + f];
        }
      }
    }
  }
}

}  // namespace halo::kernels::cpu
