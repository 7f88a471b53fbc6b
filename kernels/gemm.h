// Dense linear algebra: GEMM (OpenBLAS on CPU, cuBLAS on CUDA), bias and elementwise updates.
#pragma once

#include "core/tensor.h"

namespace halo::kernels {

// c = alpha * op(a) * op(b) + beta * c, op = transpose when asked. Shapes are checked.
void Gemm(bool trans_a, bool trans_b, float alpha, const core::Tensor& a, const core::Tensor& b,
          float beta, core::Tensor* c);

// x[r, :] += bias[0, :]   (bias is [1 x cols])
void AddBias(const core::Tensor& bias, core::Tensor* x);
// grad_bias[0, c] = SUM_r grad[r, c]   (overwrites)
void BiasGrad(const core::Tensor& grad, core::Tensor* grad_bias);

// y = alpha * x + y
void Axpy(float alpha, const core::Tensor& x, core::Tensor* y);
// x = alpha * x
void Scale(float alpha, core::Tensor* x);
// Sum of squares of all elements (for gradient-norm logging).
double SquaredNorm(const core::Tensor& x);

}  // namespace halo::kernels
