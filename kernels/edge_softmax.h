// Softmax over each destination's in-edges, per head (GAT attention normalization):
//   out[e, h] = exp(s[e, h]) / SUM_{e' into v} exp(s[e', h])   (max-subtracted for stability)
// scores and out are [num_edges x H].
#pragma once

#include "core/tensor.h"
#include "kernels/csr_view.h"

namespace halo::kernels {

void EdgeSoftmax(const CsrView& g, const Tensor& scores, Tensor* out);

// grad_scores[e, h] = p[e, h] * (grad_p[e, h] - SUM_{e' into v} p[e', h] * grad_p[e', h]).
void EdgeSoftmaxBackward(const CsrView& g, const Tensor& probs, const Tensor& grad_probs,
                         Tensor* grad_scores);

}  // namespace halo::kernels
