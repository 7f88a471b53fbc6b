// Independent gradient checks of the trainer's layers, loss and model.
//
// Every layer's float Forward is compared with a naive double-precision forward written here
// from the math in the layer headers (plain loops over the block's edges; self-loops and GCN
// normalization recomputed from their definitions), and every Backward (d/dx and each
// parameter's grad) with central finite differences of that double forward, for the scalar loss
// L = sum(out .* R) with a fixed random R. The model tests are a smoke check that the layers are
// chained correctly (float finite differences of Model::Forward itself), plus dropout
// determinism.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/csr.h"
#include "core/random.h"
#include "core/tensor.h"
#include "kernels/activation.h"
#include "kernels/loss.h"
#include "kernels/normalize.h"
#include "sampler/block.h"
#include "trainer/config.h"
#include "trainer/graph_block.h"
#include "trainer/init.h"
#include "trainer/layers/gat.h"
#include "trainer/layers/gcn.h"
#include "trainer/layers/sage.h"
#include "trainer/model.h"

namespace halo::trainer {
namespace {

using core::Device;
using core::Tensor;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

constexpr double kFdEps = 1e-5;       // central-difference step on the double references
constexpr double kForwardTol = 1e-4;  // float forward vs double reference, relative (floor 1)
// Analytic (float) vs numeric (double) gradients, relative with floor 1. Float rounding alone
// gives ~1e-6, so this leaves a wide margin and still catches a wrong term.
constexpr double kGradTol = 1e-4;
constexpr double kKinkMargin = 1e-3;  // distance the references keep from ReLU / max kinks
// Every checked gradient must have an element at least this large, or its check proves nothing
// (e.g. GAT's attn_dst gradient vanishes when no destination's logits straddle LeakyReLU's kink).
constexpr double kNonTrivial = 1e-2;

// ---------------------------------------------------------------------------------------------
// Dense double matrices and random values.

struct Mat {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> v;

  Mat() = default;
  Mat(int64_t r, int64_t c) : rows(r), cols(c), v(static_cast<size_t>(r * c), 0.0) {}
  double& operator()(int64_t r, int64_t c) { return v[static_cast<size_t>(r * cols + c)]; }
  double operator()(int64_t r, int64_t c) const { return v[static_cast<size_t>(r * cols + c)]; }
};

Mat MatMul(const Mat& a, const Mat& b) {
  EXPECT_EQ(a.cols, b.rows);
  Mat c(a.rows, b.cols);
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t k = 0; k < a.cols; ++k) {
      for (int64_t j = 0; j < b.cols; ++j) c(i, j) += a(i, k) * b(k, j);
    }
  }
  return c;
}

void AddRowBias(const Mat& bias, Mat* x) {
  EXPECT_EQ(bias.rows, 1);
  EXPECT_EQ(bias.cols, x->cols);
  for (int64_t r = 0; r < x->rows; ++r) {
    for (int64_t c = 0; c < x->cols; ++c) (*x)(r, c) += bias(0, c);
  }
}

double Dot(const Mat& a, const Mat& b) {
  EXPECT_EQ(a.v.size(), b.v.size());
  double acc = 0.0;
  for (size_t i = 0; i < a.v.size(); ++i) acc += a.v[i] * b.v[i];
  return acc;
}

Mat ToMat(const Tensor& t) {
  Mat m(t.rows(), t.cols());
  const std::vector<float> f = t.ToVector();
  for (size_t i = 0; i < f.size(); ++i) m.v[i] = f[i];
  return m;
}

Tensor ToTensor(const Mat& m) {
  std::vector<float> f(m.v.size());
  for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(m.v[i]);
  return Tensor::FromVector(f, m.rows, m.cols);
}

// Random values that are exactly representable in float, so the float layer and the double
// reference see identical inputs. core::Rng is the same on every platform.
Mat RandomMat(int64_t rows, int64_t cols, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  core::Rng rng(MixSeed(seed, 0x5eed));  // unrelated streams for nearby seeds
  Mat m(rows, cols);
  for (double& x : m.v) x = static_cast<float>(lo + (hi - lo) * rng.UniformDouble());
  return m;
}

// ---------------------------------------------------------------------------------------------
// Blocks and their naive view.

sampler::Block MakeBlock(int64_t num_src, const std::vector<std::vector<int64_t>>& rows) {
  sampler::Block b;
  b.num_dst = static_cast<int64_t>(rows.size());
  b.num_src = num_src;
  for (const auto& row : rows) {
    for (int64_t u : row) b.csr.indices.push_back(u);
    b.csr.indptr.push_back(static_cast<int64_t>(b.csr.indices.size()));
  }
  EXPECT_TRUE(b.Validate().ok()) << b.Validate().ToString();
  return b;
}

// 9 sources, 5 destinations: dst 0 and 4 have several in-edges, dst 1 none, dst 2 already has its
// self-loop, source 8 feeds nothing (rows sorted, as the sampler emits them).
sampler::Block SmallBlock() {
  return MakeBlock(9, {{1, 3, 6}, {}, {0, 2, 5, 7}, {4}, {0, 1, 6, 7}});
}

