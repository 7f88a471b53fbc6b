// CPU row gather and scatter-add. The scatter groups rows by target (a counting sort) so that one
// thread owns each target row and adds its sources in ascending order: the result equals the
// serial loop bit for bit, whatever the thread count.
#include <cstring>
#include <vector>

#include "core/check.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/parallel.h"

namespace halo::kernels::cpu {

void GatherRows(const core::Tensor& x, const core::Array<int64_t>& idx, core::Tensor* out) {
  const int64_t cols = x.cols();
  const int64_t n = idx.size();
  const int64_t* __restrict id = idx.data();
  const float* __restrict xd = x.data();
  float* __restrict od = out->data();
  if (cols == 0) return;
#pragma omp parallel for schedule(static) if (WorthParallel(n * cols))
  for (int64_t i = 0; i < n; ++i) {
    HALO_CHECK(id[i] >= 0 && id[i] < x.rows())
        << "GatherRows: index " << id[i] << " at " << i << " outside [0, " << x.rows() << ")";
    std::memcpy(od + i * cols, xd + id[i] * cols, sizeof(float) * cols);
  }
}

void ScatterAddRows(const core::Tensor& x, const core::Array<int64_t>& idx, core::Tensor* out) {
  const int64_t cols = x.cols();
  const int64_t n = idx.size();
  const int64_t num_targets = out->rows();
  const int64_t* id = idx.data();
  if (cols == 0 || n == 0) return;
  std::vector<int64_t> ptr(num_targets + 1, 0);
  for (int64_t i = 0; i < n; ++i) {
    HALO_CHECK(id[i] >= 0 && id[i] < num_targets) << "ScatterAddRows: index " << id[i] << " at "
                                                  << i << " outside [0, " << num_targets << ")";
    ++ptr[id[i] + 1];
  }
  for (int64_t r = 0; r < num_targets; ++r) ptr[r + 1] += ptr[r];
  std::vector<int64_t> order(n);
  {
    std::vector<int64_t> cursor(ptr.begin(), ptr.end() - 1);
    for (int64_t i = 0; i < n; ++i) order[cursor[id[i]]++] = i;
  }
  const float* __restrict xd = x.data();
  float* __restrict od = out->data();
#pragma omp parallel for schedule(dynamic, 64) if (WorthParallel(n * cols))
  for (int64_t r = 0; r < num_targets; ++r) {
    float* __restrict o = od + r * cols;
    for (int64_t k = ptr[r]; k < ptr[r + 1]; ++k) {
      const float* __restrict xr = xd + order[k] * cols;
      for (int64_t c = 0; c < cols; ++c) o[c] += xr[c];
    }
  }
}

}  // namespace halo::kernels::cpu
