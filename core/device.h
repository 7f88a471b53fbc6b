// Where data lives and how it moves: host memory, or CUDA device memory when Halo is built with
// CUDA (HALO_WITH_CUDA) and a GPU is present. Without CUDA every device call returns an error
// and CudaAvailable() is false, so CPU-only builds and machines work unchanged.
#pragma once

#include <cstddef>
#include <string>

#include "core/status.h"

namespace halo::core {

enum class Device { kCpu, kCuda };

const char* DeviceName(Device device);
// "cpu" or "cuda" (also "gpu") -> Device.
Result<Device> ParseDevice(const std::string& name);

// Whether this build has CUDA and at least one GPU is visible.
bool CudaAvailable();
// Why CUDA is not available ("built without CUDA", "no CUDA device: ..."), empty when it is.
std::string CudaUnavailableReason();

// Raw allocation on `device` (nullptr for bytes == 0). Aborts with a message on failure: running
// out of memory is not a recoverable condition for the math.
void* DeviceAlloc(Device device, size_t bytes);
void DeviceFree(Device device, void* ptr);
// Copies `bytes` between any two devices (synchronous).
void DeviceCopy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);
void DeviceMemset0(Device device, void* ptr, size_t bytes);
// Waits for outstanding device work (no-op on CPU).
void DeviceSynchronize(Device device);

}  // namespace halo::core
