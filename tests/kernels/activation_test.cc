#include "kernels/activation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/dropout_hash.h"
#include "tests/kernels/kernel_test_util.h"

namespace halo::kernels {
namespace {

using core::Tensor;
using testing::CheckFiniteDifferences;
using testing::Dot;
using testing::ExpectClose;
using testing::Poisoned;
using testing::RandomTensor;
using testing::RandomVector;

double NaiveAct(Activation act, double slope, double x) {
  switch (act) {
    case Activation::kNone:
      return x;
    case Activation::kRelu:
      return x > 0 ? x : 0;
    case Activation::kElu:
      return x > 0 ? x : std::exp(x) - 1;
    case Activation::kLeakyRelu:
      return x > 0 ? x : slope * x;
  }
  return 0;
}

double NaiveActGrad(Activation act, double slope, double x) {
  switch (act) {
    case Activation::kNone:
      return 1;
    case Activation::kRelu:
      return x > 0 ? 1 : 0;
    case Activation::kElu:
      return x > 0 ? 1 : std::exp(x);
    case Activation::kLeakyRelu:
      return x > 0 ? 1 : slope;
  }
  return 0;
}

// Inputs kept away from the kink at 0 so central differences stay on one side.
Tensor AwayFromZero(int64_t rows, int64_t cols, uint64_t seed) {
  std::vector<float> v = RandomVector(rows * cols, seed, -2.0f, 2.0f);
  for (float& x : v) x = x >= 0 ? x + 0.1f : x - 0.1f;
  return Tensor::FromVector(v, rows, cols);
}

class ActivationTest : public ::testing::TestWithParam<Activation> {};

TEST_P(ActivationTest, ForwardBackwardMatchNaiveAndFiniteDifferences) {
  const Activation act = GetParam();
  const float slope = 0.2f;
  Tensor x = AwayFromZero(6, 7, 1);
  const std::vector<float> xv = x.ToVector();
  Tensor y = Poisoned(6, 7);
  ActivationForward(act, slope, x, &y);
  std::vector<double> want(xv.size());
  for (size_t i = 0; i < xv.size(); ++i) want[i] = NaiveAct(act, slope, xv[i]);
  ExpectClose(y.ToVector(), want, 1e-6, 1e-6, "y");

  const std::vector<float> r = RandomVector(x.numel(), 2);
  const Tensor grad_y = Tensor::FromVector(r, 6, 7);
  Tensor grad_x = Poisoned(6, 7);
  ActivationBackward(act, slope, x, grad_y, &grad_x);
  for (size_t i = 0; i < xv.size(); ++i) want[i] = r[i] * NaiveActGrad(act, slope, xv[i]);
  ExpectClose(grad_x.ToVector(), want, 1e-6, 1e-6, "grad_x");

  auto loss = [&] {
    ActivationForward(act, slope, x, &y);
    return Dot(r, y);
  };
  CheckFiniteDifferences(&x, grad_x.ToVector(), loss, 1e-2, 1e-3, 1e-2, "d/dx");

  // In place: y aliases x, grad_x aliases grad_y.
  ActivationForward(act, slope, x, &y);
  Tensor inplace = x.Clone();
  ActivationForward(act, slope, inplace, &inplace);
  EXPECT_EQ(inplace.ToVector(), y.ToVector());
  Tensor g_inplace = grad_y.Clone();
  ActivationBackward(act, slope, x, g_inplace, &g_inplace);
  EXPECT_EQ(g_inplace.ToVector(), grad_x.ToVector());
}

INSTANTIATE_TEST_SUITE_P(All, ActivationTest,
                         ::testing::Values(Activation::kNone, Activation::kRelu, Activation::kElu,
                                           Activation::kLeakyRelu));

TEST(ActivationParseTest, Names) {
  EXPECT_EQ(ParseActivation("none").value(), Activation::kNone);
  EXPECT_EQ(ParseActivation("relu").value(), Activation::kRelu);
  EXPECT_EQ(ParseActivation("elu").value(), Activation::kElu);
  EXPECT_EQ(ParseActivation("leaky_relu").value(), Activation::kLeakyRelu);
  const auto bad = ParseActivation("gelu");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument);
}

TEST(DropoutTest, MaskRateScalingAndDeterminism) {
  const int64_t n = 100000;
  const float p = 0.3f;
  const Tensor x = RandomTensor(n / 100, 100, 1, 0.5f, 1.5f);  // no zeros in x
  Tensor y = Poisoned(n / 100, 100);
  core::Array<uint8_t> mask(n);
  DropoutForward(p, /*seed=*/42, x, &y, &mask);
  const std::vector<float> xv = x.ToVector();
  const std::vector<float> yv = y.ToVector();
  const std::vector<uint8_t> mv = mask.ToVector();
  const float scale = 1.0f / (1.0f - p);
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_TRUE(mv[i] == 0 || mv[i] == 1);
    ASSERT_EQ(mv[i] == 1, DropoutKeep(p, 42, i)) << i;
    ASSERT_EQ(yv[i], mv[i] ? xv[i] * scale : 0.0f) << i;
    kept += mv[i];
  }
  // Binomial(1e5, 0.7) has sd ~145: 0.01 is ~7 sd.
  EXPECT_NEAR(static_cast<double>(kept) / n, 1.0 - p, 0.01);

