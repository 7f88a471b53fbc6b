// Owning typed arrays on one device. `Array<T>` is a flat buffer; `Tensor` is a dense row-major
// float32 matrix (rows x cols; a vector is rows x 1). Both are move-only: copies are explicit
// (Clone, To). Kernels take them by reference and read `device()` to pick an implementation.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/device.h"

namespace halo::core {

template <typename T>
class Array {
 public:
  Array() = default;
  Array(int64_t size, Device device = Device::kCpu)
      : size_(size),
        device_(device),
        data_(static_cast<T*>(DeviceAlloc(device, static_cast<size_t>(size) * sizeof(T)))) {}
  static Array Zeros(int64_t size, Device device = Device::kCpu) {
    Array a(size, device);
    DeviceMemset0(device, a.data_, a.bytes());
    return a;
  }
  static Array FromVector(const std::vector<T>& v, Device device = Device::kCpu) {
    Array a(static_cast<int64_t>(v.size()), device);
    DeviceCopy(a.data_, device, v.data(), Device::kCpu, a.bytes());
    return a;
  }
  // A non-owning view of `size` elements at `data` on `device`; the owner must outlive it.
  static Array View(T* data, int64_t size, Device device) {
    Array a;
    a.size_ = size;
    a.device_ = device;
    a.data_ = data;
    a.owns_ = false;
    return a;
  }
  ~Array() {
    if (owns_) DeviceFree(device_, data_);
  }
  Array(Array&& o) noexcept : size_(o.size_), device_(o.device_), data_(o.data_), owns_(o.owns_) {
    o.data_ = nullptr;
    o.size_ = 0;
  }
  Array& operator=(Array&& o) noexcept {
    if (this != &o) {
      if (owns_) DeviceFree(device_, data_);
      size_ = o.size_;
      device_ = o.device_;
      data_ = o.data_;
      owns_ = o.owns_;
      o.data_ = nullptr;
      o.size_ = 0;
    }
    return *this;
  }
  Array(const Array&) = delete;
  Array& operator=(const Array&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  int64_t size() const { return size_; }
  size_t bytes() const { return static_cast<size_t>(size_) * sizeof(T); }
  Device device() const { return device_; }
  bool empty() const { return size_ == 0; }

  Array To(Device device) const {
    Array a(size_, device);
    DeviceCopy(a.data_, device, data_, device_, bytes());
    return a;
  }
  Array Clone() const { return To(device_); }
  std::vector<T> ToVector() const {
    std::vector<T> v(static_cast<size_t>(size_));
    DeviceCopy(v.data(), Device::kCpu, data_, device_, bytes());
    return v;
  }
  void SetZero() { DeviceMemset0(device_, data_, bytes()); }

 private:
  int64_t size_ = 0;
  Device device_ = Device::kCpu;
  T* data_ = nullptr;
  bool owns_ = true;
};

class Tensor {
 public:
  Tensor() = default;
  // Uninitialized contents.
  Tensor(int64_t rows, int64_t cols, Device device = Device::kCpu)
      : rows_(rows), cols_(cols), buffer_(rows * cols, device) {}
  static Tensor Zeros(int64_t rows, int64_t cols, Device device = Device::kCpu) {
    Tensor t(rows, cols, device);
    t.SetZero();
    return t;
  }
  static Tensor FromVector(const std::vector<float>& v, int64_t rows, int64_t cols,
                           Device device = Device::kCpu) {
    Tensor t;
    t.rows_ = rows;
    t.cols_ = cols;
    t.buffer_ = Array<float>::FromVector(v, device);
    return t;
  }

  // A non-owning view of rows [begin, end): shares memory with this tensor, which must outlive
  // it. Used to read the destination prefix of a block's source rows without copying.
  Tensor RowsView(int64_t begin, int64_t end) const {
    Tensor t;
    t.rows_ = end - begin;
    t.cols_ = cols_;
    t.buffer_ =
        Array<float>::View(const_cast<float*>(data()) + begin * cols_, t.rows_ * cols_, device());
    return t;
  }

  float* data() { return buffer_.data(); }
  const float* data() const { return buffer_.data(); }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t numel() const { return rows_ * cols_; }
  Device device() const { return buffer_.device(); }
  bool SameShape(const Tensor& o) const { return rows_ == o.rows_ && cols_ == o.cols_; }

  Tensor To(Device device) const {
    Tensor t;
    t.rows_ = rows_;
    t.cols_ = cols_;
    t.buffer_ = buffer_.To(device);
    return t;
  }
  Tensor Clone() const { return To(device()); }
  std::vector<float> ToVector() const { return buffer_.ToVector(); }
  void SetZero() { buffer_.SetZero(); }

 private:
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  Array<float> buffer_;
};

}  // namespace halo::core
