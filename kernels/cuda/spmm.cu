// CUDA SpMM (kernels/spmm.h).
//
// Forward: a group of lanes per destination row, lanes over the H*F feature columns, so the x
// row of every in-edge is read with coalesced loads; each lane walks the row's edges in CSR
// order, which gives the CPU's tie rule for max (the first maximum by edge order wins).
// Backward to x: the transposed aggregation scatters into source rows with atomicAdd (after
// zeroing), so its last bits vary from run to run. Backward to w: a group of lanes per edge
// computes the per-head dot products, finding the edge's row by binary search in indptr.

#include "core/check.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace halo::kernels::cuda {

namespace {

// out[v, c] = REDUCE_e w[e, c / feat] * x[indices[e], c] over the edges e of row v.
__global__ void SpmmForwardKernel(const int64_t* __restrict__ indptr,
                                  const int64_t* __restrict__ indices, int64_t num_rows,
                                  const float* __restrict__ x, const float* __restrict__ w,
                                  int64_t heads, int64_t feat, Reduce reduce,
                                  float* __restrict__ out, int64_t* __restrict__ argmax) {
  const int64_t hf = heads * feat;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t v = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; v < num_rows;
       v += stride) {
    const int64_t begin = indptr[v];
    const int64_t end = indptr[v + 1];
    for (int64_t c = threadIdx.x; c < hf; c += blockDim.x) {
      const int64_t h = c / feat;
      const int64_t oc = v * hf + c;
      if (reduce == Reduce::kMax) {
        float best = 0.0f;  // rows without edges give 0 and argmax -1
        int64_t arg = -1;
        for (int64_t e = begin; e < end; ++e) {
          const float wv = w == nullptr ? 1.0f : w[e * heads + h];
          const float val = wv * x[indices[e] * hf + c];
          if (e == begin || val > best) {
            best = val;
            arg = e;
          }
        }
        out[oc] = best;
        argmax[oc] = arg;
      } else {
        float acc = 0.0f;
        if (w == nullptr) {
          for (int64_t e = begin; e < end; ++e) acc += x[indices[e] * hf + c];
        } else {
          for (int64_t e = begin; e < end; ++e) acc += w[e * heads + h] * x[indices[e] * hf + c];
        }
        if (reduce == Reduce::kMean && end > begin) acc *= 1.0f / static_cast<float>(end - begin);
        out[oc] = acc;
      }
    }
  }
}

// grad_x[indices[e], c] += w[e, c / feat] * grad_out[v, c] * (1/deg(v) for mean), for every
// edge e of row v (sum and mean).
__global__ void SpmmBackwardXSumKernel(const int64_t* __restrict__ indptr,
                                       const int64_t* __restrict__ indices, int64_t num_rows,
                                       const float* __restrict__ grad_out,
                                       const float* __restrict__ w, int64_t heads, int64_t feat,
                                       bool mean, float* __restrict__ grad_x) {
  const int64_t hf = heads * feat;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t v = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; v < num_rows;
       v += stride) {
    const int64_t begin = indptr[v];
    const int64_t end = indptr[v + 1];
    if (begin == end) continue;
    const float scale = mean ? 1.0f / static_cast<float>(end - begin) : 1.0f;
    for (int64_t c = threadIdx.x; c < hf; c += blockDim.x) {
      const int64_t h = c / feat;
      const float g = grad_out[v * hf + c];
      for (int64_t e = begin; e < end; ++e) {
        const float s = w == nullptr ? scale : scale * w[e * heads + h];
        atomicAdd(grad_x + indices[e] * hf + c, s * g);
      }
    }
  }
}

// Max: each output component (v, c) sends its gradient to the source of its winning edge.
__global__ void SpmmBackwardXMaxKernel(const int64_t* __restrict__ indices, int64_t num_edges,
                                       int64_t num_rows, const float* __restrict__ grad_out,
                                       const float* __restrict__ w,
                                       const int64_t* __restrict__ argmax, int64_t heads,
                                       int64_t feat, float* __restrict__ grad_x) {
  const int64_t hf = heads * feat;
  const int64_t n = num_rows * hf;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const int64_t e = argmax[i];
    if (e < 0 || e >= num_edges) continue;  // -1: a row without edges
    const int64_t c = i % hf;
    const float wv = w == nullptr ? 1.0f : w[e * heads + c / feat];
    atomicAdd(grad_x + indices[e] * hf + c, wv * grad_out[i]);
  }
}

// out[e, h] = scale(v) * SUM_f a[v, h*feat + f] * b[u, h*feat + f], for e = (u -> v), counting
// only components whose argmax is e when `argmax` is given; scale is 1/deg(v) with `mean`.
// A group of lanes per edge; the edge loop is uniform per block so all lanes reach GroupSum.
__global__ void EdgeDotKernel(const int64_t* __restrict__ indptr,
                              const int64_t* __restrict__ indices, int64_t num_rows,
                              int64_t num_edges, const float* __restrict__ a,
                              const float* __restrict__ b, int64_t heads, int64_t feat,
                              const int64_t* __restrict__ argmax, bool mean,
                              float* __restrict__ out) {
  const int64_t hf = heads * feat;
  const int width = blockDim.x;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < num_edges;
       base += stride) {
    const int64_t e = base + threadIdx.y;
    const bool active = e < num_edges;
    int64_t v = 0;
    int64_t u = 0;
    float scale = 1.0f;
    if (active) {
      v = FindRow(indptr, num_rows, e);
      u = indices[e];
      if (mean) scale = 1.0f / static_cast<float>(indptr[v + 1] - indptr[v]);
    }
    const float* av = a + v * hf;
    const float* bu = b + u * hf;
    const int64_t* mv = argmax == nullptr ? nullptr : argmax + v * hf;
    for (int64_t h = 0; h < heads; ++h) {
      float acc = 0.0f;
      if (active) {
        for (int64_t f = threadIdx.x; f < feat; f += width) {
          const int64_t c = h * feat + f;
          if (mv == nullptr || mv[c] == e) acc += av[c] * bu[c];
        }
      }
      acc = GroupSum(acc, width);
      if (active && threadIdx.x == 0) out[e * heads + h] = scale * acc;
    }
  }
}

}  // namespace

