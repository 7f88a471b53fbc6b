// CUDA softmax cross-entropy and accuracy (kernels/loss.h): a group of lanes per row of logits,
// lanes over the classes, reducing the max and the sum of exponentials with shuffles. The loss
// and the counts come back as fixed-order per-block partials summed on the host, so results are
// reproducible; both functions synchronize (they return host values).

#include <climits>

#include "core/check.h"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/cuda_util.cuh"

namespace halo::kernels::cuda {

namespace {

// Per block: how many rows are labeled (label >= 0) and how many labels are out of range
// (>= cols).
__global__ void CountLabelsKernel(const int64_t* __restrict__ labels, int64_t rows, int64_t cols,
                                  long long* __restrict__ labeled,
                                  long long* __restrict__ invalid) {
  long long num_labeled = 0;
  long long num_invalid = 0;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < rows;
       r += stride) {
    const int64_t label = labels[r];
    if (label >= cols) {
      ++num_invalid;
    } else if (label >= 0) {
      ++num_labeled;
    }
  }
  num_labeled = BlockSum(num_labeled);
  num_invalid = BlockSum(num_invalid);
  if (threadIdx.x == 0) {
    labeled[blockIdx.x] = num_labeled;
    invalid[blockIdx.x] = num_invalid;
  }
}

// For each labeled row r: loss_r = log(SUM_c exp(x_c - m)) - (x_label - m), and
// grad[r, c] = softmax(x)_c / count - [c == label] / count; unlabeled rows get a zero gradient.
// Per block: the sum of loss_r. Rows are uniform per block so all lanes reach the shuffles.
__global__ void CrossEntropyKernel(const float* __restrict__ logits,
                                   const int64_t* __restrict__ labels, int64_t rows, int64_t cols,
                                   float inv_count, float* __restrict__ grad,
                                   double* __restrict__ loss_partial) {
  const int width = blockDim.x;
  double loss = 0.0;  // meaningful in lane 0 of each group
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < rows; base += stride) {
    const int64_t r = base + threadIdx.y;
    const int64_t label = r < rows ? labels[r] : -1;
    const bool labeled = label >= 0;  // labels are < cols (checked before)
    const float* x = logits + r * cols;
    float* g = grad + r * cols;
    float m = -INFINITY;
    if (labeled) {
      for (int64_t c = threadIdx.x; c < cols; c += width) m = fmaxf(m, x[c]);
    }
    m = GroupMax(m, width);
    double sum = 0.0;
    if (labeled) {
      for (int64_t c = threadIdx.x; c < cols; c += width) sum += expf(x[c] - m);
    }
    sum = GroupSum(sum, width);
    if (labeled) {
      const float scale = static_cast<float>(1.0 / sum) * inv_count;
      for (int64_t c = threadIdx.x; c < cols; c += width) {
        const float p = expf(x[c] - m) * scale;
        g[c] = c == label ? p - inv_count : p;
      }
      if (threadIdx.x == 0) loss += log(sum) - static_cast<double>(x[label] - m);
    } else if (r < rows) {
      for (int64_t c = threadIdx.x; c < cols; c += width) g[c] = 0.0f;
    }
  }
  loss = BlockSum(loss);
  if (threadIdx.x == 0 && threadIdx.y == 0) loss_partial[blockIdx.x] = loss;
}