  // Same seed, same mask; another seed, another mask.
  Tensor y2(n / 100, 100);
  core::Array<uint8_t> mask2(n);
  DropoutForward(p, 42, x, &y2, &mask2);
  EXPECT_EQ(mask2.ToVector(), mv);
  EXPECT_EQ(y2.ToVector(), yv);
  DropoutForward(p, 43, x, &y2, &mask2);
  EXPECT_NE(mask2.ToVector(), mv);

  // Backward routes the gradient through the same mask and scale.
  const Tensor gy = RandomTensor(n / 100, 100, 2);
  Tensor gx = Poisoned(n / 100, 100);
  DropoutBackward(p, mask, gy, &gx);
  const std::vector<float> gyv = gy.ToVector();
  const std::vector<float> gxv = gx.ToVector();
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(gxv[i], mv[i] ? gyv[i] * scale : 0.0f) << i;
}

TEST(DropoutTest, ZeroProbabilityCopiesAndInPlaceWorks) {
  const Tensor x = RandomTensor(10, 10, 1);
  Tensor y = Poisoned(10, 10);
  core::Array<uint8_t> mask(100);
  DropoutForward(0.0f, 7, x, &y, &mask);
  EXPECT_EQ(y.ToVector(), x.ToVector());
  EXPECT_EQ(mask.ToVector(), std::vector<uint8_t>(100, 1));

  Tensor inplace = x.Clone();
  DropoutForward(0.5f, 7, inplace, &inplace, &mask);
  Tensor out(10, 10);
  core::Array<uint8_t> mask2(100);
  DropoutForward(0.5f, 7, x, &out, &mask2);
  EXPECT_EQ(inplace.ToVector(), out.ToVector());
}

// The header formula is the contract the CUDA kernels replicate: pin it, written out here.
// One splitmix64 hash per block of 4 elements, 16 bits per element.
TEST(DropoutTest, HashIsTheDocumentedFormula) {
  for (int64_t i : {int64_t{0}, int64_t{1}, int64_t{3}, int64_t{12345}, int64_t{1} << 40}) {
    uint64_t z = 99ull ^ (static_cast<uint64_t>(i / 4) * 0x9E3779B97F4A7C15ull);
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    const float u = static_cast<float>((z >> (16 * (i % 4))) & 0xFFFF) / 65536.0f;
    EXPECT_EQ(DropoutUniform(99, i), u) << i;
    EXPECT_EQ(DropoutKeep(0.4f, 99, i), u >= 0.4f) << i;
  }
}

}  // namespace
}  // namespace halo::kernels
