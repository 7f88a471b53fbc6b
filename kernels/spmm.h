// SpMM: aggregate source features into destinations over a CSR (message passing).
//
//   out[v, h*F + f] = REDUCE_{e = (u -> v)} w[e, h] * x[u, h*F + f]
//
// x is [num_cols x H*F]; w is null (all ones, H = 1) or [num_edges x H]; out is [num_rows x H*F].
// Reduce: sum; mean (sum / in-degree of v); max (elementwise max, recording the winning edge in
// argmax[v, c]; rows without edges give 0 and argmax -1). Rows with no edges give 0 for all.
#pragma once

#include "core/tensor.h"
#include "kernels/csr_view.h"

namespace halo::kernels {

enum class Reduce { kSum, kMean, kMax };

// `argmax` is needed only for kMax: non-null and already sized to num_rows * H*F entries.
// All outputs (`out`, `argmax`) are allocated by the caller with the documented shapes.
void SpMM(const CsrView& g, const Tensor& x, const Tensor* w, Reduce reduce, Tensor* out,
          core::Array<int64_t>* argmax);

// Gradient with respect to x (the transposed aggregation), overwriting grad_x [num_cols x H*F]:
//   grad_x[u, c] = SUM_{e = (u -> v)} w[e, h] * grad_out[v, c] * (1/deg(v) for mean),
// and for max only edges with argmax[v, c] == e contribute.
void SpMMBackwardX(const CsrView& g, const Tensor& grad_out, const Tensor* w, Reduce reduce,
                   const core::Array<int64_t>* argmax, Tensor* grad_x);

// Gradient with respect to w, overwriting grad_w [num_edges x H]:
//   grad_w[e, h] = SUM_f grad_out[v, h*F + f] * x[u, h*F + f] * (1/deg(v) for mean),
// and for max only components c with argmax[v, c] == e contribute.
void SpMMBackwardW(const CsrView& g, const Tensor& grad_out, const Tensor& x, Reduce reduce,
                   const core::Array<int64_t>* argmax, int64_t heads, Tensor* grad_w);

}  // namespace halo::kernels