// The in-neighbors of each destination as the references read them, in CSR order.
struct RefGraph {
  int64_t num_dst = 0;
  int64_t num_src = 0;
  std::vector<std::vector<int64_t>> in;
};

// With `self_loops`, every destination v gets the edge v -> v unless it already has it (rows stay
// sorted), as graph_block.h defines.
RefGraph MakeRefGraph(const sampler::Block& b, bool self_loops) {
  RefGraph g;
  g.num_dst = b.num_dst;
  g.num_src = b.num_src;
  g.in.resize(static_cast<size_t>(b.num_dst));
  for (int64_t v = 0; v < b.num_dst; ++v) {
    auto& row = g.in[static_cast<size_t>(v)];
    for (int64_t e = b.csr.indptr[v]; e < b.csr.indptr[v + 1]; ++e) row.push_back(b.csr.indices[e]);
    if (self_loops && std::find(row.begin(), row.end(), v) == row.end()) row.push_back(v);
    std::sort(row.begin(), row.end());
  }
  return g;
}

// w(u -> v) = 1 / sqrt(deg_out(u) * deg_in(v)) within the (self-looped) block, per CSR position.
std::vector<double> RefGcnWeights(const RefGraph& g) {
  std::vector<double> out_deg(static_cast<size_t>(g.num_src), 0.0);
  for (const auto& row : g.in) {
    for (int64_t u : row) out_deg[static_cast<size_t>(u)] += 1.0;
  }
  std::vector<double> w;
  for (const auto& row : g.in) {
    for (int64_t u : row) {
      w.push_back(1.0 /
                  std::sqrt(out_deg[static_cast<size_t>(u)] * static_cast<double>(row.size())));
    }
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// Naive double forwards. `in` holds "x" and every parameter under its short name ("weight", ...).

using Inputs = std::map<std::string, Mat>;
using RefForward = std::function<Mat(const Inputs&)>;

Mat RefGcn(const RefGraph& g, const Inputs& in) {
  const Mat xw = MatMul(in.at("x"), in.at("weight"));
  const std::vector<double> w = RefGcnWeights(g);
  Mat out(g.num_dst, xw.cols);
  size_t e = 0;
  for (int64_t v = 0; v < g.num_dst; ++v) {
    for (int64_t u : g.in[static_cast<size_t>(v)]) {
      for (int64_t c = 0; c < xw.cols; ++c) out(v, c) += w[e] * xw(u, c);
      ++e;
    }
  }
  AddRowBias(in.at("bias"), &out);
  return out;
}

// Adds x[v] W to row v of out for the destinations (the first num_dst source rows).
void AddRoot(const Mat& x, const Mat& w, Mat* out) {
  for (int64_t v = 0; v < out->rows; ++v) {
    for (int64_t k = 0; k < x.cols; ++k) {
      for (int64_t c = 0; c < w.cols; ++c) (*out)(v, c) += x(v, k) * w(k, c);
    }
  }
}

void NormalizeRows(Mat* out) {
  for (int64_t r = 0; r < out->rows; ++r) {
    double sq = 0.0;
    for (int64_t c = 0; c < out->cols; ++c) sq += (*out)(r, c) * (*out)(r, c);
    const double norm = std::max(std::sqrt(sq), static_cast<double>(kernels::kNormalizeEps));
    for (int64_t c = 0; c < out->cols; ++c) (*out)(r, c) /= norm;
  }
}

// `margin`, when given, receives the smallest distance of the pool path from a kink: |relu
// input| and the gap between each max and its runner-up.
Mat RefSage(const RefGraph& g, SageAggregator agg, bool root_weight, bool normalize,
            const Inputs& in, double* margin = nullptr) {
  const Mat& x = in.at("x");
  const int64_t d = x.cols;
  double kink = std::numeric_limits<double>::infinity();
  Mat aggregated(g.num_dst, d);
  if (agg == SageAggregator::kPool) {
    Mat pooled = MatMul(x, in.at("w_pool"));
    AddRowBias(in.at("b_pool"), &pooled);
    for (double& p : pooled.v) {
      kink = std::min(kink, std::fabs(p));
      p = std::max(p, 0.0);
    }
    for (int64_t v = 0; v < g.num_dst; ++v) {
      const auto& row = g.in[static_cast<size_t>(v)];
      for (int64_t c = 0; c < d; ++c) {
        if (row.empty()) continue;  // no in-edges: 0
        double best = -std::numeric_limits<double>::infinity();
        double second = -std::numeric_limits<double>::infinity();
        for (int64_t u : row) {
          const double p = pooled(u, c);
          if (p > best) {
            second = best;
            best = p;
          } else if (p > second) {
            second = p;
          }
        }
        if (best > 0.0 && row.size() > 1) kink = std::min(kink, best - second);
        aggregated(v, c) = best;
      }
    }
  } else {
    // mean (gcn: the graph carries self-loops).
    for (int64_t v = 0; v < g.num_dst; ++v) {
      const auto& row = g.in[static_cast<size_t>(v)];
      for (int64_t u : row) {
        for (int64_t c = 0; c < d; ++c) {
          aggregated(v, c) += x(u, c) / static_cast<double>(row.size());
        }
      }
    }
  }
  Mat out = MatMul(aggregated, in.at("w_neigh"));
  if (root_weight) AddRoot(x, in.at("w_root"), &out);
  AddRowBias(in.at("bias"), &out);
  if (normalize) NormalizeRows(&out);
  if (margin != nullptr) *margin = kink;
  return out;
}

struct GatSpec {
  int64_t heads = 1;
  int64_t head_dim = 3;
  bool concat = true;
  double slope = 0.2;
  float attn_dropout = 0.0f;  // applied (with DropoutKeep's mask) when > 0
  uint64_t dropout_seed = 0;  // the seed Forward receives
};

// `margin`, when given, receives the smallest |attention logit| before the LeakyReLU.
Mat RefGat(const RefGraph& g, const GatSpec& s, const Inputs& in, double* margin = nullptr) {
  const int64_t H = s.heads;
  const int64_t F = s.head_dim;
  const Mat z = MatMul(in.at("x"), in.at("weight"));
  const Mat& a_src = in.at("attn_src");
  const Mat& a_dst = in.at("attn_dst");
  Mat el(g.num_src, H);
  for (int64_t u = 0; u < g.num_src; ++u) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t f = 0; f < F; ++f) el(u, h) += z(u, h * F + f) * a_src(0, h * F + f);
    }
  }
  Mat er(g.num_dst, H);
  for (int64_t v = 0; v < g.num_dst; ++v) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t f = 0; f < F; ++f) er(v, h) += z(v, h * F + f) * a_dst(0, h * F + f);
    }
  }
  double kink = std::numeric_limits<double>::infinity();
  Mat heads_out(g.num_dst, H * F);
  int64_t e0 = 0;  // CSR position of the row's first edge
  for (int64_t v = 0; v < g.num_dst; ++v) {
    const auto& row = g.in[static_cast<size_t>(v)];
    const size_t n = row.size();
    for (int64_t h = 0; h < H; ++h) {
      std::vector<double> score(n);
      double m = -std::numeric_limits<double>::infinity();
      for (size_t k = 0; k < n; ++k) {
        const double raw = el(row[k], h) + er(v, h);
        kink = std::min(kink, std::fabs(raw));
        score[k] = raw > 0.0 ? raw : s.slope * raw;
        m = std::max(m, score[k]);
      }
      double denom = 0.0;
      for (size_t k = 0; k < n; ++k) denom += std::exp(score[k] - m);
      for (size_t k = 0; k < n; ++k) {
        double alpha = std::exp(score[k] - m) / denom;
        if (s.attn_dropout > 0.0f) {
          const int64_t i = (e0 + static_cast<int64_t>(k)) * H + h;
          alpha = kernels::DropoutKeep(s.attn_dropout, s.dropout_seed, i)
                      ? alpha / (1.0 - static_cast<double>(s.attn_dropout))
                      : 0.0;
        }
        for (int64_t f = 0; f < F; ++f) heads_out(v, h * F + f) += alpha * z(row[k], h * F + f);
      }
    }
    e0 += static_cast<int64_t>(n);
  }
  Mat out;
  if (s.concat) {
    out = heads_out;
  } else {
    out = Mat(g.num_dst, F);
    for (int64_t v = 0; v < g.num_dst; ++v) {
      for (int64_t h = 0; h < H; ++h) {
        for (int64_t f = 0; f < F; ++f) {
          out(v, f) += heads_out(v, h * F + f) / static_cast<double>(H);
        }
      }
    }
  }
  AddRowBias(in.at("bias"), &out);
  if (margin != nullptr) *margin = kink;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparison and the check harness.

