#include "kernels/loss.h"

#include "kernels/dispatch.h"

namespace halo::kernels {

using internal::CheckOn;

float SoftmaxCrossEntropy(const core::Tensor& logits, const core::Array<int64_t>& labels,
                          core::Tensor* grad_logits) {
  HALO_CHECK(grad_logits != nullptr) << "SoftmaxCrossEntropy: null grad_logits";
  CheckOn(logits.device(), labels, "SoftmaxCrossEntropy", "labels");
  CheckOn(logits.device(), *grad_logits, "SoftmaxCrossEntropy", "grad_logits");
  HALO_CHECK(labels.size() == logits.rows())
      << "SoftmaxCrossEntropy: " << labels.size() << " labels for " << logits.rows() << " rows";
  HALO_CHECK(grad_logits->SameShape(logits))
      << "SoftmaxCrossEntropy: grad_logits is [" << grad_logits->rows() << " x "
      << grad_logits->cols() << "], logits are [" << logits.rows() << " x " << logits.cols() << "]";
  return HALO_DISPATCH(logits.device(), SoftmaxCrossEntropy, logits, labels, grad_logits);
}

int64_t CountCorrect(const core::Tensor& logits, const core::Array<int64_t>& labels) {
  CheckOn(logits.device(), labels, "CountCorrect", "labels");
  HALO_CHECK(labels.size() == logits.rows())
      << "CountCorrect: " << labels.size() << " labels for " << logits.rows() << " rows";
  return HALO_DISPATCH(logits.device(), CountCorrect, logits, labels);
}

}  // namespace halo::kernels
