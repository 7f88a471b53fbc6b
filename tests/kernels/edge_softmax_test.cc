#include "kernels/edge_softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/kernels/kernel_test_util.h"

namespace halo::kernels {
namespace {

using core::Tensor;
using testing::CheckFiniteDifferences;
using testing::Dot;
using testing::ExpectClose;
using testing::Graph;
using testing::MakeGraph;
using testing::Poisoned;
using testing::RandomTensor;
using testing::RandomVector;

std::vector<double> NaiveSoftmax(const Graph& g, const Tensor& scores) {
  const int64_t heads = scores.cols();
  const std::vector<float> s = scores.ToVector();
  std::vector<double> out(s.size(), 0.0);
  for (int64_t v = 0; v < g.rows(); ++v) {
    for (int64_t h = 0; h < heads; ++h) {
      double m = -INFINITY;
      for (int64_t e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; ++e) {
        m = std::max(m, static_cast<double>(s[e * heads + h]));
      }
      double sum = 0.0;
      for (int64_t e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; ++e) {
        sum += std::exp(s[e * heads + h] - m);
      }
      for (int64_t e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; ++e) {
        out[e * heads + h] = std::exp(s[e * heads + h] - m) / sum;
      }
    }
  }
  return out;
}

std::vector<double> NaiveSoftmaxBackward(const Graph& g, const Tensor& probs,
                                         const Tensor& grad_probs) {
  const int64_t heads = probs.cols();
  const std::vector<float> p = probs.ToVector();
  const std::vector<float> gp = grad_probs.ToVector();
  std::vector<double> gs(p.size(), 0.0);
  for (int64_t v = 0; v < g.rows(); ++v) {
    for (int64_t h = 0; h < heads; ++h) {
      double dot = 0.0;
      for (int64_t e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; ++e) {
        dot += static_cast<double>(p[e * heads + h]) * gp[e * heads + h];
      }
      for (int64_t e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; ++e) {
        gs[e * heads + h] = p[e * heads + h] * (gp[e * heads + h] - dot);
      }
    }
  }
  return gs;
}

class EdgeSoftmaxTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(EdgeSoftmaxTest, MatchesNaive) {
  const int64_t heads = GetParam();
  const Graph g = MakeGraph(41, 17, 8);
  const Tensor scores = RandomTensor(g.edges(), heads, 1, -3.0f, 3.0f);
  Tensor probs = Poisoned(g.edges(), heads);
  EdgeSoftmax(g.view(), scores, &probs);
  ExpectClose(probs.ToVector(), NaiveSoftmax(g, scores), 1e-6, 1e-5, "probs");

  const Tensor grad_probs = RandomTensor(g.edges(), heads, 2);
  Tensor grad_scores = Poisoned(g.edges(), heads);
  EdgeSoftmaxBackward(g.view(), probs, grad_probs, &grad_scores);
  ExpectClose(grad_scores.ToVector(), NaiveSoftmaxBackward(g, probs, grad_probs), 1e-6, 1e-5,
              "grad_scores");
}

INSTANTIATE_TEST_SUITE_P(Heads, EdgeSoftmaxTest, ::testing::Values(1, 4));

// Scores far beyond exp()'s float range still give probabilities that sum to one.
TEST(EdgeSoftmaxStabilityTest, LargeScores) {
  const Graph g = MakeGraph(20, 10, 4);
  const int64_t heads = 2;
  const Tensor scores = RandomTensor(g.edges(), heads, 5, 500.0f, 1000.0f);
  Tensor probs(g.edges(), heads);
  EdgeSoftmax(g.view(), scores, &probs);
  const std::vector<float> p = probs.ToVector();
  for (int64_t v = 0; v < g.rows(); ++v) {
    if (g.csr.degree(v) == 0) continue;
    for (int64_t h = 0; h < heads; ++h) {
      double sum = 0.0;
      for (int64_t e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; ++e) {
        ASSERT_TRUE(std::isfinite(p[e * heads + h]));
        sum += p[e * heads + h];
      }
      EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << v << " head " << h;
    }
  }
  ExpectClose(p, NaiveSoftmax(g, scores), 1e-6, 1e-4, "probs");
}

// L = sum(R .* softmax(s)); the backward of the kernel's own forward against central differences.
TEST(EdgeSoftmaxGradientTest, FiniteDifferences) {
  const Graph g = MakeGraph(8, 5, 12);
  const int64_t heads = 2;
  Tensor scores = RandomTensor(g.edges(), heads, 1, -2.0f, 2.0f);
  const std::vector<float> r = RandomVector(g.edges() * heads, 2);
  Tensor probs(g.edges(), heads);
  auto loss = [&] {
    EdgeSoftmax(g.view(), scores, &probs);
    return Dot(r, probs);
  };
  loss();
  Tensor grad_scores(g.edges(), heads);
  EdgeSoftmaxBackward(g.view(), probs, Tensor::FromVector(r, g.edges(), heads), &grad_scores);
  CheckFiniteDifferences(&scores, grad_scores.ToVector(), loss, 5e-3, 1e-3, 1e-2, "d/ds");
}

}  // namespace
}  // namespace halo::kernels