// |got - want| <= tol * max(1, |want|) everywhere; on failure names the worst element.
::testing::AssertionResult AllClose(const std::string& what, const std::vector<double>& got,
                                    const std::vector<double>& want, int64_t cols, double tol) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure()
           << what << ": size " << got.size() << " vs expected " << want.size();
  }
  double worst = 0.0;
  size_t worst_i = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double ratio = std::fabs(got[i] - want[i]) / (tol * std::max(1.0, std::fabs(want[i])));
    const double r = std::isnan(ratio) ? std::numeric_limits<double>::infinity() : ratio;
    if (r > worst) {
      worst = r;
      worst_i = i;
    }
  }
  if (worst <= 1.0) return ::testing::AssertionSuccess();
  const int64_t i = static_cast<int64_t>(worst_i);
  std::ostringstream msg;
  msg.precision(9);
  msg << what << ": worst element [" << i / cols << ", " << i % cols << "]: got " << got[worst_i]
      << ", expected " << want[worst_i] << " (|diff| " << std::fabs(got[worst_i] - want[worst_i])
      << ", allowed " << tol * std::max(1.0, std::fabs(want[worst_i])) << ")";
  return ::testing::AssertionFailure() << msg.str();
}

double MaxAbs(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

std::vector<double> Widen(const std::vector<float>& f) { return {f.begin(), f.end()}; }

// d(sum(f(in) .* r)) / d(in[key]) by central differences.
std::vector<double> NumericGrad(const RefForward& f, Inputs in, const std::string& key,
                                const Mat& r) {
  Mat& m = in.at(key);
  std::vector<double> grad(m.v.size());
  for (size_t i = 0; i < m.v.size(); ++i) {
    const double saved = m.v[i];
    m.v[i] = saved + kFdEps;
    const double plus = Dot(f(in), r);
    m.v[i] = saved - kFdEps;
    const double minus = Dot(f(in), r);
    m.v[i] = saved;
    grad[i] = (plus - minus) / (2.0 * kFdEps);
  }
  return grad;
}

// The part of a parameter's name after the layer prefix: "sage.w_root" -> "w_root".
std::string ShortName(const Parameter& p) { return p.name.substr(p.name.rfind('.') + 1); }

std::vector<std::string> ParamNames(Layer* layer) {
  std::vector<std::string> names;
  for (Parameter* p : layer->parameters()) names.push_back(ShortName(*p));
  return names;
}

// Random x and parameter values for `layer`, keyed "x" and by short parameter name.
Inputs DrawInputs(Layer* layer, int64_t num_src, uint64_t seed) {
  Inputs in;
  in["x"] = RandomMat(num_src, layer->in_dim(), seed);
  uint64_t k = 1;
  for (Parameter* p : layer->parameters()) {
    EXPECT_EQ(in.count(ShortName(*p)), 0u) << "duplicate parameter " << p->name;
    in[ShortName(*p)] = RandomMat(p->value.rows(), p->value.cols(), seed * 100 + k++);
  }
  return in;
}

// Randomizes x and the layer's parameters (DrawInputs(seed)), then checks Forward against `ref` and
// Backward (d/dx and every parameter) against central differences of `ref`.
void CheckLayer(Layer* layer, const GraphBlock& block, const RefForward& ref, uint64_t seed,
                bool training = false, uint64_t forward_seed = 0) {
  const Inputs in = DrawInputs(layer, block.num_src, seed);
  for (Parameter* p : layer->parameters()) p->value = ToTensor(in.at(ShortName(*p)));
  const Tensor x = ToTensor(in.at("x"));

  // 1. Forward against the reference.
  const Tensor out = layer->Forward(block, x, training, forward_seed);
  const Mat want = ref(in);
  ASSERT_EQ(out.rows(), want.rows);
  ASSERT_EQ(out.cols(), want.cols);
  ASSERT_EQ(out.cols(), layer->out_dim());
  EXPECT_TRUE(AllClose("forward", Widen(out.ToVector()), want.v, want.cols, kForwardTol));

  // 2. Backward of L = sum(out .* R); grads are poisoned first since Backward must overwrite them.
  const Mat r = RandomMat(want.rows, want.cols, seed * 100 + 99);
  for (Parameter* p : layer->parameters()) {
    p->grad = Tensor::FromVector(std::vector<float>(static_cast<size_t>(p->grad.numel()), 777.0f),
                                 p->grad.rows(), p->grad.cols());
  }
  const Tensor grad_x = layer->Backward(ToTensor(r));
  ASSERT_EQ(grad_x.rows(), x.rows());
  ASSERT_EQ(grad_x.cols(), x.cols());
  const std::vector<double> numeric_x = NumericGrad(ref, in, "x", r);
  EXPECT_GT(MaxAbs(numeric_x), kNonTrivial) << "d/dx vanishes for this draw";
  EXPECT_TRUE(AllClose("d/dx", Widen(grad_x.ToVector()), numeric_x, x.cols(), kGradTol));
  for (Parameter* p : layer->parameters()) {
    ASSERT_TRUE(p->grad.SameShape(p->value)) << p->name;
    const std::vector<double> numeric = NumericGrad(ref, in, ShortName(*p), r);
    EXPECT_GT(MaxAbs(numeric), kNonTrivial) << "d/d" << p->name << " vanishes for this draw";
    EXPECT_TRUE(
        AllClose("d/d" + p->name, Widen(p->grad.ToVector()), numeric, p->grad.cols(), kGradTol));
  }
}

// ---------------------------------------------------------------------------------------------
// GraphBlock: self-loops and GCN weights against their definitions.

TEST(GraphBlockTest, SelfLoopsAndGcnNormMatchDefinition) {
  const sampler::Block b = SmallBlock();
  for (bool loops : {false, true}) {
    SCOPED_TRACE(loops ? "self-loops" : "no self-loops");
    const GraphBlock gb = MakeGraphBlock(b, BlockOptions{loops, true}, Device::kCpu);
    const RefGraph g = MakeRefGraph(b, loops);
    const kernels::CsrView view = gb.view();
    ASSERT_EQ(view.num_rows, g.num_dst);
    ASSERT_EQ(view.num_cols, g.num_src);
    EXPECT_EQ(gb.num_dst, g.num_dst);
    EXPECT_EQ(gb.num_src, g.num_src);
    for (int64_t v = 0; v < g.num_dst; ++v) {
      const std::vector<int64_t> row(view.indices + view.indptr[v],
                                     view.indices + view.indptr[v + 1]);
      EXPECT_THAT(row, ElementsAreArray(g.in[static_cast<size_t>(v)])) << "row " << v;
    }
    ASSERT_NE(gb.weight(), nullptr);
    const std::vector<double> w = RefGcnWeights(g);
    ASSERT_EQ(gb.weight()->rows(), static_cast<int64_t>(w.size()));
    EXPECT_TRUE(AllClose("gcn weights", Widen(gb.weight()->ToVector()), w, 1, 1e-6));
  }
  const GraphBlock plain = MakeGraphBlock(b, BlockOptions{false, false}, Device::kCpu);
  EXPECT_EQ(plain.weight(), nullptr);
  EXPECT_EQ(plain.view().num_edges, b.num_edges());
}

// ---------------------------------------------------------------------------------------------
// GCN.

TEST(LayerGradTest, GcnConv) {
  const sampler::Block b = SmallBlock();
  const GraphBlock gb = MakeGraphBlock(b, BlockOptions{true, true}, Device::kCpu);
  const RefGraph g = MakeRefGraph(b, true);
  GcnConv layer(4, 3, "gcn", Device::kCpu, 1);
  EXPECT_THAT(ParamNames(&layer), ElementsAre("weight", "bias"));
  EXPECT_EQ(layer.in_dim(), 4);
  EXPECT_EQ(layer.out_dim(), 3);
  CheckLayer(
      &layer, gb, [&](const Inputs& in) { return RefGcn(g, in); }, 11);
}

// ---------------------------------------------------------------------------------------------
// SAGE.

struct SageCase {
  const char* label;
  SageAggregator agg;
  bool root_weight;  // as requested; gcn ignores it
  bool normalize;
  std::vector<std::string> params;
};

void CheckSage(const SageCase& c, uint64_t seed) {
  SCOPED_TRACE(c.label);
  const bool loops = c.agg == SageAggregator::kGcn;  // as Model::Create decides
  const sampler::Block b = SmallBlock();
  const GraphBlock gb = MakeGraphBlock(b, BlockOptions{loops, false}, Device::kCpu);
  const RefGraph g = MakeRefGraph(b, loops);
  SageConv layer(4, 3, c.agg, c.root_weight, c.normalize, "sage", Device::kCpu, seed);
  EXPECT_THAT(ParamNames(&layer), ElementsAreArray(c.params));
  const bool root = c.root_weight && c.agg != SageAggregator::kGcn;
  const RefForward ref = [&](const Inputs& in) { return RefSage(g, c.agg, root, c.normalize, in); };
  if (c.agg == SageAggregator::kPool) {
    double margin = 0.0;
    RefSage(g, c.agg, root, c.normalize, DrawInputs(&layer, g.num_src, seed), &margin);
    ASSERT_GT(margin, kKinkMargin) << "random draw too close to a ReLU/max kink; change the seed";
  }
  CheckLayer(&layer, gb, ref, seed);
}

TEST(LayerGradTest, SageMeanWithRootWeight) {
  CheckSage({"mean+root", SageAggregator::kMean, true, false, {"w_neigh", "bias", "w_root"}}, 21);
}

TEST(LayerGradTest, SageMeanWithoutRootWeight) {
  CheckSage({"mean", SageAggregator::kMean, false, false, {"w_neigh", "bias"}}, 22);
}

TEST(LayerGradTest, SageGcnAggregator) {
  // Root weight requested but gcn has none: the self-loop plays its part.
  CheckSage({"gcn", SageAggregator::kGcn, true, false, {"w_neigh", "bias"}}, 23);
}

TEST(LayerGradTest, SagePoolWithRootWeight) {
  CheckSage({"pool+root",
             SageAggregator::kPool,
             true,
             false,
             {"w_neigh", "bias", "w_root", "w_pool", "b_pool"}},
            24);
}

TEST(LayerGradTest, SagePoolWithoutRootWeight) {
  CheckSage({"pool", SageAggregator::kPool, false, false, {"w_neigh", "bias", "w_pool", "b_pool"}},
            25);
}

TEST(LayerGradTest, SageMeanNormalized) {
  CheckSage(
      {"mean+root+normalize", SageAggregator::kMean, true, true, {"w_neigh", "bias", "w_root"}},
      26);
}

TEST(LayerGradTest, SagePoolNormalized) {
  CheckSage({"pool+normalize",
             SageAggregator::kPool,
             false,
             true,
             {"w_neigh", "bias", "w_pool", "b_pool"}},
            27);
}

// ---------------------------------------------------------------------------------------------
// GAT.

void CheckGat(const GatSpec& s, uint64_t seed, bool self_loops = true, bool training = false) {
  SCOPED_TRACE("heads=" + std::to_string(s.heads) + (s.concat ? " concat" : " mean") +
               (self_loops ? "" : " no-self-loops") +
               (s.attn_dropout > 0.0f ? " attn-dropout" : ""));
  const sampler::Block b = SmallBlock();
  const GraphBlock gb = MakeGraphBlock(b, BlockOptions{self_loops, false}, Device::kCpu);
  const RefGraph g = MakeRefGraph(b, self_loops);
  GatConv layer(4, s.head_dim, s.heads, s.concat, static_cast<float>(s.slope), s.attn_dropout,
                "gat", Device::kCpu, seed);
  EXPECT_THAT(ParamNames(&layer), ElementsAre("weight", "attn_src", "attn_dst", "bias"));
  EXPECT_EQ(layer.out_dim(), s.concat ? s.heads * s.head_dim : s.head_dim);
  double margin = 0.0;
  RefGat(g, s, DrawInputs(&layer, g.num_src, seed), &margin);
  ASSERT_GT(margin, kKinkMargin) << "random draw too close to the LeakyReLU kink; change the seed";
  CheckLayer(
      &layer, gb, [&](const Inputs& in) { return RefGat(g, s, in); }, seed, training,
      s.dropout_seed);
}

TEST(LayerGradTest, GatOneHeadConcat) { CheckGat({1, 3, true}, 31); }

TEST(LayerGradTest, GatOneHeadMean) { CheckGat({1, 3, false}, 32); }

TEST(LayerGradTest, GatThreeHeadsConcat) { CheckGat({3, 2, true}, 33); }

TEST(LayerGradTest, GatThreeHeadsMean) { CheckGat({3, 2, false}, 34); }

TEST(LayerGradTest, GatTrainingWithZeroDropoutIsDeterministic) {
  // training = true but attn_dropout = 0: no mask, identical to inference.
  CheckGat({3, 2, true, 0.2, 0.0f, 5}, 38, /*self_loops=*/true, /*training=*/true);
}

TEST(LayerGradTest, GatWithoutSelfLoopsHasEmptyRows) {
  // Destination 1 has no in-edges: its attention softmax is empty and its output is the bias.
  CheckGat({2, 3, true}, 36, /*self_loops=*/false);
}

TEST(LayerGradTest, GatAttentionDropoutFollowsItsMask) {
  // With a fixed seed the mask is a pure function of (seed, edge * H + head): the reference
  // applies DropoutKeep's decision, and the forward is differentiable at that mask.
  CheckGat({2, 3, false, 0.2, 0.5f, 1234}, 37, /*self_loops=*/true, /*training=*/true);
}

// ---------------------------------------------------------------------------------------------
// Loss.

// Mean over labeled rows of -log_softmax(logits[r])[label[r]], in double.
double RefCrossEntropy(const Mat& logits, const std::vector<int64_t>& labels) {
  double total = 0.0;
  int64_t count = 0;
  for (int64_t r = 0; r < logits.rows; ++r) {
    const int64_t label = labels[static_cast<size_t>(r)];
    if (label < 0) continue;
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t c = 0; c < logits.cols; ++c) m = std::max(m, logits(r, c));
    double sum = 0.0;
    for (int64_t c = 0; c < logits.cols; ++c) sum += std::exp(logits(r, c) - m);
    total += m + std::log(sum) - logits(r, label);
    ++count;
  }
  return count == 0 ? 0.0 : total / static_cast<double>(count);
}

