// Private helpers of the CUDA kernels (kernels/cuda/*.cu only): error checks, launch geometry,
// output shaping and the small device functions several kernels share.
//
// Conventions for every kernel in this folder:
// - Work goes to the default stream; functions that return a value to the host synchronize
//   through the device-to-host copy of that value.
// - Offsets are int64 (rows * cols can exceed 2^31), every loop over items is a grid-stride
//   loop, and grids are capped (kMaxGrid), so any size launches.
// - "Group" kernels use a 2-D block of (tx, ty) threads: ty groups of tx lanes (tx a power of two
//   up to 32), one group per row or edge. Groups are aligned inside a warp, so a group reduces
//   with __shfl_xor_sync over offsets < tx. Kernels that shuffle keep their outer loop uniform
//   per block (the loop variable depends on blockIdx only), so every lane of a warp reaches
//   every shuffle.
// - Results accumulated with atomicAdd on float (scatter-add, transposed aggregations) are
//   correct up to float rounding but not bit-reproducible from run to run.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "core/check.h"
#include "core/device.h"
#include "core/tensor.h"

namespace halo::kernels::cuda {

[[noreturn]] inline void CudaFail(const char* expr, cudaError_t err, const char* file, int line) {
  std::fprintf(stderr, "halo: fatal: %s:%d: CUDA error in %s: %s (%s)\n", file, line, expr,
               cudaGetErrorString(err), cudaGetErrorName(err));
  std::abort();
}

}  // namespace halo::kernels::cuda

// Aborts with file:line and the CUDA error string when `expr` does not return cudaSuccess.
#define HALO_CUDA_CHECK(expr)                                                     \
  do {                                                                            \
    const cudaError_t halo_cuda_err_ = (expr);                                    \
    if (halo_cuda_err_ != cudaSuccess) {                                          \
      ::halo::kernels::cuda::CudaFail(#expr, halo_cuda_err_, __FILE__, __LINE__); \
    }                                                                             \
  } while (0)

// Checks the launch just made (bad configuration, no device, a sticky error of an earlier kernel).
#define HALO_CUDA_LAUNCH_CHECK() HALO_CUDA_CHECK(cudaGetLastError())

namespace halo::kernels::cuda {

// Threads per block of every kernel here.
constexpr int kBlock = 256;
// Grid cap: grid-stride loops cover the rest.
constexpr int64_t kMaxGrid = 65535;
// Grid cap of reductions whose per-block partials are summed on the host.
constexpr int64_t kMaxReduceGrid = 1024;

// Blocks for `items` work items at `per_block` items per block, at least 1, at most `cap`.
inline unsigned GridFor(int64_t items, int64_t per_block, int64_t cap = kMaxGrid) {
  const int64_t blocks = (items + per_block - 1) / per_block;
  return static_cast<unsigned>(std::max<int64_t>(1, std::min(blocks, cap)));
}

// Lanes per group for a loop of `n` items: the smallest power of two >= n, at most 32.
inline int GroupWidth(int64_t n) {
  int width = 1;
  while (width < n && width < 32) width <<= 1;
  return width;
}

// The (tx, ty) block of a group kernel with `width` lanes per group.
inline dim3 GroupBlock(int width) { return dim3(width, kBlock / width); }

// Gives `t` the shape rows x cols on the GPU, reallocating (uninitialized) only when it differs.
// A tensor that already has that shape is kept, so an output may alias an input.
inline void EnsureTensor(core::Tensor* t, int64_t rows, int64_t cols) {
  if (t->rows() != rows || t->cols() != cols || t->device() != core::Device::kCuda) {
    *t = core::Tensor(rows, cols, core::Device::kCuda);
  }
}

template <typename T>
inline void EnsureArray(core::Array<T>* a, int64_t size) {
  if (a->size() != size || a->device() != core::Device::kCuda) {
    *a = core::Array<T>(size, core::Device::kCuda);
  }
}

inline void CheckOnGpu(const core::Tensor& t, const char* what) {
  HALO_CHECK(t.device() == core::Device::kCuda) << what << " must be on the GPU";
}

// Sum and max over the `width` lanes of this thread's group (width a power of two <= 32); every
// lane gets the result. All 32 lanes of the warp must call it.
template <typename T>
__device__ __forceinline__ T GroupSum(T v, int width) {
  for (int offset = width >> 1; offset > 0; offset >>= 1) {
    v += __shfl_xor_sync(0xffffffffu, v, offset);
  }
  return v;
}

__device__ __forceinline__ float GroupMax(float v, int width) {
  for (int offset = width >> 1; offset > 0; offset >>= 1) {
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  }
  return v;
}

// The row v of CSR position e: the last v with indptr[v] <= e, for 0 <= e < indptr[num_rows].
// Empty rows (repeated indptr values) are skipped because the last such v is taken.
__device__ __forceinline__ int64_t FindRow(const int64_t* __restrict__ indptr, int64_t num_rows,
                                           int64_t e) {
  int64_t lo = 0;         // indptr[lo] <= e
  int64_t hi = num_rows;  // indptr[hi] > e
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (indptr[mid] <= e) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// Sum of `v` over all threads of the block (any 2-D shape whose size is a multiple of 32, at most
// kBlock threads); the result is valid in thread (0, 0). Every thread of the block must call it.
// The order of the additions is fixed, so the result is reproducible.
template <typename T>
__device__ __forceinline__ T BlockSum(T v) {
  __shared__ T warp_sums[kBlock / 32];
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  const unsigned tid = threadIdx.y * blockDim.x + threadIdx.x;
  const unsigned num_warps = (blockDim.x * blockDim.y) / 32;
  if ((tid & 31u) == 0) warp_sums[tid >> 5] = v;
  __syncthreads();
  T total = T(0);
  if (tid == 0) {
    for (unsigned w = 0; w < num_warps; ++w) total += warp_sums[w];
  }
  __syncthreads();  // warp_sums may be reused by the next call
  return total;
}

// Copies per-block partials to the host (synchronizing) and sums them in order.
template <typename T>
inline T SumPartials(const core::Array<T>& partials) {
  T total = T(0);
  for (const T& p : partials.ToVector()) total += p;
  return total;
}

}  // namespace halo::kernels::cuda
