#include "kernels/edge_softmax.h"

#include "kernels/dispatch.h"

namespace halo::kernels {

using internal::CheckOn;

void EdgeSoftmax(const CsrView& g, const Tensor& scores, Tensor* out) {
  HALO_CHECK(out != nullptr) << "EdgeSoftmax: null out";
  CheckOn(g.device, scores, "EdgeSoftmax", "scores");
  CheckOn(g.device, *out, "EdgeSoftmax", "out");
  HALO_CHECK(scores.rows() == g.num_edges && scores.cols() >= 1)
      << "EdgeSoftmax: scores are [" << scores.rows() << " x " << scores.cols() << "], expected ["
      << g.num_edges << " x H]";
  HALO_CHECK(out->SameShape(scores))
      << "EdgeSoftmax: out is [" << out->rows() << " x " << out->cols() << "], scores are ["
      << scores.rows() << " x " << scores.cols() << "]";
  return HALO_DISPATCH(g.device, EdgeSoftmax, g, scores, out);
}

void EdgeSoftmaxBackward(const CsrView& g, const Tensor& probs, const Tensor& grad_probs,
                         Tensor* grad_scores) {
  HALO_CHECK(grad_scores != nullptr) << "EdgeSoftmaxBackward: null grad_scores";
  CheckOn(g.device, probs, "EdgeSoftmaxBackward", "probs");
  CheckOn(g.device, grad_probs, "EdgeSoftmaxBackward", "grad_probs");
  CheckOn(g.device, *grad_scores, "EdgeSoftmaxBackward", "grad_scores");
  HALO_CHECK(probs.rows() == g.num_edges && probs.cols() >= 1)
      << "EdgeSoftmaxBackward: probs are [" << probs.rows() << " x " << probs.cols()
      << "], expected [" << g.num_edges << " x H]";
  HALO_CHECK(grad_probs.SameShape(probs) && grad_scores->SameShape(probs))
      << "EdgeSoftmaxBackward: grad_probs [" << grad_probs.rows() << " x " << grad_probs.cols()
      << "] and grad_scores [" << grad_scores->rows() << " x " << grad_scores->cols()
      << "] must match probs [" << probs.rows() << " x " << probs.cols() << "]";
  return HALO_DISPATCH(g.device, EdgeSoftmaxBackward, g, probs, grad_probs, grad_scores);
}

}  // namespace halo::kernels