TEST(LossGradTest, SoftmaxCrossEntropyMatchesFiniteDifferences) {
  const std::vector<int64_t> labels = {2, -1, 0, 3, -1, 1};
  Mat logits = RandomMat(6, 4, 41, -3.0, 3.0);
  // A row of large logits: a stable log-sum-exp is needed (exp(100) overflows float).
  for (int64_t c = 0; c < 4; ++c) logits(3, c) += 100.0;
  const auto labels_array = core::Array<int64_t>::FromVector(labels);
  Tensor grad = Tensor::FromVector(std::vector<float>(24, 777.0f), 6, 4);
  const float loss = kernels::SoftmaxCrossEntropy(ToTensor(logits), labels_array, &grad);
  const double want = RefCrossEntropy(logits, labels);
  EXPECT_NEAR(loss, want, 1e-5 * std::max(1.0, std::fabs(want)));

  std::vector<double> numeric(logits.v.size());
  for (size_t i = 0; i < logits.v.size(); ++i) {
    Mat p = logits;
    p.v[i] += kFdEps;
    Mat m = logits;
    m.v[i] -= kFdEps;
    numeric[i] = (RefCrossEntropy(p, labels) - RefCrossEntropy(m, labels)) / (2.0 * kFdEps);
  }
  EXPECT_TRUE(AllClose("d loss / d logits", Widen(grad.ToVector()), numeric, 4, kGradTol));
  // Unlabeled rows get exactly zero gradient.
  const std::vector<float> g = grad.ToVector();
  for (int64_t r : {1, 4}) {
    for (int64_t c = 0; c < 4; ++c) EXPECT_EQ(g[static_cast<size_t>(r * 4 + c)], 0.0f) << r;
  }
}

