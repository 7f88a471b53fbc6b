// Internal to kernels/*.cc: device consistency checks and the cpu/cuda switch.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "core/check.h"
#include "core/device.h"
#include "core/tensor.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/csr_view.h"
#ifdef HALO_WITH_CUDA
#include "kernels/cuda/cuda_kernels.h"
#endif

namespace halo::kernels::internal {

// A CUDA tensor can only exist in a CUDA build, so reaching this is a programming error.
[[noreturn]] inline void NoCudaBuild(const char* op) {
  std::fprintf(stderr,
               "halo: fatal: kernels::%s got CUDA tensors, but Halo was built without CUDA "
               "(HALO_WITH_CUDA=OFF)\n",
               op);
  std::abort();
}

inline void CheckOn(core::Device device, const core::Tensor& t, const char* op, const char* name) {
  HALO_CHECK(t.device() == device)
      << op << ": " << name << " is on " << core::DeviceName(t.device()) << ", expected "
      << core::DeviceName(device);
}

template <typename T>
inline void CheckOn(core::Device device, const core::Array<T>& a, const char* op,
                    const char* name) {
  HALO_CHECK(a.device() == device)
      << op << ": " << name << " is on " << core::DeviceName(a.device()) << ", expected "
      << core::DeviceName(device);
}

inline void CheckOn(core::Device device, const CsrView& g, const char* op) {
  HALO_CHECK(g.device == device) << op << ": graph is on " << core::DeviceName(g.device)
                                 << ", expected " << core::DeviceName(device);
}

}  // namespace halo::kernels::internal

// Calls cpu::fn or cuda::fn with the same arguments; usable as `return HALO_DISPATCH(...)`.
#ifdef HALO_WITH_CUDA
#define HALO_DISPATCH(device, fn, ...)                                              \
  ((device) == ::halo::core::Device::kCuda ? ::halo::kernels::cuda::fn(__VA_ARGS__) \
                                           : ::halo::kernels::cpu::fn(__VA_ARGS__))
#else
#define HALO_DISPATCH(device, fn, ...)                                                        \
  ((device) == ::halo::core::Device::kCuda                                                    \
       ? (::halo::kernels::internal::NoCudaBuild(#fn), ::halo::kernels::cpu::fn(__VA_ARGS__)) \
       : ::halo::kernels::cpu::fn(__VA_ARGS__))
#endif
