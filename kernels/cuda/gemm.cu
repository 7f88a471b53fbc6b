// CUDA dense ops (kernels/gemm.h): GEMM through cuBLAS, bias and elementwise updates as plain
// grid-stride kernels, reductions with fixed-order per-block partials (reproducible).

#include <cublas_v2.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

#include "core/check.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

// Aborts with file:line and cuBLAS's status string when `expr` does not return success.
#define HALO_CUBLAS_CHECK(expr)                                                                \
  do {                                                                                         \
    const cublasStatus_t halo_cublas_status_ = (expr);                                         \
    if (halo_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                                        \
      std::fprintf(stderr, "halo: fatal: %s:%d: cuBLAS error in %s: %s\n", __FILE__, __LINE__, \
                   #expr, cublasGetStatusString(halo_cublas_status_));                         \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

namespace halo::kernels::cuda {

namespace {

// One cuBLAS handle per host thread, created on first use on the default stream and destroyed
// when the thread exits (cuBLAS handles must not be used by two threads at once).
class CublasHandle {
 public:
  CublasHandle() { HALO_CUBLAS_CHECK(cublasCreate(&handle_)); }
  ~CublasHandle() {
    // At process exit the CUDA runtime may already be gone: ignore the status.
    cublasDestroy(handle_);
  }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

cublasHandle_t ThreadCublasHandle() {
  thread_local CublasHandle handle;
  return handle.get();
}

int CheckedInt(int64_t v, const char* what) {
  HALO_CHECK(v <= INT_MAX) << "Gemm: " << what << " = " << v << " exceeds cuBLAS's int range";
  return static_cast<int>(v);
}

// x[r, c] += bias[c].
__global__ void AddBiasKernel(const float* __restrict__ bias, int64_t n, int64_t cols,
                              float* __restrict__ x) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    x[i] += bias[i % cols];
  }
}

// Column sums of the rows of chunk blockIdx.y: partial[blockIdx.y, c] (double). Block (32, 8):
// lanes over 32 columns (coalesced row reads), 8 row strides, reduced through shared memory.
constexpr int kBiasCols = 32;
constexpr int kBiasRows = kBlock / kBiasCols;

__global__ void BiasGradPartialKernel(const float* __restrict__ grad, int64_t rows, int64_t cols,
                                      double* __restrict__ partial) {
  __shared__ double sums[kBiasRows][kBiasCols];
  const int64_t c = static_cast<int64_t>(blockIdx.x) * kBiasCols + threadIdx.x;
  double acc = 0.0;
  if (c < cols) {
    const int64_t stride = static_cast<int64_t>(gridDim.y) * kBiasRows;
    for (int64_t r = static_cast<int64_t>(blockIdx.y) * kBiasRows + threadIdx.y; r < rows;
         r += stride) {
      acc += grad[r * cols + c];
    }
  }
  sums[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    double total = 0.0;
    for (int k = 0; k < kBiasRows; ++k) total += sums[k][threadIdx.x];
    partial[blockIdx.y * cols + c] = total;
  }
}

// grad_bias[c] = SUM_k partial[k, c], in chunk order.
__global__ void BiasGradFinishKernel(const double* __restrict__ partial, int64_t chunks,
                                     int64_t cols, float* __restrict__ grad_bias) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < cols;
       c += stride) {
    double total = 0.0;
    for (int64_t k = 0; k < chunks; ++k) total += partial[k * cols + c];
    grad_bias[c] = static_cast<float>(total);
  }
}

__global__ void AxpyKernel(float alpha, const float* __restrict__ x, int64_t n,
                           float* __restrict__ y) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    y[i] += alpha * x[i];
  }
}

__global__ void ScaleKernel(float alpha, int64_t n, float* __restrict__ x) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    x[i] *= alpha;
  }
}

__global__ void SquaredNormKernel(const float* __restrict__ x, int64_t n,
                                  double* __restrict__ partial) {
  double acc = 0.0;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const double v = x[i];
    acc += v * v;
  }
  acc = BlockSum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

}  // namespace