TEST(LossGradTest, NoLabeledRowsGiveZeroLossAndGradient) {
  const auto labels = core::Array<int64_t>::FromVector({-1, -1, -1});
  Tensor grad = Tensor::FromVector(std::vector<float>(12, 777.0f), 3, 4);
  EXPECT_EQ(kernels::SoftmaxCrossEntropy(ToTensor(RandomMat(3, 4, 42)), labels, &grad), 0.0f);
  for (float v : grad.ToVector()) EXPECT_EQ(v, 0.0f);
}

// ---------------------------------------------------------------------------------------------
// Model: the layers chained (smoke check with float finite differences of Model::Forward).

constexpr int64_t kModelInDim = 4;
constexpr int64_t kModelClasses = 3;
// Float central differences (step 1e-3) of float logits carry ~1e-4 of rounding noise (the worst
// seen is 6e-5); a wrongly chained layer is off by far more.
constexpr double kModelTol = 2e-3;

// Two chained blocks: blocks[0] 9 -> 6 (dst 1 without in-edges), blocks[1] 6 -> 3.
struct ModelBlocks {
  GraphBlock b0, b1;
  std::vector<const GraphBlock*> ptrs() const { return {&b0, &b1}; }
};

ModelBlocks MakeModelBlocks(const BlockOptions& options) {
  const sampler::Block b0 =
      MakeBlock(9, {{1, 3, 6}, {}, {0, 2, 5, 7}, {4, 8}, {0, 1, 6, 7}, {2, 3}});
  const sampler::Block b1 = MakeBlock(6, {{1, 2, 4}, {0, 3, 5}, {}});
  EXPECT_EQ(b0.num_dst, b1.num_src);
  ModelBlocks blocks;
  blocks.b0 = MakeGraphBlock(b0, options, Device::kCpu);
  blocks.b1 = MakeGraphBlock(b1, options, Device::kCpu);
  return blocks;
}

