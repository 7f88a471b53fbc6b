#include "kernels/normalize.h"

#include "core/check.h"
#include "kernels/cpu/cpu_extra_kernels.h"
#ifdef HALO_WITH_CUDA
#include "kernels/cuda/cuda_extra_kernels.h"
#endif

namespace halo::kernels {

void RowL2Normalize(const core::Tensor& x, core::Tensor* y, core::Tensor* norms) {
  HALO_CHECK(y->SameShape(x)) << "y must match x";
  HALO_CHECK(norms->rows() == x.rows() && norms->cols() == 1) << "norms must be [rows x 1]";
  if (x.device() == core::Device::kCpu) return cpu::RowL2Normalize(x, y, norms);
#ifdef HALO_WITH_CUDA
  return cuda::RowL2Normalize(x, y, norms);
#else
  HALO_CHECK(false) << "CUDA tensor in a build without CUDA";
#endif
}

void RowL2NormalizeBackward(const core::Tensor& y, const core::Tensor& norms,
                            const core::Tensor& grad_y, core::Tensor* grad_x) {
  HALO_CHECK(grad_y.SameShape(y) && grad_x->SameShape(y)) << "gradient shapes must match y";
  if (y.device() == core::Device::kCpu)
    return cpu::RowL2NormalizeBackward(y, norms, grad_y, grad_x);
#ifdef HALO_WITH_CUDA
  return cuda::RowL2NormalizeBackward(y, norms, grad_y, grad_x);
#else
  HALO_CHECK(false) << "CUDA tensor in a build without CUDA";
#endif
}

}  // namespace halo::kernels
