// The graph operand of the sparse kernels: a block's (or a part's) in-CSR on one device.
// Row v is a destination; its entries e in [indptr[v], indptr[v+1]) are edges u -> v with
// u = indices[e] a source column. Edge tensors (weights, scores, attention) are [num_edges x H],
// indexed by this CSR position e.
#pragma once

#include <cstdint>

#include "core/csr.h"
#include "core/device.h"
#include "core/tensor.h"

namespace halo::kernels {

using core::Device;
using core::Tensor;

struct CsrView {
  const int64_t* indptr = nullptr;   // num_rows + 1, on `device`
  const int64_t* indices = nullptr;  // num_edges, on `device`
  int64_t num_rows = 0;              // destinations
  int64_t num_cols = 0;              // sources
  int64_t num_edges = 0;
  Device device = Device::kCpu;
};

// A CSR owned on a device.
class DeviceCsr {
 public:
  DeviceCsr() = default;
  // Copies `csr` (rows = destinations) to `device`; `num_cols` is the source-node count.
  static DeviceCsr FromCsr(const core::Csr& csr, int64_t num_cols, Device device);
  CsrView view() const;
  Device device() const { return indptr_.device(); }
  int64_t num_rows() const { return indptr_.size() - 1; }
  int64_t num_cols() const { return num_cols_; }
  int64_t num_edges() const { return indices_.size(); }

 private:
  core::Array<int64_t> indptr_;
  core::Array<int64_t> indices_;
  int64_t num_cols_ = 0;
};

}  // namespace halo::kernels