ModelConfig SmallConfig(const std::string& type) {
  ModelConfig c;
  c.type = type;
  c.hidden = 5;
  c.num_layers = 2;
  c.dropout = 0.0f;
  c.activation = "elu";  // smooth, so float finite differences do not straddle a kink
  c.heads = 2;
  c.out_heads = 2;
  c.attn_dropout = 0.0f;
  if (type == "gat") c.hidden = 3;
  return c;
}

std::unique_ptr<Model> CreateModel(const ModelConfig& config) {
  auto model = Model::Create(config, kModelInDim, kModelClasses, Device::kCpu, 7);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? std::move(model).value() : nullptr;
}

// Randomizes every parameter (biases start at zero otherwise) with a moderate scale.
void RandomizeParameters(Model* model, uint64_t seed) {
  uint64_t k = 0;
  for (Parameter* p : model->parameters()) {
    p->value = ToTensor(RandomMat(p->value.rows(), p->value.cols(), seed + k++, -0.7, 0.7));
  }
}

double Loss(const Tensor& logits, const Mat& r) { return Dot(ToMat(logits), r); }

void CheckModelGradients(const ModelConfig& config, bool training, uint64_t step_seed) {
  SCOPED_TRACE(config.type + "/" + config.aggregator);
  std::unique_ptr<Model> model = CreateModel(config);
  ASSERT_NE(model, nullptr);
  ASSERT_EQ(model->num_layers(), 2);
  const ModelBlocks blocks = MakeModelBlocks(model->block_options());
  RandomizeParameters(model.get(), 500);
  const Tensor x = ToTensor(RandomMat(9, kModelInDim, 501));
  const Mat r = RandomMat(3, kModelClasses, 502);

  const Tensor logits = model->Forward(blocks.ptrs(), x, training, step_seed);
  ASSERT_EQ(logits.rows(), 3);
  ASSERT_EQ(logits.cols(), kModelClasses);
  const Tensor grad_x = model->Backward(ToTensor(r), /*need_grad_input=*/true);
  std::vector<std::vector<double>> analytic;
  for (Parameter* p : model->parameters()) analytic.push_back(Widen(p->grad.ToVector()));
  // d/dx (learnable input embeddings train through it), same dropout masks: same step_seed.
  {
    std::vector<float> xs = x.ToVector();
    std::vector<double> numeric(xs.size());
    const float h = 1e-3f;
    for (size_t i = 0; i < xs.size(); ++i) {
      const float saved = xs[i];
      xs[i] = saved + h;
      const double plus =
          Loss(model->Forward(blocks.ptrs(), Tensor::FromVector(xs, x.rows(), x.cols()), training,
                              step_seed),
               r);
      xs[i] = saved - h;
      const double minus =
          Loss(model->Forward(blocks.ptrs(), Tensor::FromVector(xs, x.rows(), x.cols()), training,
                              step_seed),
               r);
      xs[i] = saved;
      numeric[i] = (plus - minus) / (2.0 * h);
    }
    EXPECT_TRUE(AllClose("model d/dx", Widen(grad_x.ToVector()), numeric, x.cols(), kModelTol));
  }

  const float eps = 1e-3f;
  size_t k = 0;
  for (Parameter* p : model->parameters()) {
    std::vector<float> values = p->value.ToVector();
    std::vector<double> numeric(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      const float saved = values[i];
      const float hi = saved + eps;
      const float lo = saved - eps;
      values[i] = hi;
      p->value = Tensor::FromVector(values, p->value.rows(), p->value.cols());
      const double plus = Loss(model->Forward(blocks.ptrs(), x, training, step_seed), r);
      values[i] = lo;
      p->value = Tensor::FromVector(values, p->value.rows(), p->value.cols());
      const double minus = Loss(model->Forward(blocks.ptrs(), x, training, step_seed), r);
      values[i] = saved;
      p->value = Tensor::FromVector(values, p->value.rows(), p->value.cols());
      numeric[i] = (plus - minus) / (static_cast<double>(hi) - static_cast<double>(lo));
    }
    EXPECT_TRUE(
        AllClose("model d/d" + p->name, analytic[k++], numeric, p->value.cols(), kModelTol));
  }
}