void Gemm(bool trans_a, bool trans_b, float alpha, const core::Tensor& a, const core::Tensor& b,
          float beta, core::Tensor* c) {
  CheckOnGpu(a, "Gemm: a");
  CheckOnGpu(b, "Gemm: b");
  CheckOnGpu(*c, "Gemm: c");
  const int64_t m = trans_a ? a.cols() : a.rows();
  const int64_t k = trans_a ? a.rows() : a.cols();
  const int64_t kb = trans_b ? b.cols() : b.rows();
  const int64_t n = trans_b ? b.rows() : b.cols();
  HALO_CHECK(k == kb && c->rows() == m && c->cols() == n)
      << "Gemm: op(a) is [" << m << " x " << k << "], op(b) is [" << kb << " x " << n << "], c is ["
      << c->rows() << " x " << c->cols() << "]";
  if (m == 0 || n == 0) return;
  if (k == 0) {
    // c = beta * c, with BLAS's rule that beta == 0 ignores c's old contents.
    if (beta == 0.0f) {
      c->SetZero();
    } else {
      cuda::Scale(beta, c);
    }
    return;
  }
  // Row-major data read as column-major is the transpose, so row-major C = op(A) op(B) is
  // column-major C^T = op(B)^T op(A)^T: B goes first, each with its row-major width as ld.
  const int lda = CheckedInt(std::max<int64_t>(1, a.cols()), "lda");
  const int ldb = CheckedInt(std::max<int64_t>(1, b.cols()), "ldb");
  const int ldc = CheckedInt(std::max<int64_t>(1, n), "ldc");
  HALO_CUBLAS_CHECK(cublasSgemm(ThreadCublasHandle(), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, CheckedInt(n, "n"),
                                CheckedInt(m, "m"), CheckedInt(k, "k"), &alpha, b.data(), ldb,
                                a.data(), lda, &beta, c->data(), ldc));
}

void AddBias(const core::Tensor& bias, core::Tensor* x) {
  CheckOnGpu(bias, "AddBias: bias");
  CheckOnGpu(*x, "AddBias: x");
  HALO_CHECK(bias.numel() == x->cols())
      << "AddBias: bias has " << bias.numel() << " entries, x has " << x->cols() << " columns";
  const int64_t n = x->numel();
  if (n == 0) return;
  AddBiasKernel<<<GridFor(n, kBlock), kBlock>>>(bias.data(), n, x->cols(), x->data());
  HALO_CUDA_LAUNCH_CHECK();
}

void BiasGrad(const core::Tensor& grad, core::Tensor* grad_bias) {
  CheckOnGpu(grad, "BiasGrad: grad");
  const int64_t rows = grad.rows();
  const int64_t cols = grad.cols();
  EnsureTensor(grad_bias, 1, cols);
  if (cols == 0) return;
  if (rows == 0) {
    grad_bias->SetZero();
    return;
  }
  // About 128 rows per thread, at most 64 row chunks.
  const int64_t chunks = GridFor(rows, kBiasRows * 128, 64);
  core::Array<double> partial(chunks * cols, core::Device::kCuda);
  const dim3 grid(GridFor(cols, kBiasCols), static_cast<unsigned>(chunks));
  // Column blocks beyond the grid cap would be skipped: cols must fit.
  HALO_CHECK((cols + kBiasCols - 1) / kBiasCols <= kMaxGrid)
      << "BiasGrad: " << cols << " columns is too many";
  BiasGradPartialKernel<<<grid, dim3(kBiasCols, kBiasRows)>>>(grad.data(), rows, cols,
                                                              partial.data());
  HALO_CUDA_LAUNCH_CHECK();
  BiasGradFinishKernel<<<GridFor(cols, kBlock), kBlock>>>(partial.data(), chunks, cols,
                                                          grad_bias->data());
  HALO_CUDA_LAUNCH_CHECK();
  // `partial` is freed when this returns; cudaFree waits for the kernels that use it.
}

void Axpy(float alpha, const core::Tensor& x, core::Tensor* y) {
  CheckOnGpu(x, "Axpy: x");
  CheckOnGpu(*y, "Axpy: y");
  HALO_CHECK(x.numel() == y->numel()) << "Axpy: x and y differ in size";
  const int64_t n = x.numel();
  if (n == 0) return;
  AxpyKernel<<<GridFor(n, kBlock), kBlock>>>(alpha, x.data(), n, y->data());
  HALO_CUDA_LAUNCH_CHECK();
}

void Scale(float alpha, core::Tensor* x) {
  CheckOnGpu(*x, "Scale: x");
  const int64_t n = x->numel();
  if (n == 0) return;
  ScaleKernel<<<GridFor(n, kBlock), kBlock>>>(alpha, n, x->data());
  HALO_CUDA_LAUNCH_CHECK();
}

double SquaredNorm(const core::Tensor& x) {
  CheckOnGpu(x, "SquaredNorm: x");
  const int64_t n = x.numel();
  if (n == 0) return 0.0;
  const unsigned grid = GridFor(n, kBlock, kMaxReduceGrid);
  core::Array<double> partial(grid, core::Device::kCuda);
  SquaredNormKernel<<<grid, kBlock>>>(x.data(), n, partial.data());
  HALO_CUDA_LAUNCH_CHECK();
  return SumPartials(partial);
}

}  // namespace halo::kernels::cuda
