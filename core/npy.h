// NumPy .npy arrays (format 1.0/2.0/3.0, C order, little-endian): the interchange format of Halo's
// partition files and generated graphs. Reading is gzip-transparent (`x.npy.gz` works).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace halo::core {

enum class DType { kFloat32, kFloat64, kInt32, kInt64, kUInt8, kBool };

const char* DTypeName(DType dtype);
size_t DTypeSize(DType dtype);

// A loaded array: raw little-endian bytes plus dtype and shape.
struct NpyArray {
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  std::vector<char> bytes;

  int64_t num_elements() const;
  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  // Product of all dimensions after the first (1 for a vector).
  int64_t cols() const;
};

Result<NpyArray> ReadNpy(const std::string& path);

// Reads `path` and converts it to T; integer dtypes convert to int64/int32/uint8 when every value
// fits, floats to float32 (from float64), bool to uint8. Fails, naming the file, otherwise.
// `shape` (optional) receives the array's shape.
template <typename T>
Result<std::vector<T>> ReadNpyAs(const std::string& path, std::vector<int64_t>* shape = nullptr);

// Writes a C-order array of `shape` (elements = product of shape) to `path` (plain, never gz).
template <typename T>
Status WriteNpy(const std::string& path, const T* data, const std::vector<int64_t>& shape);

template <typename T>
Status WriteNpy(const std::string& path, const std::vector<T>& data) {
  return WriteNpy(path, data.data(), {static_cast<int64_t>(data.size())});
}

// Writes a bool array (stored as uint8 0/1, dtype '|b1').
Status WriteNpyBool(const std::string& path, const std::vector<uint8_t>& data);

}  // namespace halo::core
