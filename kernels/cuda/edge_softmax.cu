// CUDA edge softmax (kernels/edge_softmax.h): a group of lanes per destination row, lanes over
// the row's in-edges; per head the group reduces the max, then the sum of exponentials, then
// normalizes. The group width follows the average degree. Each lane writes only the entries it
// read itself, after the group's reductions, so `out` may alias the input.

#include "core/check.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace halo::kernels::cuda {

namespace {

// The row loop is uniform per block (it depends on blockIdx only), so every lane of a warp
// reaches every GroupMax/GroupSum.
__global__ void EdgeSoftmaxKernel(const int64_t* __restrict__ indptr, int64_t num_rows,
                                  const float* scores, int64_t heads, float* out) {
  const int width = blockDim.x;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < num_rows;
       base += stride) {
    const int64_t v = base + threadIdx.y;
    int64_t begin = 0;
    int64_t end = 0;
    if (v < num_rows) {
      begin = indptr[v];
      end = indptr[v + 1];
    }
    for (int64_t h = 0; h < heads; ++h) {
      float m = -INFINITY;
      for (int64_t e = begin + threadIdx.x; e < end; e += width)
        m = fmaxf(m, scores[e * heads + h]);
      m = GroupMax(m, width);
      float sum = 0.0f;
      for (int64_t e = begin + threadIdx.x; e < end; e += width) {
        sum += expf(scores[e * heads + h] - m);
      }
      sum = GroupSum(sum, width);
      const float inv = 1.0f / sum;
      for (int64_t e = begin + threadIdx.x; e < end; e += width) {
        out[e * heads + h] = expf(scores[e * heads + h] - m) * inv;
      }
    }
  }
}

// grad_scores[e, h] = p[e, h] * (grad_p[e, h] - SUM_{e' into v} p[e', h] * grad_p[e', h]).
__global__ void EdgeSoftmaxBackwardKernel(const int64_t* __restrict__ indptr, int64_t num_rows,
                                          const float* probs, const float* grad_probs,
                                          int64_t heads, float* grad_scores) {
  const int width = blockDim.x;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < num_rows;
       base += stride) {
    const int64_t v = base + threadIdx.y;
    int64_t begin = 0;
    int64_t end = 0;
    if (v < num_rows) {
      begin = indptr[v];
      end = indptr[v + 1];
    }
    for (int64_t h = 0; h < heads; ++h) {
      float dot = 0.0f;
      for (int64_t e = begin + threadIdx.x; e < end; e += width) {
        dot += probs[e * heads + h] * grad_probs[e * heads + h];
      }
      dot = GroupSum(dot, width);
      for (int64_t e = begin + threadIdx.x; e < end; e += width) {
        const int64_t i = e * heads + h;
        grad_scores[i] = probs[i] * (grad_probs[i] - dot);
      }
    }
  }
}

// Lanes per row: enough for the average degree, at most a warp.
int RowGroupWidth(const CsrView& g) {
  return GroupWidth(g.num_rows == 0 ? 1 : (g.num_edges + g.num_rows - 1) / g.num_rows);
}

}  // namespace

void EdgeSoftmax(const CsrView& g, const Tensor& scores, Tensor* out) {
  CheckOnGpu(scores, "EdgeSoftmax: scores");
  HALO_CHECK(scores.rows() == g.num_edges) << "EdgeSoftmax: scores has " << scores.rows()
                                           << " rows, graph has " << g.num_edges << " edges";
  const int64_t heads = scores.cols();
  EnsureTensor(out, g.num_edges, heads);
  if (g.num_rows == 0 || g.num_edges == 0 || heads == 0) return;
  const dim3 block = GroupBlock(RowGroupWidth(g));
  EdgeSoftmaxKernel<<<GridFor(g.num_rows, block.y), block>>>(g.indptr, g.num_rows, scores.data(),
                                                             heads, out->data());
  HALO_CUDA_LAUNCH_CHECK();
}

void EdgeSoftmaxBackward(const CsrView& g, const Tensor& probs, const Tensor& grad_probs,
                         Tensor* grad_scores) {
  CheckOnGpu(probs, "EdgeSoftmaxBackward: probs");
  CheckOnGpu(grad_probs, "EdgeSoftmaxBackward: grad_probs");
  HALO_CHECK(probs.rows() == g.num_edges && grad_probs.SameShape(probs))
      << "EdgeSoftmaxBackward: probs and grad_probs must be [" << g.num_edges << " x H]";
  const int64_t heads = probs.cols();
  EnsureTensor(grad_scores, g.num_edges, heads);
  if (g.num_rows == 0 || g.num_edges == 0 || heads == 0) return;
  const dim3 block = GroupBlock(RowGroupWidth(g));
  EdgeSoftmaxBackwardKernel<<<GridFor(g.num_rows, block.y), block>>>(
      g.indptr, g.num_rows, probs.data(), grad_probs.data(), heads, grad_scores->data());
  HALO_CUDA_LAUNCH_CHECK();
}

}  // namespace halo::kernels::cuda
