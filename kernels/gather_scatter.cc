#include "kernels/gather_scatter.h"

#include "kernels/dispatch.h"

namespace halo::kernels {

using internal::CheckOn;

void GatherRows(const core::Tensor& x, const core::Array<int64_t>& idx, core::Tensor* out) {
  HALO_CHECK(out != nullptr) << "GatherRows: null out";
  const Device dev = x.device();
  CheckOn(dev, idx, "GatherRows", "idx");
  CheckOn(dev, *out, "GatherRows", "out");
  HALO_CHECK(out->rows() == idx.size() && out->cols() == x.cols())
      << "GatherRows: out is [" << out->rows() << " x " << out->cols() << "], expected ["
      << idx.size() << " x " << x.cols() << "]";
  return HALO_DISPATCH(dev, GatherRows, x, idx, out);
}

void ScatterAddRows(const core::Tensor& x, const core::Array<int64_t>& idx, core::Tensor* out) {
  HALO_CHECK(out != nullptr) << "ScatterAddRows: null out";
  const Device dev = x.device();
  CheckOn(dev, idx, "ScatterAddRows", "idx");
  CheckOn(dev, *out, "ScatterAddRows", "out");
  HALO_CHECK(x.rows() == idx.size())
      << "ScatterAddRows: " << x.rows() << " rows but " << idx.size() << " indices";
  HALO_CHECK(out->cols() == x.cols())
      << "ScatterAddRows: out has " << out->cols() << " columns, x has " << x.cols();
  return HALO_DISPATCH(dev, ScatterAddRows, x, idx, out);
}

}  // namespace halo::kernels
