// The unit of exchange of net/: a Message is an application-defined type, a request id, a status
// and a list of flat typed arrays (ids, feature rows, raw bytes). The wire format that carries it
// is in codec.h and docs/net-protocol.md.
//
// Arrays are immutable and share their buffer: copying an Array or a Message copies a reference,
// never the bytes, so a handler may keep or forward request arrays freely. A vector moved into
// Array::FromVector is sent without a copy; a received array points into the received frame
// (a small one into an 8 KB ZeroMQ receive buffer, which it keeps alive: copy small arrays out
// with ToVector before keeping many of them for long).
// Thread-safety: an Array may be read from several threads at once (its buffer never changes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/status.h"

namespace halo::net {

// Types 0..15 belong to net itself; applications number their messages from kFirstUserType.
constexpr uint16_t kPing = 1;  // health check, answered by RpcServer itself (no handler call)
constexpr uint16_t kFirstUserType = 16;

// Element type of an array; the numeric value is the wire code.
enum class DType : uint8_t { kF32 = 1, kI64 = 2, kU8 = 3, kI32 = 4, kF64 = 5, kBytes = 6 };

bool IsValidDType(uint8_t code);
size_t DTypeSize(DType dtype);       // bytes per element: 4, 8, 1, 4, 8, 1
const char* DTypeName(DType dtype);  // "f32", "i64", "u8", "i32", "f64", "bytes"

// The DType of a C++ element type: DTypeOf<float>::value == DType::kF32; char maps to kBytes.
template <typename T>
struct DTypeOf;
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::kF32;
};
template <>
struct DTypeOf<int64_t> {
  static constexpr DType value = DType::kI64;
};
template <>
struct DTypeOf<uint8_t> {
  static constexpr DType value = DType::kU8;
};
template <>
struct DTypeOf<int32_t> {
  static constexpr DType value = DType::kI32;
};
template <>
struct DTypeOf<double> {
  static constexpr DType value = DType::kF64;
};
template <>
struct DTypeOf<char> {
  static constexpr DType value = DType::kBytes;
};

// A read-only view of `size` elements at `data` (C++17 has no std::span); valid while the Array
// it came from (or any copy of it) lives.
template <typename T>
class ArrayView {
 public:
  ArrayView() = default;
  ArrayView(const T* data, size_t size) : data_(data), size_(size) {}
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](size_t i) const { return data_[i]; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

 private:
  const T* data_ = nullptr;
  size_t size_ = 0;
};

class Array {
 public:
  Array() = default;  // an empty bytes array

  // Takes the vector without copying its elements.
  template <typename T>
  static Array FromVector(std::vector<T> values) {
    auto holder = std::make_shared<const std::vector<T>>(std::move(values));
    const T* data = holder->data();
    const uint64_t count = holder->size();  // read before `holder` is moved from
    return Array(DTypeOf<T>::value, count, data, std::move(holder));
  }
  // Copies `count` elements from `data`.
  template <typename T>
  static Array Copy(const T* data, size_t count) {
    return FromVector(std::vector<T>(data, data + count));
  }
  // Takes the string's bytes without copying (dtype kBytes).
  static Array FromString(std::string bytes);
  // An array over memory someone else allocated: `data` holds `count` elements of `dtype`, is
  // aligned to DTypeSize(dtype), stays unchanged and alive as long as `owner` does.
  static Array Adopt(DType dtype, uint64_t count, const void* data,
                     std::shared_ptr<const void> owner);

  DType dtype() const { return dtype_; }
  uint64_t count() const { return count_; }
  size_t num_bytes() const { return static_cast<size_t>(count_) * DTypeSize(dtype_); }
  const void* data() const { return data_; }

  // The elements as T. The dtype must be DTypeOf<T> (a programming error otherwise: aborts);
  // use Message::View to check input from the network.
  template <typename T>
  ArrayView<T> view() const {
    HALO_CHECK(dtype_ == DTypeOf<T>::value)
        << "array of " << DTypeName(dtype_) << " viewed as " << DTypeName(DTypeOf<T>::value);
    return ArrayView<T>(static_cast<const T*>(data_), static_cast<size_t>(count_));
  }
  template <typename T>
  std::vector<T> ToVector() const {
    ArrayView<T> v = view<T>();
    return std::vector<T>(v.begin(), v.end());
  }
  // What keeps data() alive (null for an empty default array); transports hold it while sending.
  const std::shared_ptr<const void>& owner() const { return owner_; }
  // The raw bytes, whatever the dtype.
  std::string_view bytes() const {
    return std::string_view(static_cast<const char*>(data_), num_bytes());
  }

 private:
  Array(DType dtype, uint64_t count, const void* data, std::shared_ptr<const void> owner)
      : dtype_(dtype), count_(count), data_(data), owner_(std::move(owner)) {}

  DType dtype_ = DType::kBytes;
  uint64_t count_ = 0;
  const void* data_ = nullptr;
  std::shared_ptr<const void> owner_;  // keeps data_ alive
};

struct Message {
  uint16_t type = 0;
  // Set by RpcClient on each call and echoed by RpcServer in the reply; 0 in a reply means the
  // server could not read the request's id.
  uint64_t request_id = 0;
  // A reply's outcome: OK, or the error the server reports (its code and message travel).
  core::Status status;
  std::vector<Array> arrays;

  Message() = default;
  explicit Message(uint16_t type_, std::vector<Array> arrays_ = {})
      : type(type_), arrays(std::move(arrays_)) {}

  // Array `index` as T, or InvalidArgument naming the message type, the index and the dtypes.
  // For checking requests and replies from the network.
  template <typename T>
  core::Result<ArrayView<T>> View(size_t index) const {
    HALO_RETURN_IF_ERROR(CheckArray(index, DTypeOf<T>::value));
    return arrays[index].view<T>();
  }
  // OK when the message has exactly `count` arrays; else InvalidArgument saying how many it has.
  core::Status ExpectArrays(size_t count) const;

 private:
  core::Status CheckArray(size_t index, DType dtype) const;
};

}  // namespace halo::net
