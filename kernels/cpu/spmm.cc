// CPU SpMM: one OpenMP task per destination row, so each thread owns its output rows; the inner
// loops run over contiguous feature rows and vectorize. The backward to x walks the transposed
// graph (built per call) for the same reason: no atomics, results independent of thread count.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/dot.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/transpose.h"

namespace halo::kernels::cpu {

namespace {

// Row chunks are small because degrees are skewed; dynamic scheduling evens the load.
constexpr int kRowChunk = 64;
// Feature rows are gathered at random, so the hardware prefetcher cannot see them coming. Each
// edge prefetches ahead in the edge stream (across row boundaries, since average degrees are
// small) at two distances: far into L2, which has more outstanding misses than L1 and hides DRAM
// and page-walk latency, and near into L1. ~4 KiB of rows near and ~16 KiB far measured best.
constexpr int64_t kNearPrefetchBytes = 4096;
constexpr int kFarFactor = 4;

inline int64_t PrefetchDistance(int64_t cols) {
  const int64_t row_bytes = std::max<int64_t>(1, cols) * static_cast<int64_t>(sizeof(float));
  return std::clamp<int64_t>(kNearPrefetchBytes / row_bytes, 2, 32);
}

// Prefetches the feature row of stream position min(k, limit - 1); `ids[k]` names the row.
// Locality 3 is prefetcht0 (to L1), 1 is prefetcht2 (to L2 on current x86 cores).
// always_inline is load-bearing: GCC finds these helpers "pure" (a prefetch has no side effect)
// and, if it has not inlined them yet, deletes the calls as dead code.
template <int kLocality>
[[gnu::always_inline]] inline void PrefetchRowAt(const float* x, const int64_t* ids, int64_t k,
                                                 int64_t limit, int64_t cols) {
  const float* row = x + ids[std::min(k, limit - 1)] * cols;
  for (int64_t c = 0; c < cols; c += 16) __builtin_prefetch(row + c, 0, kLocality);
}

// Called at stream position k < limit with `ahead` = PrefetchDistance(cols).
[[gnu::always_inline]] inline void PrefetchRow(const float* x, const int64_t* ids, int64_t k,
                                               int64_t ahead, int64_t limit, int64_t cols) {
  PrefetchRowAt<1>(x, ids, k + kFarFactor * ahead, limit, cols);
  PrefetchRowAt<3>(x, ids, k + ahead, limit, cols);
}

// The common case (GraphSAGE / GCN aggregation) gets its own loop with no per-edge branch on
// weights or reduce.
void SumRows(const int64_t* __restrict indptr, const int64_t* __restrict indices,
             const float* __restrict x, int64_t num_rows, int64_t cols, bool mean,
             float* __restrict out) {
  const int64_t num_edges = indptr[num_rows];
  const int64_t ahead = PrefetchDistance(cols);
#pragma omp parallel for schedule(dynamic, kRowChunk) if (WorthParallel(num_edges * cols))
  for (int64_t v = 0; v < num_rows; ++v) {
    const int64_t begin = indptr[v];
    const int64_t end = indptr[v + 1];
    float* __restrict o = out + v * cols;
    if (begin == end) {
      std::memset(o, 0, sizeof(float) * cols);
      continue;
    }
    // Start from the first row instead of zeros: saves one pass over o per row.
    PrefetchRow(x, indices, begin, ahead, num_edges, cols);
    std::memcpy(o, x + indices[begin] * cols, sizeof(float) * cols);
    for (int64_t e = begin + 1; e < end; ++e) {
      PrefetchRow(x, indices, e, ahead, num_edges, cols);
      const float* __restrict xr = x + indices[e] * cols;
      for (int64_t c = 0; c < cols; ++c) o[c] += xr[c];
    }
    if (mean) {
      const float inv = 1.0f / static_cast<float>(end - begin);
      for (int64_t c = 0; c < cols; ++c) o[c] *= inv;
    }
  }
}

void WeightedSumRows(const int64_t* __restrict indptr, const int64_t* __restrict indices,
                     const float* __restrict x, const float* __restrict w, int64_t num_rows,
                     int64_t heads, int64_t feats, bool mean, float* __restrict out) {
  const int64_t cols = heads * feats;
  const int64_t num_edges = indptr[num_rows];
  const int64_t ahead = PrefetchDistance(cols);
#pragma omp parallel for schedule(dynamic, kRowChunk) if (WorthParallel(num_edges * cols))
  for (int64_t v = 0; v < num_rows; ++v) {
    const int64_t begin = indptr[v];
    const int64_t end = indptr[v + 1];
    float* __restrict o = out + v * cols;
    std::memset(o, 0, sizeof(float) * cols);
    for (int64_t e = begin; e < end; ++e) {
      PrefetchRow(x, indices, e, ahead, num_edges, cols);
      const float* __restrict xr = x + indices[e] * cols;
      const float* __restrict we = w + e * heads;
      for (int64_t h = 0; h < heads; ++h) {
        const float wh = we[h];
        float* __restrict oh = o + h * feats;
        const float* __restrict xh = xr + h * feats;
        for (int64_t f = 0; f < feats; ++f) oh[f] += wh * xh[f];
      }
    }
    if (mean && end > begin) {
      const float inv = 1.0f / static_cast<float>(end - begin);
      for (int64_t c = 0; c < cols; ++c) o[c] *= inv;
    }
  }
}

// Elementwise max; ties keep the earliest edge.
void MaxRows(const int64_t* __restrict indptr, const int64_t* __restrict indices,
             const float* __restrict x, const float* __restrict w, int64_t num_rows, int64_t heads,
             int64_t feats, float* __restrict out, int64_t* __restrict argmax) {
  const int64_t cols = heads * feats;
  const int64_t num_edges = indptr[num_rows];
  const int64_t ahead = PrefetchDistance(cols);
#pragma omp parallel for schedule(dynamic, kRowChunk) if (WorthParallel(num_edges * cols))
  for (int64_t v = 0; v < num_rows; ++v) {
    const int64_t begin = indptr[v];
    const int64_t end = indptr[v + 1];
    float* __restrict o = out + v * cols;
    int64_t* __restrict a = argmax + v * cols;
    if (begin == end) {
      std::memset(o, 0, sizeof(float) * cols);
      std::fill(a, a + cols, int64_t{-1});
      continue;
    }
    for (int64_t e = begin; e < end; ++e) {
      PrefetchRow(x, indices, e, ahead, num_edges, cols);
      const float* __restrict xr = x + indices[e] * cols;
      for (int64_t h = 0; h < heads; ++h) {
        const float wh = w == nullptr ? 1.0f : w[e * heads + h];
        for (int64_t f = 0; f < feats; ++f) {
          const int64_t c = h * feats + f;
          const float val = wh * xr[c];
          if (e == begin || val > o[c]) {
            o[c] = val;
            a[c] = e;
          }
        }
      }
    }
  }
}

}  // namespace

void SpMM(const CsrView& g, const Tensor& x, const Tensor* w, Reduce reduce, Tensor* out,
          core::Array<int64_t>* argmax) {
  const int64_t cols = x.cols();
  const int64_t heads = w == nullptr ? 1 : w->cols();
  const int64_t feats = cols / heads;
  const float* wd = w == nullptr ? nullptr : w->data();
  if (g.num_rows == 0 || cols == 0) return;
  switch (reduce) {
    case Reduce::kSum:
    case Reduce::kMean:
      if (w == nullptr) {
        SumRows(g.indptr, g.indices, x.data(), g.num_rows, cols, reduce == Reduce::kMean,
                out->data());
      } else {
        WeightedSumRows(g.indptr, g.indices, x.data(), wd, g.num_rows, heads, feats,
                        reduce == Reduce::kMean, out->data());
      }
      break;
    case Reduce::kMax:
      MaxRows(g.indptr, g.indices, x.data(), wd, g.num_rows, heads, feats, out->data(),
              argmax->data());
      break;
  }
}

void SpMMBackwardX(const CsrView& g, const Tensor& grad_out, const Tensor* w, Reduce reduce,
                   const core::Array<int64_t>* argmax, Tensor* grad_x) {
  const int64_t cols = grad_out.cols();
  const int64_t heads = w == nullptr ? 1 : w->cols();
  const int64_t feats = cols / heads;
  const int64_t num_src = g.num_cols;
  if (num_src == 0 || cols == 0) return;
  if (g.num_edges == 0) {
    grad_x->SetZero();
    return;
  }
  const Transposed t = Transpose(g);
  const int64_t* __restrict tptr = t.indptr.data();
  const int64_t* __restrict tdst = t.dst.get();
  const int64_t* __restrict tedge = t.edge.get();
  const int64_t* __restrict indptr = g.indptr;
  const float* __restrict go = grad_out.data();
  const float* __restrict wd = w == nullptr ? nullptr : w->data();
  const int64_t* __restrict am = argmax == nullptr ? nullptr : argmax->data();
  float* __restrict gx = grad_x->data();
  const bool mean = reduce == Reduce::kMean;
  const int64_t ahead = PrefetchDistance(cols);
  // 1/deg(v) looked up per entry: a float table is half the size of indptr and costs no division.
  std::vector<float> inv_deg(mean ? g.num_rows : 0);
  if (mean) {
#pragma omp parallel for schedule(static) if (WorthParallel(g.num_rows))
    for (int64_t v = 0; v < g.num_rows; ++v) {
      const int64_t deg = indptr[v + 1] - indptr[v];
      inv_deg[v] = deg == 0 ? 0.0f : 1.0f / static_cast<float>(deg);
    }
  }
  const float* __restrict inv = inv_deg.data();

#pragma omp parallel for schedule(dynamic, kRowChunk) if (WorthParallel(g.num_edges * cols))
  for (int64_t u = 0; u < num_src; ++u) {
    float* __restrict gu = gx + u * cols;
    std::memset(gu, 0, sizeof(float) * cols);
    for (int64_t k = tptr[u]; k < tptr[u + 1]; ++k) {
      PrefetchRow(go, tdst, k, ahead, g.num_edges, cols);
      const int64_t v = tdst[k];
      const int64_t e = tedge[k];
      const float* __restrict gv = go + v * cols;
      if (reduce == Reduce::kMax) {
        const int64_t* __restrict av = am + v * cols;
        for (int64_t c = 0; c < cols; ++c) {
          if (av[c] == e) gu[c] += (wd == nullptr ? 1.0f : wd[e * heads + c / feats]) * gv[c];
        }
        continue;
      }
      if (mean) __builtin_prefetch(inv + tdst[std::min(k + ahead, g.num_edges - 1)]);
      const float scale = mean ? inv[v] : 1.0f;
      if (wd == nullptr) {
        if (mean) {
          for (int64_t c = 0; c < cols; ++c) gu[c] += scale * gv[c];
        } else {
          for (int64_t c = 0; c < cols; ++c) gu[c] += gv[c];
        }
        continue;
      }
      for (int64_t h = 0; h < heads; ++h) {
        const float s = scale * wd[e * heads + h];
        float* __restrict guh = gu + h * feats;
        const float* __restrict gvh = gv + h * feats;
        for (int64_t f = 0; f < feats; ++f) guh[f] += s * gvh[f];
      }
    }
  }
}

void SpMMBackwardW(const CsrView& g, const Tensor& grad_out, const Tensor& x, Reduce reduce,
                   const core::Array<int64_t>* argmax, int64_t heads, Tensor* grad_w) {
  const int64_t cols = x.cols();
  const int64_t feats = cols / heads;
  const int64_t* __restrict indptr = g.indptr;
  const int64_t* __restrict indices = g.indices;
  const float* __restrict go = grad_out.data();
  const float* __restrict xd = x.data();
  const int64_t* __restrict am = argmax == nullptr ? nullptr : argmax->data();
  float* __restrict gw = grad_w->data();
  const bool mean = reduce == Reduce::kMean;
  const bool max = reduce == Reduce::kMax;
  const int64_t ahead = PrefetchDistance(cols);

  // Each edge belongs to exactly one destination row, so rows partition grad_w.
#pragma omp parallel for schedule(dynamic, kRowChunk) if (WorthParallel(g.num_edges * cols))
  for (int64_t v = 0; v < g.num_rows; ++v) {
    const int64_t begin = indptr[v];
    const int64_t end = indptr[v + 1];
    if (begin == end) continue;
    const float scale = mean ? 1.0f / static_cast<float>(end - begin) : 1.0f;
    const float* __restrict gv = go + v * cols;
    for (int64_t e = begin; e < end; ++e) {
      PrefetchRow(xd, indices, e, ahead, g.num_edges, cols);
      const float* __restrict xu = xd + indices[e] * cols;
      for (int64_t h = 0; h < heads; ++h) {
        float acc = 0.0f;
        if (max) {
          const int64_t* __restrict av = am + v * cols + h * feats;
          for (int64_t f = 0; f < feats; ++f) {
            if (av[f] == e) acc += gv[h * feats + f] * xu[h * feats + f];
          }
        } else {
          acc = Dot(gv + h * feats, xu + h * feats, feats);
        }
        gw[e * heads + h] = scale * acc;
      }
    }
  }
}

}  // namespace halo::kernels::cpu
