#include "net/message.h"

namespace halo::net {

bool IsValidDType(uint8_t code) {
  return code >= static_cast<uint8_t>(DType::kF32) && code <= static_cast<uint8_t>(DType::kBytes);
}

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return 4;
    case DType::kI64:
      return 8;
    case DType::kU8:
      return 1;
    case DType::kI32:
      return 4;
    case DType::kF64:
      return 8;
    case DType::kBytes:
      return 1;
  }
  return 1;
}

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "f32";
    case DType::kI64:
      return "i64";
    case DType::kU8:
      return "u8";
    case DType::kI32:
      return "i32";
    case DType::kF64:
      return "f64";
    case DType::kBytes:
      return "bytes";
  }
  return "?";
}

Array Array::FromString(std::string bytes) {
  auto holder = std::make_shared<const std::string>(std::move(bytes));
  const char* data = holder->data();
  const uint64_t count = holder->size();  // read before `holder` is moved from
  return Array(DType::kBytes, count, data, std::move(holder));
}

Array Array::Adopt(DType dtype, uint64_t count, const void* data,
                   std::shared_ptr<const void> owner) {
  HALO_CHECK(count == 0 || reinterpret_cast<uintptr_t>(data) % DTypeSize(dtype) == 0)
      << "misaligned " << DTypeName(dtype) << " array";
  return Array(dtype, count, data, std::move(owner));
}

core::Status Message::ExpectArrays(size_t count) const {
  if (arrays.size() == count) return core::Status::OK();
  return core::Status::InvalidArgument("message type " + std::to_string(type) + " has " +
                                       std::to_string(arrays.size()) + " arrays, expected " +
                                       std::to_string(count));
}

core::Status Message::CheckArray(size_t index, DType dtype) const {
  if (index >= arrays.size()) {
    return core::Status::InvalidArgument("message type " + std::to_string(type) + " has " +
                                         std::to_string(arrays.size()) + " arrays, no array " +
                                         std::to_string(index));
  }
  if (arrays[index].dtype() != dtype) {
    return core::Status::InvalidArgument(
        "message type " + std::to_string(type) + ": array " + std::to_string(index) + " is " +
        DTypeName(arrays[index].dtype()) + ", expected " + DTypeName(dtype));
  }
  return core::Status::OK();
}

}  // namespace halo::net
