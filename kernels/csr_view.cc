#include "kernels/csr_view.h"

#include <algorithm>

#include "core/check.h"

namespace halo::kernels {

DeviceCsr DeviceCsr::FromCsr(const core::Csr& csr, int64_t num_cols, Device device) {
  // Out-of-range columns would become out-of-bounds reads in every kernel: catch them here.
  const core::Status valid = csr.Validate(num_cols, "DeviceCsr::FromCsr");
  HALO_CHECK(valid.ok()) << valid.ToString();
  DeviceCsr out;
  out.indptr_ = core::Array<int64_t>::FromVector(csr.indptr, device);
  out.indices_ = core::Array<int64_t>::FromVector(csr.indices, device);
  out.num_cols_ = num_cols;
  return out;
}

CsrView DeviceCsr::view() const {
  CsrView v;
  v.indptr = indptr_.data();
  v.indices = indices_.data();
  // A default-constructed DeviceCsr has no indptr at all: present it as the empty graph.
  v.num_rows = std::max<int64_t>(0, indptr_.size() - 1);
  v.num_cols = num_cols_;
  v.num_edges = indices_.size();
  v.device = indptr_.empty() ? Device::kCpu : indptr_.device();
  return v;
}

}  // namespace halo::kernels
