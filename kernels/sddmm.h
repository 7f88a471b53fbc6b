// SDDMM: a value per edge computed from its two endpoints' rows (attention scores).
//
//   kDot: out[e, h] = SUM_f dst[v, h*F + f] * src[u, h*F + f]   (dst [num_rows x H*F],
//                                                                 src [num_cols x H*F])
//   kAdd: out[e, h] = dst[v, h] + src[u, h]                     (dst [num_rows x H],
//                                                                 src [num_cols x H])
// for every edge e = (u -> v); out is [num_edges x H].
#pragma once

#include "core/tensor.h"
#include "kernels/csr_view.h"

namespace halo::kernels {

enum class SddmmOp { kDot, kAdd };

void SDDMM(const CsrView& g, SddmmOp op, const Tensor& dst, const Tensor& src, int64_t heads,
           Tensor* out);

// Gradients given grad_out [num_edges x H], overwriting grad_dst / grad_src (either may be null).
void SDDMMBackward(const CsrView& g, SddmmOp op, const Tensor& dst, const Tensor& src,
                   int64_t heads, const Tensor& grad_out, Tensor* grad_dst, Tensor* grad_src);

}  // namespace halo::kernels
