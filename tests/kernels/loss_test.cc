#include "kernels/loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/kernels/kernel_test_util.h"

namespace halo::kernels {
namespace {

using core::Tensor;
using testing::ExpectClose;
using testing::Poisoned;
using testing::RandomTensor;

// Mean cross-entropy over labeled rows, in double, with its own log-sum-exp.
double NaiveLoss(const std::vector<float>& x, const std::vector<int64_t>& labels, int64_t cols) {
  double total = 0.0;
  int64_t count = 0;
  for (size_t r = 0; r < labels.size(); ++r) {
    if (labels[r] < 0) continue;
    double m = -INFINITY;
    for (int64_t c = 0; c < cols; ++c) m = std::max(m, static_cast<double>(x[r * cols + c]));
    double sum = 0.0;
    for (int64_t c = 0; c < cols; ++c) sum += std::exp(x[r * cols + c] - m);
    total += m + std::log(sum) - x[r * cols + labels[r]];
    ++count;
  }
  return count == 0 ? 0.0 : total / count;
}

TEST(SoftmaxCrossEntropyTest, LossAndGradientMatchReferenceAndFiniteDifferences) {
  const int64_t rows = 6, cols = 5;
  const std::vector<int64_t> labels = {0, -1, 4, 2, -1, 2};
  Tensor logits = RandomTensor(rows, cols, 1, -3.0f, 3.0f);
  const auto lab = core::Array<int64_t>::FromVector(labels);
  Tensor grad = Poisoned(rows, cols);
  const float loss = SoftmaxCrossEntropy(logits, lab, &grad);
  EXPECT_NEAR(loss, NaiveLoss(logits.ToVector(), labels, cols), 1e-6);

  // Analytic gradient in double: (softmax - onehot) / count on labeled rows.
  const std::vector<float> x = logits.ToVector();
  std::vector<double> want(rows * cols, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    if (labels[r] < 0) continue;
    double m = -INFINITY, sum = 0.0;
    for (int64_t c = 0; c < cols; ++c) m = std::max(m, static_cast<double>(x[r * cols + c]));
    for (int64_t c = 0; c < cols; ++c) sum += std::exp(x[r * cols + c] - m);
    for (int64_t c = 0; c < cols; ++c) {
      want[r * cols + c] = (std::exp(x[r * cols + c] - m) / sum - (c == labels[r])) / 4.0;
    }
  }
  ExpectClose(grad.ToVector(), want, 1e-7, 1e-5, "grad");

  // Central differences of the double reference loss at the float logits.
  std::vector<double> numeric(rows * cols);
  const double eps = 1e-3;
  for (int64_t i = 0; i < rows * cols; ++i) {
    std::vector<float> plus = x, minus = x;
    plus[i] += static_cast<float>(eps);
    minus[i] -= static_cast<float>(eps);
    numeric[i] = (NaiveLoss(plus, labels, cols) - NaiveLoss(minus, labels, cols)) /
                 (static_cast<double>(plus[i]) - minus[i]);
  }
  ExpectClose(grad.ToVector(), numeric, 1e-6, 1e-4, "grad vs finite differences");
}

TEST(SoftmaxCrossEntropyTest, StableForHugeLogits) {
  const std::vector<int64_t> labels = {1, 0};
  const Tensor logits = Tensor::FromVector({1000.0f, 999.0f, -1000.0f, 2000.0f}, 2, 2);
  Tensor grad(2, 2);
  const float loss = SoftmaxCrossEntropy(logits, core::Array<int64_t>::FromVector(labels), &grad);
  // Row 0: log(1 + e^-1) + 1; row 1: 3000 (softplus of the 3000 gap).
  const double want = (std::log1p(std::exp(-1.0)) + 1.0 + 3000.0) / 2.0;
  EXPECT_NEAR(loss, want, 1e-3);
  for (float g : grad.ToVector()) EXPECT_TRUE(std::isfinite(g));
  EXPECT_NEAR(grad.data()[2], -0.5f, 1e-6);  // row 1: softmax = (0, 1), label 0
  EXPECT_NEAR(grad.data()[3], 0.5f, 1e-6);
}

TEST(SoftmaxCrossEntropyTest, NoLabeledRowsGivesZero) {
  const Tensor logits = RandomTensor(3, 4, 1);
  Tensor grad = Poisoned(3, 4);
  const float loss =
      SoftmaxCrossEntropy(logits, core::Array<int64_t>::FromVector({-1, -1, -1}), &grad);
  EXPECT_EQ(loss, 0.0f);
  EXPECT_EQ(grad.ToVector(), std::vector<float>(12, 0.0f));
}

TEST(CountCorrectTest, FirstMaximumAndUnlabeledRows) {
  const Tensor logits = Tensor::FromVector({1, 3, 3,  //
                                            5, 1, 0,  //
                                            0, 0, 9,  //
                                            2, 2, 2},
                                           4, 3);
  // Row 0 ties at 1 and 2: the first (1) counts. Row 3 is unlabeled.
  EXPECT_EQ(CountCorrect(logits, core::Array<int64_t>::FromVector({1, 0, 2, -1})), 3);
  EXPECT_EQ(CountCorrect(logits, core::Array<int64_t>::FromVector({2, 1, 2, 0})), 2);
}

}  // namespace
}  // namespace halo::kernels
