#include "kernels/optim.h"

#include "kernels/dispatch.h"

namespace halo::kernels {

using internal::CheckOn;

namespace {

void CheckLike(const char* op, const char* name, const core::Tensor& param, const core::Tensor& t) {
  CheckOn(param.device(), t, op, name);
  HALO_CHECK(t.SameShape(param)) << op << ": " << name << " is [" << t.rows() << " x " << t.cols()
                                 << "], param is [" << param.rows() << " x " << param.cols() << "]";
}

}  // namespace

void SgdStep(float lr, float momentum, float weight_decay, int64_t step, const core::Tensor& grad,
             core::Tensor* momentum_buf, core::Tensor* param) {
  HALO_CHECK(param != nullptr) << "SgdStep: null param";
  HALO_CHECK(step >= 1) << "SgdStep: step counts from 1, got " << step;
  CheckLike("SgdStep", "grad", *param, grad);
  if (momentum != 0.0f) {
    HALO_CHECK(momentum_buf != nullptr) << "SgdStep: momentum needs a buffer";
    CheckLike("SgdStep", "momentum_buf", *param, *momentum_buf);
  }
  return HALO_DISPATCH(param->device(), SgdStep, lr, momentum, weight_decay, step, grad,
                       momentum_buf, param);
}

void AdamStep(float lr, float beta1, float beta2, float eps, float weight_decay, bool decoupled,
              int64_t step, const core::Tensor& grad, core::Tensor* m, core::Tensor* v,
              core::Tensor* param) {
  HALO_CHECK(param != nullptr && m != nullptr && v != nullptr) << "AdamStep: null m, v or param";
  HALO_CHECK(step >= 1) << "AdamStep: step counts from 1, got " << step;
  CheckLike("AdamStep", "grad", *param, grad);
  CheckLike("AdamStep", "m", *param, *m);
  CheckLike("AdamStep", "v", *param, *v);
  return HALO_DISPATCH(param->device(), AdamStep, lr, beta1, beta2, eps, weight_decay, decoupled,
                       step, grad, m, v, param);
}

}  // namespace halo::kernels
