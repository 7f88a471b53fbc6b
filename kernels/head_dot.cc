#include "kernels/head_dot.h"

#include "core/check.h"
#include "kernels/cpu/cpu_extra_kernels.h"
#ifdef HALO_WITH_CUDA
#include "kernels/cuda/cuda_extra_kernels.h"
#endif

namespace halo::kernels {

void HeadDot(const core::Tensor& z, const core::Tensor& a, int64_t heads, core::Tensor* out) {
  HALO_CHECK(heads > 0 && z.cols() % heads == 0)
      << "z has " << z.cols() << " columns, heads " << heads;
  HALO_CHECK(a.rows() == 1 && a.cols() == z.cols()) << "a must be [1 x " << z.cols() << "]";
  HALO_CHECK(out->rows() == z.rows() && out->cols() == heads) << "out must be [N x heads]";
  HALO_CHECK(a.device() == z.device() && out->device() == z.device()) << "device mismatch";
  if (z.device() == core::Device::kCpu) return cpu::HeadDot(z, a, heads, out);
#ifdef HALO_WITH_CUDA
  return cuda::HeadDot(z, a, heads, out);
#else
  HALO_CHECK(false) << "CUDA tensor in a build without CUDA";
#endif
}

void HeadDotBackward(const core::Tensor& z, const core::Tensor& a, int64_t heads,
                     const core::Tensor& grad_out, core::Tensor* grad_z, core::Tensor* grad_a) {
  HALO_CHECK(grad_out.rows() == z.rows() && grad_out.cols() == heads) << "grad_out shape";
  HALO_CHECK(grad_z == nullptr || grad_z->SameShape(z)) << "grad_z shape";
  HALO_CHECK(grad_a == nullptr || grad_a->SameShape(a)) << "grad_a shape";
  if (z.device() == core::Device::kCpu)
    return cpu::HeadDotBackward(z, a, heads, grad_out, grad_z, grad_a);
#ifdef HALO_WITH_CUDA
  return cuda::HeadDotBackward(z, a, heads, grad_out, grad_z, grad_a);
#else
  HALO_CHECK(false) << "CUDA tensor in a build without CUDA";
#endif
}

}  // namespace halo::kernels
