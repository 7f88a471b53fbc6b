#include "core/device.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#ifdef HALO_WITH_CUDA
#include <cuda_runtime.h>
#endif

namespace halo::core {

namespace {
[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "halo: fatal: %s\n", what.c_str());
  std::abort();
}

#ifdef HALO_WITH_CUDA
void CheckCuda(cudaError_t err, const char* what) {
  if (err != cudaSuccess) Die(std::string(what) + ": " + cudaGetErrorString(err));
}

cudaMemcpyKind Kind(Device dst, Device src) {
  if (src == Device::kCpu)
    return dst == Device::kCpu ? cudaMemcpyHostToHost : cudaMemcpyHostToDevice;
  return dst == Device::kCpu ? cudaMemcpyDeviceToHost : cudaMemcpyDeviceToDevice;
}
#endif
}  // namespace

const char* DeviceName(Device device) { return device == Device::kCpu ? "cpu" : "cuda"; }

Result<Device> ParseDevice(const std::string& name) {
  if (name == "cpu") return Device::kCpu;
  if (name == "cuda" || name == "gpu") return Device::kCuda;
  return Status::InvalidArgument("unknown device '" + name + "' (use cpu or cuda)");
}

std::string CudaUnavailableReason() {
#ifdef HALO_WITH_CUDA
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) return std::string("no CUDA device: ") + cudaGetErrorString(err);
  if (count == 0) return "no CUDA device visible";
  return "";
#else
  return "Halo was built without CUDA (HALO_WITH_CUDA=OFF)";
#endif
}

bool CudaAvailable() {
  static const bool available = CudaUnavailableReason().empty();
  return available;
}

void* DeviceAlloc(Device device, size_t bytes) {
  if (bytes == 0) return nullptr;
  if (device == Device::kCpu) {
    // 64-byte alignment suits SIMD loads; aligned_alloc needs a multiple of the alignment.
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (p == nullptr) Die("out of host memory allocating " + std::to_string(bytes) + " bytes");
    return p;
  }
#ifdef HALO_WITH_CUDA
  void* p = nullptr;
  CheckCuda(cudaMalloc(&p, bytes), ("cudaMalloc of " + std::to_string(bytes) + " bytes").c_str());
  return p;
#else
  Die("CUDA allocation requested but " + CudaUnavailableReason());
#endif
}

void DeviceFree(Device device, void* ptr) {
  if (ptr == nullptr) return;
  if (device == Device::kCpu) {
    std::free(ptr);
    return;
  }
#ifdef HALO_WITH_CUDA
  cudaFree(ptr);
#endif
}

void DeviceCopy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device == Device::kCpu && src_device == Device::kCpu) {
    std::memcpy(dst, src, bytes);
    return;
  }
#ifdef HALO_WITH_CUDA
  CheckCuda(cudaMemcpy(dst, src, bytes, Kind(dst_device, src_device)), "cudaMemcpy");
#else
  Die("CUDA copy requested but " + CudaUnavailableReason());
#endif
}

void DeviceMemset0(Device device, void* ptr, size_t bytes) {
  if (bytes == 0) return;
  if (device == Device::kCpu) {
    std::memset(ptr, 0, bytes);
    return;
  }
#ifdef HALO_WITH_CUDA
  CheckCuda(cudaMemset(ptr, 0, bytes), "cudaMemset");
#else
  Die("CUDA memset requested but " + CudaUnavailableReason());
#endif
}

void DeviceSynchronize(Device device) {
  if (device == Device::kCpu) return;
#ifdef HALO_WITH_CUDA
  CheckCuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
#endif
}

}  // namespace halo::core
