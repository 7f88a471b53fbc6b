// CUDA SDDMM (kernels/sddmm.h).
//
// kDot is the per-edge dot product of SpMMBackwardW (sum) and its gradients are SpMM-shaped:
// to dst, an aggregation with the edge gradients as weights (a group per row, deterministic);
// to src, the transposed aggregation (atomicAdd, last bits vary from run to run). kAdd works per
// (edge, head) element, finding the edge's row by binary search in indptr.

#include "core/check.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace halo::kernels::cuda {

namespace {

// out[e, h] = dst[v, h] + src[u, h] for e = (u -> v).
__global__ void SddmmAddKernel(const int64_t* __restrict__ indptr,
                               const int64_t* __restrict__ indices, int64_t num_rows,
                               int64_t num_edges, const float* __restrict__ dst,
                               const float* __restrict__ src, int64_t heads,
                               float* __restrict__ out) {
  const int64_t n = num_edges * heads;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const int64_t e = i / heads;
    const int64_t h = i - e * heads;
    const int64_t v = FindRow(indptr, num_rows, e);
    out[i] = dst[v * heads + h] + src[indices[e] * heads + h];
  }
}

// grad_dst[v, h] = SUM_{e into v} grad_out[e, h], one thread per (v, h).
__global__ void SddmmAddBackwardDstKernel(const int64_t* __restrict__ indptr, int64_t num_rows,
                                          const float* __restrict__ grad_out, int64_t heads,
                                          float* __restrict__ grad_dst) {
  const int64_t n = num_rows * heads;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const int64_t v = i / heads;
    const int64_t h = i - v * heads;
    float acc = 0.0f;
    for (int64_t e = indptr[v]; e < indptr[v + 1]; ++e) acc += grad_out[e * heads + h];
    grad_dst[i] = acc;
  }
}

// grad_src[u, h] += grad_out[e, h] for e = (u -> v); grad_src zeroed before.
__global__ void SddmmAddBackwardSrcKernel(const int64_t* __restrict__ indices, int64_t num_edges,
                                          const float* __restrict__ grad_out, int64_t heads,
                                          float* __restrict__ grad_src) {
  const int64_t n = num_edges * heads;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const int64_t e = i / heads;
    const int64_t h = i - e * heads;
    atomicAdd(grad_src + indices[e] * heads + h, grad_out[i]);
  }
}

}  // namespace

void SDDMM(const CsrView& g, SddmmOp op, const Tensor& dst, const Tensor& src, int64_t heads,
           Tensor* out) {
  CheckOnGpu(dst, "SDDMM: dst");
  CheckOnGpu(src, "SDDMM: src");
  HALO_CHECK(heads >= 1 && dst.cols() == src.cols() && dst.cols() % heads == 0)
      << "SDDMM: dst has " << dst.cols() << " columns, src " << src.cols() << ", heads " << heads;
  if (op == SddmmOp::kDot) {
    // out[e, h] = SUM_f dst[v, h*F + f] * src[u, h*F + f]: SpMMBackwardW's dot for a sum.
    cuda::SpMMBackwardW(g, dst, src, Reduce::kSum, nullptr, heads, out);
    return;
  }
  HALO_CHECK(dst.cols() == heads) << "SDDMM: kAdd needs [N x " << heads << "] operands";
  EnsureTensor(out, g.num_edges, heads);
  const int64_t n = g.num_edges * heads;
  if (n == 0) return;
  SddmmAddKernel<<<GridFor(n, kBlock), kBlock>>>(g.indptr, g.indices, g.num_rows, g.num_edges,
                                                 dst.data(), src.data(), heads, out->data());
  HALO_CUDA_LAUNCH_CHECK();
}

void SDDMMBackward(const CsrView& g, SddmmOp op, const Tensor& dst, const Tensor& src,
                   int64_t heads, const Tensor& grad_out, Tensor* grad_dst, Tensor* grad_src) {
  CheckOnGpu(dst, "SDDMMBackward: dst");
  CheckOnGpu(src, "SDDMMBackward: src");
  CheckOnGpu(grad_out, "SDDMMBackward: grad_out");
  HALO_CHECK(heads >= 1 && dst.cols() == src.cols() && dst.cols() % heads == 0)
      << "SDDMMBackward: dst has " << dst.cols() << " columns, src " << src.cols() << ", heads "
      << heads;
  HALO_CHECK(grad_out.rows() == g.num_edges && grad_out.cols() == heads)
      << "SDDMMBackward: grad_out must be [" << g.num_edges << " x " << heads << "]";
  if (op == SddmmOp::kDot) {
    // grad_dst[v, c] = SUM_{e into v} grad_out[e, h] * src[u, c]: SpMM with edge weights.
    if (grad_dst != nullptr) cuda::SpMM(g, src, &grad_out, Reduce::kSum, grad_dst, nullptr);
    // grad_src[u, c] = SUM_{e from u} grad_out[e, h] * dst[v, c]: the transposed aggregation.
    if (grad_src != nullptr) {
      cuda::SpMMBackwardX(g, dst, &grad_out, Reduce::kSum, nullptr, grad_src);
    }
    return;
  }
  HALO_CHECK(dst.cols() == heads) << "SDDMMBackward: kAdd needs [N x " << heads << "] operands";
  if (grad_dst != nullptr) {
    EnsureTensor(grad_dst, g.num_rows, heads);
    const int64_t n = g.num_rows * heads;
    if (n > 0) {
      SddmmAddBackwardDstKernel<<<GridFor(n, kBlock), kBlock>>>(
          g.indptr, g.num_rows, grad_out.data(), heads, grad_dst->data());
      HALO_CUDA_LAUNCH_CHECK();
    }
  }
  if (grad_src != nullptr) {
    EnsureTensor(grad_src, g.num_cols, heads);
    grad_src->SetZero();
    const int64_t n = g.num_edges * heads;
    if (n > 0) {
      SddmmAddBackwardSrcKernel<<<GridFor(n, kBlock), kBlock>>>(
          g.indices, g.num_edges, grad_out.data(), heads, grad_src->data());
      HALO_CUDA_LAUNCH_CHECK();
    }
  }
}

}  // namespace halo::kernels::cuda
