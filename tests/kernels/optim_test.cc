#include "kernels/optim.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/kernels/kernel_test_util.h"

namespace halo::kernels {
namespace {

using core::Tensor;
using testing::ExpectClose;
using testing::RandomTensor;
using testing::RandomVector;

constexpr int kSteps = 5;
constexpr int64_t kN = 37;

// torch.optim.SGD(momentum, weight_decay, dampening=0, nesterov=False), written out in double.
TEST(SgdTest, MatchesReferenceOverSteps) {
  for (float momentum : {0.0f, 0.9f}) {
    SCOPED_TRACE(momentum);
    const double lr = 0.1f, wd = 0.01f;
    Tensor param = RandomTensor(kN, 1, 1);
    // Step 1 must overwrite the buffer, whatever it holds.
    Tensor buf = RandomTensor(kN, 1, 77);
    const std::vector<float> p0 = param.ToVector();
    std::vector<double> p(p0.begin(), p0.end());
    std::vector<double> b(kN, 0.0);
    for (int step = 1; step <= kSteps; ++step) {
      const std::vector<float> g = RandomVector(kN, 100 + step);
      SgdStep(lr, momentum, wd, step, Tensor::FromVector(g, kN, 1), &buf, &param);
      for (int64_t i = 0; i < kN; ++i) {
        double d = g[i] + wd * p[i];
        if (momentum != 0.0f) {
          b[i] = step == 1 ? d : static_cast<double>(momentum) * b[i] + d;
          d = b[i];
        }
        p[i] -= lr * d;
      }
    }
    ExpectClose(param.ToVector(), p, 1e-6, 1e-5, "param");
  }
}

// torch.optim.Adam (L2 in the gradient) and AdamW (decoupled decay), written out in double.
TEST(AdamTest, MatchesReferenceOverSteps) {
  for (bool decoupled : {false, true}) {
    SCOPED_TRACE(decoupled ? "AdamW" : "Adam");
    // The kernel takes float hyperparameters: the reference uses the same (rounded) values.
    const double lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.05f;
    Tensor param = RandomTensor(kN, 1, 2);
    Tensor m = Tensor::Zeros(kN, 1);
    Tensor v = Tensor::Zeros(kN, 1);
    const std::vector<float> p0 = param.ToVector();
    std::vector<double> p(p0.begin(), p0.end()), mr(kN, 0.0), vr(kN, 0.0);
    for (int step = 1; step <= kSteps; ++step) {
      const std::vector<float> g = RandomVector(kN, 200 + step);
      AdamStep(lr, b1, b2, eps, wd, decoupled, step, Tensor::FromVector(g, kN, 1), &m, &v, &param);
      for (int64_t i = 0; i < kN; ++i) {
        double gi = g[i];
        if (decoupled) {
          p[i] *= 1.0 - lr * wd;
        } else {
          gi += wd * p[i];
        }
        mr[i] = b1 * mr[i] + (1 - b1) * gi;
        vr[i] = b2 * vr[i] + (1 - b2) * gi * gi;
        const double mhat = mr[i] / (1 - std::pow(b1, step));
        const double vhat = vr[i] / (1 - std::pow(b2, step));
        p[i] -= lr * mhat / (std::sqrt(vhat) + eps);
      }
    }
    ExpectClose(param.ToVector(), p, 1e-6, 1e-5, "param");
    ExpectClose(m.ToVector(), mr, 1e-7, 1e-5, "m");
    ExpectClose(v.ToVector(), vr, 1e-9, 1e-5, "v");
  }
}

}  // namespace
}  // namespace halo::kernels
