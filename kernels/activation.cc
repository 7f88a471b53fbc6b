#include "kernels/activation.h"

#include "kernels/dispatch.h"
#include "kernels/dropout_hash.h"

namespace halo::kernels {

using internal::CheckOn;

core::Result<Activation> ParseActivation(const std::string& name) {
  if (name == "none") return Activation::kNone;
  if (name == "relu") return Activation::kRelu;
  if (name == "elu") return Activation::kElu;
  if (name == "leaky_relu") return Activation::kLeakyRelu;
  return core::Status::InvalidArgument("unknown activation '" + name +
                                       "' (use none, relu, elu or leaky_relu)");
}

void ActivationForward(Activation act, float slope, const core::Tensor& x, core::Tensor* y) {
  HALO_CHECK(y != nullptr) << "ActivationForward: null y";
  CheckOn(x.device(), *y, "ActivationForward", "y");
  HALO_CHECK(y->SameShape(x)) << "ActivationForward: y is [" << y->rows() << " x " << y->cols()
                              << "], x is [" << x.rows() << " x " << x.cols() << "]";
  return HALO_DISPATCH(x.device(), ActivationForward, act, slope, x, y);
}

void ActivationBackward(Activation act, float slope, const core::Tensor& x,
                        const core::Tensor& grad_y, core::Tensor* grad_x) {
  HALO_CHECK(grad_x != nullptr) << "ActivationBackward: null grad_x";
  CheckOn(x.device(), grad_y, "ActivationBackward", "grad_y");
  CheckOn(x.device(), *grad_x, "ActivationBackward", "grad_x");
  HALO_CHECK(grad_y.SameShape(x) && grad_x->SameShape(x))
      << "ActivationBackward: grad_y [" << grad_y.rows() << " x " << grad_y.cols()
      << "] and grad_x [" << grad_x->rows() << " x " << grad_x->cols() << "] must match x ["
      << x.rows() << " x " << x.cols() << "]";
  return HALO_DISPATCH(x.device(), ActivationBackward, act, slope, x, grad_y, grad_x);
}

void DropoutForward(float p, uint64_t seed, const core::Tensor& x, core::Tensor* y,
                    core::Array<uint8_t>* mask) {
  HALO_CHECK(y != nullptr && mask != nullptr) << "DropoutForward: null y or mask";
  HALO_CHECK(p >= 0.0f && p < 1.0f) << "DropoutForward: p must be in [0, 1), got " << p;
  CheckOn(x.device(), *y, "DropoutForward", "y");
  CheckOn(x.device(), *mask, "DropoutForward", "mask");
  HALO_CHECK(y->SameShape(x) && mask->size() == x.numel())
      << "DropoutForward: y [" << y->rows() << " x " << y->cols() << "] and mask (" << mask->size()
      << " entries) must match x [" << x.rows() << " x " << x.cols() << "]";
  return HALO_DISPATCH(x.device(), DropoutForward, p, seed, x, y, mask);
}

void DropoutBackward(float p, const core::Array<uint8_t>& mask, const core::Tensor& grad_y,
                     core::Tensor* grad_x) {
  HALO_CHECK(grad_x != nullptr) << "DropoutBackward: null grad_x";
  HALO_CHECK(p >= 0.0f && p < 1.0f) << "DropoutBackward: p must be in [0, 1), got " << p;
  CheckOn(grad_y.device(), mask, "DropoutBackward", "mask");
  CheckOn(grad_y.device(), *grad_x, "DropoutBackward", "grad_x");
  HALO_CHECK(grad_x->SameShape(grad_y) && mask.size() == grad_y.numel())
      << "DropoutBackward: grad_x [" << grad_x->rows() << " x " << grad_x->cols() << "] and mask ("
      << mask.size() << " entries) must match grad_y [" << grad_y.rows() << " x " << grad_y.cols()
      << "]";
  return HALO_DISPATCH(grad_y.device(), DropoutBackward, p, mask, grad_y, grad_x);
}

bool DropoutKeep(float p, uint64_t seed, int64_t i) { return DropoutKeepHash(p, seed, i); }

}  // namespace halo::kernels
