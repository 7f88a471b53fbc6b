#include "kernels/gemm.h"

#include "kernels/dispatch.h"

namespace halo::kernels {

using internal::CheckOn;

void Gemm(bool trans_a, bool trans_b, float alpha, const core::Tensor& a, const core::Tensor& b,
          float beta, core::Tensor* c) {
  HALO_CHECK(c != nullptr) << "Gemm: null c";
  const Device dev = a.device();
  CheckOn(dev, b, "Gemm", "b");
  CheckOn(dev, *c, "Gemm", "c");
  const int64_t m = trans_a ? a.cols() : a.rows();
  const int64_t k = trans_a ? a.rows() : a.cols();
  const int64_t kb = trans_b ? b.cols() : b.rows();
  const int64_t n = trans_b ? b.rows() : b.cols();
  HALO_CHECK(k == kb && c->rows() == m && c->cols() == n)
      << "Gemm: op(a) is [" << m << " x " << k << "], op(b) is [" << kb << " x " << n << "], c is ["
      << c->rows() << " x " << c->cols() << "]";
  return HALO_DISPATCH(dev, Gemm, trans_a, trans_b, alpha, a, b, beta, c);
}

void AddBias(const core::Tensor& bias, core::Tensor* x) {
  HALO_CHECK(x != nullptr) << "AddBias: null x";
  CheckOn(x->device(), bias, "AddBias", "bias");
  HALO_CHECK(bias.rows() == 1 && bias.cols() == x->cols())
      << "AddBias: bias is [" << bias.rows() << " x " << bias.cols() << "], expected [1 x "
      << x->cols() << "]";
  return HALO_DISPATCH(x->device(), AddBias, bias, x);
}

void BiasGrad(const core::Tensor& grad, core::Tensor* grad_bias) {
  HALO_CHECK(grad_bias != nullptr) << "BiasGrad: null grad_bias";
  CheckOn(grad.device(), *grad_bias, "BiasGrad", "grad_bias");
  HALO_CHECK(grad_bias->rows() == 1 && grad_bias->cols() == grad.cols())
      << "BiasGrad: grad_bias is [" << grad_bias->rows() << " x " << grad_bias->cols()
      << "], expected [1 x " << grad.cols() << "]";
  return HALO_DISPATCH(grad.device(), BiasGrad, grad, grad_bias);
}

void Axpy(float alpha, const core::Tensor& x, core::Tensor* y) {
  HALO_CHECK(y != nullptr) << "Axpy: null y";
  CheckOn(x.device(), *y, "Axpy", "y");
  HALO_CHECK(x.SameShape(*y)) << "Axpy: x is [" << x.rows() << " x " << x.cols() << "], y is ["
                              << y->rows() << " x " << y->cols() << "]";
  return HALO_DISPATCH(x.device(), Axpy, alpha, x, y);
}

void Scale(float alpha, core::Tensor* x) {
  HALO_CHECK(x != nullptr) << "Scale: null x";
  return HALO_DISPATCH(x->device(), Scale, alpha, x);
}

double SquaredNorm(const core::Tensor& x) { return HALO_DISPATCH(x.device(), SquaredNorm, x); }

}  // namespace halo::kernels