// Per block: labeled rows whose first maximum is at the label.
__global__ void CountCorrectKernel(const float* __restrict__ logits,
                                   const int64_t* __restrict__ labels, int64_t rows, int64_t cols,
                                   long long* __restrict__ correct_partial) {
  const int width = blockDim.x;
  long long correct = 0;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.y;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < rows; base += stride) {
    const int64_t r = base + threadIdx.y;
    const int64_t label = r < rows ? labels[r] : -1;
    // Each lane scans its classes in increasing order keeping strict '>' (its first maximum);
    // the group then keeps the larger value, and on equal values the smaller class.
    float best = -INFINITY;
    long long best_c = LLONG_MAX;  // LLONG_MAX: no class seen
    if (label >= 0) {
      const float* x = logits + r * cols;
      for (int64_t c = threadIdx.x; c < cols; c += width) {
        if (best_c == LLONG_MAX || x[c] > best) {
          best = x[c];
          best_c = c;
        }
      }
    }
    for (int offset = width >> 1; offset > 0; offset >>= 1) {
      const float other = __shfl_xor_sync(0xffffffffu, best, offset);
      const long long other_c = __shfl_xor_sync(0xffffffffu, best_c, offset);
      const bool take = other_c != LLONG_MAX && (best_c == LLONG_MAX || other > best ||
                                                 (other == best && other_c < best_c));
      if (take) {
        best = other;
        best_c = other_c;
      }
    }
    if (label >= 0 && threadIdx.x == 0 && best_c == label) ++correct;
  }
  correct = BlockSum(correct);
  if (threadIdx.x == 0 && threadIdx.y == 0) correct_partial[blockIdx.x] = correct;
}

}  // namespace

float SoftmaxCrossEntropy(const core::Tensor& logits, const core::Array<int64_t>& labels,
                          core::Tensor* grad_logits) {
  CheckOnGpu(logits, "SoftmaxCrossEntropy: logits");
  const int64_t rows = logits.rows();
  const int64_t cols = logits.cols();
  HALO_CHECK(labels.size() == rows)
      << "SoftmaxCrossEntropy: " << labels.size() << " labels for " << rows << " rows";
  EnsureTensor(grad_logits, rows, cols);
  if (rows == 0) return 0.0f;

  const unsigned count_grid = GridFor(rows, kBlock, kMaxReduceGrid);
  core::Array<long long> labeled(count_grid, core::Device::kCuda);
  core::Array<long long> invalid(count_grid, core::Device::kCuda);
  CountLabelsKernel<<<count_grid, kBlock>>>(labels.data(), rows, cols, labeled.data(),
                                            invalid.data());
  HALO_CUDA_LAUNCH_CHECK();
  const long long num_invalid = SumPartials(invalid);
  HALO_CHECK(num_invalid == 0) << "SoftmaxCrossEntropy: " << num_invalid
                               << " labels are >= the class count " << cols;
  const long long count = SumPartials(labeled);
  if (count == 0) {
    grad_logits->SetZero();
    return 0.0f;
  }

  const float inv_count = 1.0f / static_cast<float>(count);
  const int width = GroupWidth(cols);
  const dim3 block = GroupBlock(width);
  const unsigned grid = GridFor(rows, block.y, kMaxReduceGrid);
  core::Array<double> loss_partial(grid, core::Device::kCuda);
  CrossEntropyKernel<<<grid, block>>>(logits.data(), labels.data(), rows, cols, inv_count,
                                      grad_logits->data(), loss_partial.data());
  HALO_CUDA_LAUNCH_CHECK();
  return static_cast<float>(SumPartials(loss_partial) / static_cast<double>(count));
}

int64_t CountCorrect(const core::Tensor& logits, const core::Array<int64_t>& labels) {
  CheckOnGpu(logits, "CountCorrect: logits");
  const int64_t rows = logits.rows();
  const int64_t cols = logits.cols();
  HALO_CHECK(labels.size() == rows)
      << "CountCorrect: " << labels.size() << " labels for " << rows << " rows";
  if (rows == 0 || cols == 0) return 0;
  const int width = GroupWidth(cols);
  const dim3 block = GroupBlock(width);
  const unsigned grid = GridFor(rows, block.y, kMaxReduceGrid);
  core::Array<long long> correct(grid, core::Device::kCuda);
  CountCorrectKernel<<<grid, block>>>(logits.data(), labels.data(), rows, cols, correct.data());
  HALO_CUDA_LAUNCH_CHECK();
  return static_cast<int64_t>(SumPartials(correct));
}

}  // namespace halo::kernels::cuda