TEST(ModelGradTest, BlockOptionsFollowTheModelType) {
  struct Case {
    const char* type;
    const char* aggregator;
    bool loops, norm;
  };
  for (const Case& c : {Case{"gcn", "mean", true, true}, Case{"gat", "mean", true, false},
                        Case{"sage", "mean", false, false}, Case{"sage", "pool", false, false},
                        Case{"sage", "gcn", true, false}}) {
    ModelConfig config = SmallConfig(c.type);
    config.aggregator = c.aggregator;
    std::unique_ptr<Model> model = CreateModel(config);
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(model->block_options().add_self_loops, c.loops) << c.type << "/" << c.aggregator;
    EXPECT_EQ(model->block_options().gcn_norm, c.norm) << c.type << "/" << c.aggregator;
  }
}

TEST(ModelGradTest, GcnParameterGradients) { CheckModelGradients(SmallConfig("gcn"), false, 1); }

TEST(ModelGradTest, SageParameterGradients) {
  ModelConfig config = SmallConfig("sage");
  config.normalize = true;  // applies to the hidden layer only
  CheckModelGradients(config, false, 1);
}

TEST(ModelGradTest, SageGcnAggregatorParameterGradients) {
  ModelConfig config = SmallConfig("sage");
  config.aggregator = "gcn";
  CheckModelGradients(config, false, 1);
}