void SpMM(const CsrView& g, const Tensor& x, const Tensor* w, Reduce reduce, Tensor* out,
          core::Array<int64_t>* argmax) {
  CheckOnGpu(x, "SpMM: x");
  const int64_t heads = w == nullptr ? 1 : w->cols();
  const int64_t hf = x.cols();
  HALO_CHECK(heads >= 1 && hf % heads == 0) << "SpMM: " << hf << " columns, " << heads << " heads";
  EnsureTensor(out, g.num_rows, hf);
  if (reduce == Reduce::kMax) {
    HALO_CHECK(argmax != nullptr) << "SpMM: Reduce::kMax needs argmax";
    EnsureArray(argmax, g.num_rows * hf);
  }
  if (g.num_rows == 0 || hf == 0) return;
  const int width = GroupWidth(hf);
  const dim3 block = GroupBlock(width);
  SpmmForwardKernel<<<GridFor(g.num_rows, block.y), block>>>(
      g.indptr, g.indices, g.num_rows, x.data(), w == nullptr ? nullptr : w->data(), heads,
      hf / heads, reduce, out->data(), reduce == Reduce::kMax ? argmax->data() : nullptr);
  HALO_CUDA_LAUNCH_CHECK();
}

void SpMMBackwardX(const CsrView& g, const Tensor& grad_out, const Tensor* w, Reduce reduce,
                   const core::Array<int64_t>* argmax, Tensor* grad_x) {
  CheckOnGpu(grad_out, "SpMMBackwardX: grad_out");
  const int64_t heads = w == nullptr ? 1 : w->cols();
  const int64_t hf = grad_out.cols();
  HALO_CHECK(heads >= 1 && hf % heads == 0)
      << "SpMMBackwardX: " << hf << " columns, " << heads << " heads";
  EnsureTensor(grad_x, g.num_cols, hf);
  grad_x->SetZero();
  if (g.num_rows == 0 || g.num_edges == 0 || hf == 0) return;
  const float* wd = w == nullptr ? nullptr : w->data();
  if (reduce == Reduce::kMax) {
    HALO_CHECK(argmax != nullptr && argmax->size() == g.num_rows * hf)
        << "SpMMBackwardX: Reduce::kMax needs argmax of the forward";
    const int64_t n = g.num_rows * hf;
    SpmmBackwardXMaxKernel<<<GridFor(n, kBlock), kBlock>>>(g.indices, g.num_edges, g.num_rows,
                                                           grad_out.data(), wd, argmax->data(),
                                                           heads, hf / heads, grad_x->data());
  } else {
    const int width = GroupWidth(hf);
    const dim3 block = GroupBlock(width);
    SpmmBackwardXSumKernel<<<GridFor(g.num_rows, block.y), block>>>(
        g.indptr, g.indices, g.num_rows, grad_out.data(), wd, heads, hf / heads,
        reduce == Reduce::kMean, grad_x->data());
  }
  HALO_CUDA_LAUNCH_CHECK();
}

void SpMMBackwardW(const CsrView& g, const Tensor& grad_out, const Tensor& x, Reduce reduce,
                   const core::Array<int64_t>* argmax, int64_t heads, Tensor* grad_w) {
  CheckOnGpu(grad_out, "SpMMBackwardW: grad_out");
  CheckOnGpu(x, "SpMMBackwardW: x");
  const int64_t hf = x.cols();
  HALO_CHECK(heads >= 1 && hf % heads == 0 && grad_out.cols() == hf)
      << "SpMMBackwardW: " << hf << " columns, " << heads << " heads";
  EnsureTensor(grad_w, g.num_edges, heads);
  if (g.num_edges == 0) return;
  if (hf == 0) {
    grad_w->SetZero();
    return;
  }
  const int64_t* am = nullptr;
  if (reduce == Reduce::kMax) {
    HALO_CHECK(argmax != nullptr && argmax->size() == g.num_rows * hf)
        << "SpMMBackwardW: Reduce::kMax needs argmax of the forward";
    am = argmax->data();
  }
  const int64_t feat = hf / heads;
  const int width = GroupWidth(feat);
  const dim3 block = GroupBlock(width);
  EdgeDotKernel<<<GridFor(g.num_edges, block.y), block>>>(
      g.indptr, g.indices, g.num_rows, g.num_edges, grad_out.data(), x.data(), heads, feat, am,
      reduce == Reduce::kMean, grad_w->data());
  HALO_CUDA_LAUNCH_CHECK();
}

}  // namespace halo::kernels::cuda
