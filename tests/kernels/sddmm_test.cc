#include "kernels/sddmm.h"

#include <gtest/gtest.h>

#include <tuple>
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

std::vector<double> NaiveSddmm(const Graph& g, SddmmOp op, const Tensor& dst, const Tensor& src,
                               int64_t heads) {
  const int64_t cols = dst.cols();
  const int64_t feats = cols / heads;
  const std::vector<float> d = dst.ToVector();
  const std::vector<float> s = src.ToVector();
  std::vector<double> out(g.edges() * heads, 0.0);
  for (int64_t v = 0; v < g.rows(); ++v) {
    for (int64_t e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; ++e) {
      const int64_t u = g.csr.indices[e];
      for (int64_t h = 0; h < heads; ++h) {
        if (op == SddmmOp::kAdd) {
          out[e * heads + h] = static_cast<double>(d[v * heads + h]) + s[u * heads + h];
          continue;
        }
        for (int64_t f = 0; f < feats; ++f) {
          out[e * heads + h] +=
              static_cast<double>(d[v * cols + h * feats + f]) * s[u * cols + h * feats + f];
        }
      }
    }
  }
  return out;
}

// The transposed loops written plainly: every edge adds into both endpoints.
void NaiveSddmmBackward(const Graph& g, SddmmOp op, const Tensor& dst, const Tensor& src,
                        int64_t heads, const Tensor& grad_out, std::vector<double>* gd,
                        std::vector<double>* gs) {
  const int64_t cols = dst.cols();
  const int64_t feats = cols / heads;
  const std::vector<float> d = dst.ToVector();
  const std::vector<float> s = src.ToVector();
  const std::vector<float> go = grad_out.ToVector();
  gd->assign(dst.numel(), 0.0);
  gs->assign(src.numel(), 0.0);
  for (int64_t v = 0; v < g.rows(); ++v) {
    for (int64_t e = g.csr.indptr[v]; e < g.csr.indptr[v + 1]; ++e) {
      const int64_t u = g.csr.indices[e];
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t h = op == SddmmOp::kAdd ? c : c / feats;
        const double ge = go[e * heads + h];
        (*gd)[v * cols + c] += op == SddmmOp::kAdd ? ge : ge * s[u * cols + c];
        (*gs)[u * cols + c] += op == SddmmOp::kAdd ? ge : ge * d[v * cols + c];
      }
    }
  }
}

using Param = std::tuple<SddmmOp, int64_t, int64_t>;  // op, heads, feats

class SddmmTest : public ::testing::TestWithParam<Param> {};

TEST_P(SddmmTest, MatchesNaive) {
  const auto [op, heads, feats] = GetParam();
  const int64_t cols = op == SddmmOp::kAdd ? heads : heads * feats;
  const Graph g = MakeGraph(31, 19, 21 + cols);
  const Tensor dst = RandomTensor(g.rows(), cols, 1);
  const Tensor src = RandomTensor(g.num_cols, cols, 2);
  Tensor out = Poisoned(g.edges(), heads);
  SDDMM(g.view(), op, dst, src, heads, &out);
  ExpectClose(out.ToVector(), NaiveSddmm(g, op, dst, src, heads), 1e-5, 1e-5, "out");

  const Tensor grad_out = RandomTensor(g.edges(), heads, 3);
  Tensor grad_dst = Poisoned(g.rows(), cols);
  Tensor grad_src = Poisoned(g.num_cols, cols);
  SDDMMBackward(g.view(), op, dst, src, heads, grad_out, &grad_dst, &grad_src);
  std::vector<double> gd, gs;
  NaiveSddmmBackward(g, op, dst, src, heads, grad_out, &gd, &gs);
  ExpectClose(grad_dst.ToVector(), gd, 1e-5, 1e-5, "grad_dst");
  ExpectClose(grad_src.ToVector(), gs, 1e-5, 1e-5, "grad_src");

  // Either gradient alone gives the same values.
  Tensor only_src = Poisoned(g.num_cols, cols);
  SDDMMBackward(g.view(), op, dst, src, heads, grad_out, nullptr, &only_src);
  EXPECT_EQ(only_src.ToVector(), grad_src.ToVector());
  Tensor only_dst = Poisoned(g.rows(), cols);
  SDDMMBackward(g.view(), op, dst, src, heads, grad_out, &only_dst, nullptr);
  EXPECT_EQ(only_dst.ToVector(), grad_dst.ToVector());
}

INSTANTIATE_TEST_SUITE_P(Ops, SddmmTest,
                         ::testing::Combine(::testing::Values(SddmmOp::kDot, SddmmOp::kAdd),
                                            ::testing::Values(int64_t{1}, int64_t{4}),
                                            ::testing::Values(int64_t{1}, int64_t{3},
                                                              int64_t{16})));

TEST(SddmmGradientTest, FiniteDifferences) {
  for (SddmmOp op : {SddmmOp::kDot, SddmmOp::kAdd}) {
    SCOPED_TRACE(op == SddmmOp::kDot ? "dot" : "add");
    const int64_t heads = 2;
    const int64_t cols = op == SddmmOp::kDot ? heads * 3 : heads;
    const Graph g = MakeGraph(8, 6, 17);
    Tensor dst = RandomTensor(g.rows(), cols, 1);
    Tensor src = RandomTensor(g.num_cols, cols, 2);
    const std::vector<float> r = RandomVector(g.edges() * heads, 3);
    const Tensor r_t = Tensor::FromVector(r, g.edges(), heads);
    Tensor out(g.edges(), heads);
    auto loss = [&] {
      SDDMM(g.view(), op, dst, src, heads, &out);
      return Dot(r, out);
    };
    Tensor grad_dst(g.rows(), cols);
    Tensor grad_src(g.num_cols, cols);
    SDDMMBackward(g.view(), op, dst, src, heads, r_t, &grad_dst, &grad_src);
    CheckFiniteDifferences(&dst, grad_dst.ToVector(), loss, 1e-2, 2e-3, 1e-3, "d/ddst");
    CheckFiniteDifferences(&src, grad_src.ToVector(), loss, 1e-2, 2e-3, 1e-3, "d/dsrc");
  }
}

}  // namespace
}  // namespace halo::kernels