TEST(ModelGradTest, SagePoolParameterGradients) {
  ModelConfig config = SmallConfig("sage");
  config.aggregator = "pool";
  CheckModelGradients(config, false, 1);
}

TEST(ModelGradTest, GatParameterGradients) { CheckModelGradients(SmallConfig("gat"), false, 1); }

TEST(ModelGradTest, GcnParameterGradientsThroughDropout) {
  // Training with dropout: for a fixed step seed the masks are fixed, so Forward is a smooth
  // function of the parameters and DropoutBackward must follow the same masks.
  ModelConfig config = SmallConfig("gcn");
  config.dropout = 0.5f;
  CheckModelGradients(config, true, 99);
}

TEST(ModelGradTest, GatParameterGradientsThroughBothDropouts) {
  ModelConfig config = SmallConfig("gat");
  config.dropout = 0.3f;
  config.attn_dropout = 0.4f;
  CheckModelGradients(config, true, 99);
}

// ---------------------------------------------------------------------------------------------
// Dropout determinism.

std::vector<float> Logits(Model* model, const ModelBlocks& blocks, const Tensor& x, bool training,
                          uint64_t step_seed) {
  return model->Forward(blocks.ptrs(), x, training, step_seed).ToVector();
}

TEST(ModelDropoutTest, StepSeedDeterminesTheMasks) {
  for (const char* type : {"gcn", "sage", "gat"}) {
    SCOPED_TRACE(type);
    ModelConfig config = SmallConfig(type);
    config.dropout = 0.5f;
    if (config.type == "gat") config.attn_dropout = 0.5f;
    std::unique_ptr<Model> model = CreateModel(config);
    ASSERT_NE(model, nullptr);
    const ModelBlocks blocks = MakeModelBlocks(model->block_options());
    RandomizeParameters(model.get(), 600);
    const Tensor x = ToTensor(RandomMat(9, kModelInDim, 601));

    const std::vector<float> a = Logits(model.get(), blocks, x, true, 11);
    const std::vector<float> b = Logits(model.get(), blocks, x, true, 11);
    const std::vector<float> c = Logits(model.get(), blocks, x, true, 12);
    EXPECT_EQ(a, b) << "same step seed must give identical logits";
    EXPECT_NE(a, c) << "different step seeds must give different masks";
    // Inference ignores dropout and the seed.
    const std::vector<float> e1 = Logits(model.get(), blocks, x, false, 11);
    const std::vector<float> e2 = Logits(model.get(), blocks, x, false, 12);
    EXPECT_EQ(e1, e2);
    EXPECT_NE(e1, a);
  }
}

}  // namespace
}  // namespace halo::trainer
