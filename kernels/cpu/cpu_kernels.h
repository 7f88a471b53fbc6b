// CPU implementations (OpenMP + OpenBLAS) of the kernels declared in kernels/*.h, with the same
// signatures and contracts. Callers use the device-dispatching functions in kernels/*.h.
#pragma once

#include "kernels/activation.h"
#include "kernels/csr_view.h"
#include "kernels/sddmm.h"
#include "kernels/spmm.h"

namespace halo::kernels::cpu {

void GatherRows(const core::Tensor& x, const core::Array<int64_t>& idx, core::Tensor* out);

void ScatterAddRows(const core::Tensor& x, const core::Array<int64_t>& idx, core::Tensor* out);

void SpMM(const CsrView& g, const Tensor& x, const Tensor* w, Reduce reduce, Tensor* out,
          core::Array<int64_t>* argmax);

void SpMMBackwardX(const CsrView& g, const Tensor& grad_out, const Tensor* w, Reduce reduce,
                   const core::Array<int64_t>* argmax, Tensor* grad_x);

void SpMMBackwardW(const CsrView& g, const Tensor& grad_out, const Tensor& x, Reduce reduce,
                   const core::Array<int64_t>* argmax, int64_t heads, Tensor* grad_w);

void SDDMM(const CsrView& g, SddmmOp op, const Tensor& dst, const Tensor& src, int64_t heads,
           Tensor* out);

void SDDMMBackward(const CsrView& g, SddmmOp op, const Tensor& dst, const Tensor& src,
                   int64_t heads, const Tensor& grad_out, Tensor* grad_dst, Tensor* grad_src);

void EdgeSoftmax(const CsrView& g, const Tensor& scores, Tensor* out);

void EdgeSoftmaxBackward(const CsrView& g, const Tensor& probs, const Tensor& grad_probs,
                         Tensor* grad_scores);

void Gemm(bool trans_a, bool trans_b, float alpha, const core::Tensor& a, const core::Tensor& b,
          float beta, core::Tensor* c);

void AddBias(const core::Tensor& bias, core::Tensor* x);

void BiasGrad(const core::Tensor& grad, core::Tensor* grad_bias);

void Axpy(float alpha, const core::Tensor& x, core::Tensor* y);

void Scale(float alpha, core::Tensor* x);

double SquaredNorm(const core::Tensor& x);

void ActivationForward(Activation act, float slope, const core::Tensor& x, core::Tensor* y);

void ActivationBackward(Activation act, float slope, const core::Tensor& x,
                        const core::Tensor& grad_y, core::Tensor* grad_x);

void DropoutForward(float p, uint64_t seed, const core::Tensor& x, core::Tensor* y,
                    core::Array<uint8_t>* mask);

void DropoutBackward(float p, const core::Array<uint8_t>& mask, const core::Tensor& grad_y,
                     core::Tensor* grad_x);

float SoftmaxCrossEntropy(const core::Tensor& logits, const core::Array<int64_t>& labels,
                          core::Tensor* grad_logits);

int64_t CountCorrect(const core::Tensor& logits, const core::Array<int64_t>& labels);

void SgdStep(float lr, float momentum, float weight_decay, int64_t step, const core::Tensor& grad,
             core::Tensor* momentum_buf, core::Tensor* param);

void AdamStep(float lr, float beta1, float beta2, float eps, float weight_decay, bool decoupled,
              int64_t step, const core::Tensor& grad, core::Tensor* m, core::Tensor* v,
              core::Tensor* param);

}  // namespace halo::kernels::cpu
