// The CUDA kernels against the CPU kernels on the same random inputs: every op of kernels/*.h is
// run through the public (dispatching) API once with CPU tensors and once with the same data
// moved to the GPU. Sums may differ in the last bits (other summation order, FMA, atomicAdd);
// argmax, gathers, masks and counts must match exactly. Every test skips without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/csr.h"
#include "core/device.h"
#include "core/tensor.h"
#include "kernels/activation.h"
#include "kernels/csr_view.h"
#include "kernels/edge_softmax.h"
#include "kernels/gather_scatter.h"
#include "kernels/gemm.h"
#include "kernels/loss.h"
#include "kernels/optim.h"
#include "kernels/sddmm.h"
#include "kernels/spmm.h"
#include "tests/kernels/kernel_test_util.h"

namespace halo::kernels {
namespace {

using core::Array;
using core::Tensor;
using testing::Graph;
using testing::MakeGraph;
using testing::Poisoned;
using testing::RandomTensor;
using testing::RandomVector;

constexpr Device kCpu = Device::kCpu;
constexpr Device kGpu = Device::kCuda;

#define HALO_SKIP_WITHOUT_CUDA()                           \
  if (!::halo::core::CudaAvailable()) {                    \
    GTEST_SKIP() << ::halo::core::CudaUnavailableReason(); \
  }                                                        \
  static_assert(true, "")

// Tolerances: graph aggregations sum up to thousands of terms in another order on the GPU.
constexpr double kSumAtol = 5e-4;
constexpr double kSumRtol = 1e-4;
// Elementwise math: a few ulps apart (device expf/expm1f, FMA).
constexpr double kElemAtol = 1e-6;
constexpr double kElemRtol = 1e-5;

// One random graph (empty rows, duplicate edges, a high-degree row; see RandomCsr) on both
// devices.
struct DualGraph {
  Graph host;
  DeviceCsr gpu;
  CsrView cpu_view() const { return host.view(); }
  CsrView gpu_view() const { return gpu.view(); }
  int64_t rows() const { return host.rows(); }
  int64_t cols() const { return host.num_cols; }
  int64_t edges() const { return host.edges(); }
};

DualGraph MakeDualGraph(int64_t num_rows, int64_t num_cols, uint64_t seed) {
  DualGraph g;
  g.host = MakeGraph(num_rows, num_cols, seed);
  g.gpu = DeviceCsr::FromCsr(g.host.csr, num_cols, kGpu);
  return g;
}

// Values rounded to integers in [lo, hi]: many exact ties for max and argmax.
Tensor QuantizedTensor(int64_t rows, int64_t cols, uint64_t seed, int lo, int hi) {
  std::vector<float> v = RandomVector(rows * cols, seed, static_cast<float>(lo) - 0.49f,
                                      static_cast<float>(hi) + 0.49f);
  for (float& x : v) x = std::round(x);
  return Tensor::FromVector(v, rows, cols);
}

// A tensor of the given shape on the GPU filled with NaN, so unwritten outputs fail.
Tensor GpuPoisoned(int64_t rows, int64_t cols) { return Poisoned(rows, cols).To(kGpu); }

// |gpu - cpu| <= atol + rtol * |cpu| elementwise (NaN fails), reporting the first mismatches.
void ExpectNear(const std::vector<float>& gpu, const std::vector<float>& cpu, double atol,
                double rtol, const std::string& what) {
  ASSERT_EQ(gpu.size(), cpu.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < gpu.size(); ++i) {
    const double want = cpu[i];
    const double tol = atol + rtol * std::fabs(want);
    if (!(std::fabs(static_cast<double>(gpu[i]) - want) <= tol)) {
      ADD_FAILURE() << what << "[" << i << "]: gpu " << gpu[i] << ", cpu " << cpu[i];
      if (++reported == 5) return;
    }
  }
}

void ExpectNear(const Tensor& gpu, const Tensor& cpu, double atol, double rtol,
                const std::string& what) {
  ASSERT_EQ(gpu.device(), kGpu) << what;
  ASSERT_EQ(cpu.device(), kCpu) << what;
  ASSERT_EQ(gpu.rows(), cpu.rows()) << what;
  ASSERT_EQ(gpu.cols(), cpu.cols()) << what;
  ExpectNear(gpu.ToVector(), cpu.ToVector(), atol, rtol, what);
}

void ExpectSame(const Tensor& gpu, const Tensor& cpu, const std::string& what) {
  ExpectNear(gpu, cpu, 0.0, 0.0, what);
}

template <typename T>
void ExpectSame(const Array<T>& gpu, const Array<T>& cpu, const std::string& what) {
  ASSERT_EQ(gpu.device(), kGpu) << what;
  const std::vector<T> g = gpu.ToVector();
  const std::vector<T> c = cpu.ToVector();
  ASSERT_EQ(g.size(), c.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    if (g[i] != c[i]) {
      ADD_FAILURE() << what << "[" << i << "]: gpu " << static_cast<int64_t>(g[i]) << ", cpu "
                    << static_cast<int64_t>(c[i]);
      if (++reported == 5) return;
    }
  }
}

const char* ReduceName(Reduce r) {
  switch (r) {
    case Reduce::kSum:
      return "sum";
    case Reduce::kMean:
      return "mean";
    case Reduce::kMax:
      return "max";
  }
  return "?";
}

std::string Case(const char* op, int64_t heads, int64_t feat, const std::string& extra) {
  return std::string(op) + " H=" + std::to_string(heads) + " F=" + std::to_string(feat) + " " +
         extra;
}

// ---------------------------------------------------------------------------------------------
// Gather / scatter

TEST(CudaVsCpuTest, GatherRows) {
  HALO_SKIP_WITHOUT_CUDA();
  for (const int64_t cols : {1, 5, 37, 130}) {
    const Tensor x = RandomTensor(50, cols, 1 + cols);
    std::vector<int64_t> idx = {0, 49, 49, 3};
    std::mt19937_64 rng(cols);
    std::uniform_int_distribution<int64_t> pick(0, 49);
    for (int i = 0; i < 300; ++i) idx.push_back(pick(rng));
    const Array<int64_t> idx_cpu = Array<int64_t>::FromVector(idx);
    Tensor out_cpu = Poisoned(static_cast<int64_t>(idx.size()), cols);
    GatherRows(x, idx_cpu, &out_cpu);
    Tensor out_gpu = GpuPoisoned(static_cast<int64_t>(idx.size()), cols);
    GatherRows(x.To(kGpu), idx_cpu.To(kGpu), &out_gpu);
    ExpectSame(out_gpu, out_cpu, "GatherRows cols=" + std::to_string(cols));
  }
}

TEST(CudaVsCpuTest, ScatterAddRowsAccumulatesRepeats) {
  HALO_SKIP_WITHOUT_CUDA();
  for (const int64_t cols : {1, 45}) {
    const int64_t n = 400;
    const Tensor x = RandomTensor(n, cols, 11 + cols);
    std::vector<int64_t> idx(n);
    std::mt19937_64 rng(cols);
    std::uniform_int_distribution<int64_t> pick(0, 39);
    for (int64_t& i : idx) i = pick(rng);
    idx[0] = 7;
    for (int i = 1; i < 100; ++i) idx[i] = 7;  // one very hot target row
    const Array<int64_t> idx_cpu = Array<int64_t>::FromVector(idx);
    Tensor out_cpu = RandomTensor(40, cols, 99);  // accumulates into existing contents
    Tensor out_gpu = out_cpu.To(kGpu);
    ScatterAddRows(x, idx_cpu, &out_cpu);
    ScatterAddRows(x.To(kGpu), idx_cpu.To(kGpu), &out_gpu);
    ExpectNear(out_gpu, out_cpu, 1e-5, 1e-5, "ScatterAddRows cols=" + std::to_string(cols));
  }
}

// ---------------------------------------------------------------------------------------------
// SpMM

// Forward (out and argmax), backward to x and backward to w for one configuration.
void CheckSpMM(const DualGraph& g, int64_t heads, int64_t feat, bool weighted, Reduce reduce,
               bool ties, uint64_t seed) {
  const int64_t hf = heads * feat;
  const std::string what =
      Case("SpMM", heads, feat,
           std::string(ReduceName(reduce)) + (weighted ? " weighted" : " unweighted") +
               (ties ? " ties" : ""));
  SCOPED_TRACE(what);
  const Tensor x =
      ties ? QuantizedTensor(g.cols(), hf, seed, -3, 3) : RandomTensor(g.cols(), hf, seed);
  const Tensor w_cpu = ties ? QuantizedTensor(g.edges(), heads, seed + 1, 1, 2)
                            : RandomTensor(g.edges(), heads, seed + 1, -1.0f, 2.0f);
  const Tensor w_gpu = w_cpu.To(kGpu);
  const Tensor* wc = weighted ? &w_cpu : nullptr;
  const Tensor* wg = weighted ? &w_gpu : nullptr;
  const Tensor x_gpu = x.To(kGpu);

  Tensor out_cpu = Poisoned(g.rows(), hf);
  Tensor out_gpu = GpuPoisoned(g.rows(), hf);
  const bool max = reduce == Reduce::kMax;
  Array<int64_t> arg_cpu(max ? g.rows() * hf : 0, kCpu);
  Array<int64_t> arg_gpu(max ? g.rows() * hf : 0, kGpu);
  SpMM(g.cpu_view(), x, wc, reduce, &out_cpu, max ? &arg_cpu : nullptr);
  SpMM(g.gpu_view(), x_gpu, wg, reduce, &out_gpu, max ? &arg_gpu : nullptr);
  if (max) {
    ExpectSame(out_gpu, out_cpu, what + " out");
    ExpectSame(arg_gpu, arg_cpu, what + " argmax");
  } else {
    ExpectNear(out_gpu, out_cpu, kSumAtol, kSumRtol, what + " out");
  }

  // Both backwards take the CPU's argmax (equal to the GPU's when the check above passed), so
  // they are compared on identical inputs either way.
  const Array<int64_t> arg_for_gpu = arg_cpu.To(kGpu);
  const Tensor grad_out = RandomTensor(g.rows(), hf, seed + 2);
  const Tensor grad_out_gpu = grad_out.To(kGpu);
  Tensor gx_cpu = Poisoned(g.cols(), hf);
  Tensor gx_gpu = GpuPoisoned(g.cols(), hf);
  SpMMBackwardX(g.cpu_view(), grad_out, wc, reduce, max ? &arg_cpu : nullptr, &gx_cpu);
  SpMMBackwardX(g.gpu_view(), grad_out_gpu, wg, reduce, max ? &arg_for_gpu : nullptr, &gx_gpu);
  ExpectNear(gx_gpu, gx_cpu, kSumAtol, kSumRtol, what + " grad_x");

  Tensor gw_cpu = Poisoned(g.edges(), heads);
  Tensor gw_gpu = GpuPoisoned(g.edges(), heads);
  SpMMBackwardW(g.cpu_view(), grad_out, x, reduce, max ? &arg_cpu : nullptr, heads, &gw_cpu);
  SpMMBackwardW(g.gpu_view(), grad_out_gpu, x_gpu, reduce, max ? &arg_for_gpu : nullptr, heads,
                &gw_gpu);
  ExpectNear(gw_gpu, gw_cpu, kSumAtol, kSumRtol, what + " grad_w");
}

TEST(CudaVsCpuTest, SpMMAllReductionsHeadsAndWidths) {
  HALO_SKIP_WITHOUT_CUDA();
  // Row 2 has degree 3 * 400 = 1200; rows 0 and ~25% of the others are empty.
  const DualGraph g = MakeDualGraph(/*num_rows=*/257, /*num_cols=*/400, /*seed=*/21);
  uint64_t seed = 100;
  for (const int64_t heads : {1, 4}) {
    for (const bool weighted : {false, true}) {
      if (heads > 1 && !weighted) continue;  // without weights H is 1
      for (const Reduce reduce : {Reduce::kSum, Reduce::kMean, Reduce::kMax}) {
        for (const int64_t feat : {1, 7, 40}) {
          CheckSpMM(g, heads, feat, weighted, reduce, /*ties=*/false, seed++);
          if (reduce == Reduce::kMax) {
            CheckSpMM(g, heads, feat, weighted, reduce, /*ties=*/true, seed++);
          }
        }
      }
    }
  }
}

TEST(CudaVsCpuTest, SpMMEmptyGraph) {
  HALO_SKIP_WITHOUT_CUDA();
  core::Csr csr;
  csr.indptr.assign(6, 0);  // 5 rows, no edges
  const DeviceCsr gc = DeviceCsr::FromCsr(csr, 3, kCpu);
  const DeviceCsr gg = DeviceCsr::FromCsr(csr, 3, kGpu);
  const Tensor x = RandomTensor(3, 4, 1);
  for (const Reduce reduce : {Reduce::kSum, Reduce::kMean, Reduce::kMax}) {
    SCOPED_TRACE(ReduceName(reduce));
    Tensor out_cpu = Poisoned(5, 4);
    Tensor out_gpu = GpuPoisoned(5, 4);
    Array<int64_t> arg_cpu(20, kCpu);
    Array<int64_t> arg_gpu(20, kGpu);
    SpMM(gc.view(), x, nullptr, reduce, &out_cpu, &arg_cpu);
    SpMM(gg.view(), x.To(kGpu), nullptr, reduce, &out_gpu, &arg_gpu);
    ExpectSame(out_gpu, out_cpu, "out");
    if (reduce == Reduce::kMax) ExpectSame(arg_gpu, arg_cpu, "argmax");
    const Tensor grad_out = RandomTensor(5, 4, 2);
    Tensor gx_cpu = Poisoned(3, 4);
    Tensor gx_gpu = GpuPoisoned(3, 4);
    const Array<int64_t> arg_for_gpu = arg_cpu.To(kGpu);
    SpMMBackwardX(gc.view(), grad_out, nullptr, reduce, &arg_cpu, &gx_cpu);
    SpMMBackwardX(gg.view(), grad_out.To(kGpu), nullptr, reduce, &arg_for_gpu, &gx_gpu);
    ExpectSame(gx_gpu, gx_cpu, "grad_x");
    Tensor gw_gpu(0, 1, kGpu);
    SpMMBackwardW(gg.view(), grad_out.To(kGpu), x.To(kGpu), reduce, &arg_for_gpu, 1, &gw_gpu);
    EXPECT_EQ(gw_gpu.rows(), 0);
  }
}

// Sizes past the grid cap, so every grid-stride loop wraps at least once.
TEST(CudaVsCpuTest, SpMMAndEdgeOpsOnLargeGraph) {
  HALO_SKIP_WITHOUT_CUDA();
  const DualGraph g = MakeDualGraph(/*num_rows=*/600000, /*num_cols=*/1000, /*seed=*/5);
  const int64_t heads = 2;
  const int64_t hf = 32;
  const Tensor x = RandomTensor(g.cols(), hf, 1);
  const Tensor w = RandomTensor(g.edges(), heads, 2);
  Tensor out_cpu(g.rows(), hf, kCpu);
  Tensor out_gpu(g.rows(), hf, kGpu);
  SpMM(g.cpu_view(), x, &w, Reduce::kMean, &out_cpu, nullptr);
  const Tensor w_gpu = w.To(kGpu);
  SpMM(g.gpu_view(), x.To(kGpu), &w_gpu, Reduce::kMean, &out_gpu, nullptr);
  ExpectNear(out_gpu, out_cpu, kSumAtol, kSumRtol, "SpMM mean");

  Tensor dot_cpu(g.edges(), heads, kCpu);
  Tensor dot_gpu(g.edges(), heads, kGpu);
  SDDMM(g.cpu_view(), SddmmOp::kDot, out_cpu, x, heads, &dot_cpu);
  SDDMM(g.gpu_view(), SddmmOp::kDot, out_cpu.To(kGpu), x.To(kGpu), heads, &dot_gpu);
  ExpectNear(dot_gpu, dot_cpu, kSumAtol, kSumRtol, "SDDMM dot");

  Tensor p_cpu(g.edges(), heads, kCpu);
  Tensor p_gpu(g.edges(), heads, kGpu);
  EdgeSoftmax(g.cpu_view(), dot_cpu, &p_cpu);
  EdgeSoftmax(g.gpu_view(), dot_cpu.To(kGpu), &p_gpu);
  ExpectNear(p_gpu, p_cpu, kElemAtol, 1e-4, "EdgeSoftmax");
}

// ---------------------------------------------------------------------------------------------
// SDDMM

TEST(CudaVsCpuTest, SDDMMDotAndAddWithGradients) {
  HALO_SKIP_WITHOUT_CUDA();
  const DualGraph g = MakeDualGraph(/*num_rows=*/190, /*num_cols=*/333, /*seed=*/8);
  uint64_t seed = 300;
  for (const SddmmOp op : {SddmmOp::kDot, SddmmOp::kAdd}) {
    for (const int64_t heads : {1, 4}) {
      for (const int64_t feat : {1, 7, 40}) {
        if (op == SddmmOp::kAdd && feat != 1) continue;  // kAdd operands are [N x H]
        const int64_t cols = heads * feat;
        const std::string what = Case("SDDMM", heads, feat, op == SddmmOp::kDot ? "dot" : "add");
        SCOPED_TRACE(what);
        const Tensor dst = RandomTensor(g.rows(), cols, seed++);
        const Tensor src = RandomTensor(g.cols(), cols, seed++);
        const Tensor dst_gpu = dst.To(kGpu);
        const Tensor src_gpu = src.To(kGpu);
        Tensor out_cpu = Poisoned(g.edges(), heads);
        Tensor out_gpu = GpuPoisoned(g.edges(), heads);
        SDDMM(g.cpu_view(), op, dst, src, heads, &out_cpu);
        SDDMM(g.gpu_view(), op, dst_gpu, src_gpu, heads, &out_gpu);
        ExpectNear(out_gpu, out_cpu, kSumAtol, kSumRtol, what + " out");

        const Tensor grad_out = RandomTensor(g.edges(), heads, seed++);
        const Tensor grad_out_gpu = grad_out.To(kGpu);
        Tensor gd_cpu = Poisoned(g.rows(), cols);
        Tensor gs_cpu = Poisoned(g.cols(), cols);
        Tensor gd_gpu = GpuPoisoned(g.rows(), cols);
        Tensor gs_gpu = GpuPoisoned(g.cols(), cols);
        SDDMMBackward(g.cpu_view(), op, dst, src, heads, grad_out, &gd_cpu, &gs_cpu);
        SDDMMBackward(g.gpu_view(), op, dst_gpu, src_gpu, heads, grad_out_gpu, &gd_gpu, &gs_gpu);
        ExpectNear(gd_gpu, gd_cpu, kSumAtol, kSumRtol, what + " grad_dst");
        ExpectNear(gs_gpu, gs_cpu, kSumAtol, kSumRtol, what + " grad_src");

        // Either gradient alone.
        Tensor only_dst = GpuPoisoned(g.rows(), cols);
        SDDMMBackward(g.gpu_view(), op, dst_gpu, src_gpu, heads, grad_out_gpu, &only_dst, nullptr);
        ExpectNear(only_dst, gd_cpu, kSumAtol, kSumRtol, what + " grad_dst alone");
        Tensor only_src = GpuPoisoned(g.cols(), cols);
        SDDMMBackward(g.gpu_view(), op, dst_gpu, src_gpu, heads, grad_out_gpu, nullptr, &only_src);
        ExpectNear(only_src, gs_cpu, kSumAtol, kSumRtol, what + " grad_src alone");
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Edge softmax

TEST(CudaVsCpuTest, EdgeSoftmaxForwardBackward) {
  HALO_SKIP_WITHOUT_CUDA();
  const DualGraph g = MakeDualGraph(/*num_rows=*/211, /*num_cols=*/500, /*seed=*/9);
  for (const int64_t heads : {1, 4}) {
    SCOPED_TRACE("H=" + std::to_string(heads));
    const Tensor scores = RandomTensor(g.edges(), heads, 40 + heads, -5.0f, 5.0f);
    Tensor p_cpu = Poisoned(g.edges(), heads);
    Tensor p_gpu = GpuPoisoned(g.edges(), heads);
    EdgeSoftmax(g.cpu_view(), scores, &p_cpu);
    EdgeSoftmax(g.gpu_view(), scores.To(kGpu), &p_gpu);
    ExpectNear(p_gpu, p_cpu, kElemAtol, 1e-4, "probs");

    // In place: out aliases scores.
    Tensor inplace = scores.To(kGpu);
    EdgeSoftmax(g.gpu_view(), inplace, &inplace);
    ExpectNear(inplace, p_cpu, kElemAtol, 1e-4, "probs in place");

    const Tensor grad_p = RandomTensor(g.edges(), heads, 50 + heads);
    Tensor gs_cpu = Poisoned(g.edges(), heads);
    Tensor gs_gpu = GpuPoisoned(g.edges(), heads);
    EdgeSoftmaxBackward(g.cpu_view(), p_cpu, grad_p, &gs_cpu);
    EdgeSoftmaxBackward(g.gpu_view(), p_cpu.To(kGpu), grad_p.To(kGpu), &gs_gpu);
    ExpectNear(gs_gpu, gs_cpu, kElemAtol, 1e-4, "grad_scores");
  }
}

// ---------------------------------------------------------------------------------------------
// Dense ops

TEST(CudaVsCpuTest, GemmAllTransposes) {
  HALO_SKIP_WITHOUT_CUDA();
  struct Shape {
    int64_t m, k, n;
  };
  uint64_t seed = 500;
  for (const Shape s : {Shape{37, 19, 23}, Shape{1, 64, 1}, Shape{300, 129, 77}, Shape{5, 0, 6}}) {
    for (const bool ta : {false, true}) {
      for (const bool tb : {false, true}) {
        const std::string what = "Gemm m=" + std::to_string(s.m) + " k=" + std::to_string(s.k) +
                                 " n=" + std::to_string(s.n) + " ta=" + std::to_string(ta) +
                                 " tb=" + std::to_string(tb);
        SCOPED_TRACE(what);
        const Tensor a = ta ? RandomTensor(s.k, s.m, seed++) : RandomTensor(s.m, s.k, seed++);
        const Tensor b = tb ? RandomTensor(s.n, s.k, seed++) : RandomTensor(s.k, s.n, seed++);
        for (const float beta : {0.0f, 0.3f}) {
          Tensor c_cpu = RandomTensor(s.m, s.n, seed++);
          Tensor c_gpu = c_cpu.To(kGpu);
          Gemm(ta, tb, 0.7f, a, b, beta, &c_cpu);
          Gemm(ta, tb, 0.7f, a.To(kGpu), b.To(kGpu), beta, &c_gpu);
          ExpectNear(c_gpu, c_cpu, 1e-5, 1e-4, what + " beta=" + std::to_string(beta));
        }
      }
    }
  }
}

TEST(CudaVsCpuTest, BiasAxpyScaleNorm) {
  HALO_SKIP_WITHOUT_CUDA();
  for (const int64_t rows : {1, 1000, 70000}) {
    for (const int64_t cols : {1, 5, 37}) {
      const std::string what = "rows=" + std::to_string(rows) + " cols=" + std::to_string(cols);
      SCOPED_TRACE(what);
      const Tensor bias = RandomTensor(1, cols, rows + cols);
      Tensor x_cpu = RandomTensor(rows, cols, rows * cols);
      Tensor x_gpu = x_cpu.To(kGpu);
      AddBias(bias, &x_cpu);
      AddBias(bias.To(kGpu), &x_gpu);
      ExpectSame(x_gpu, x_cpu, what + " AddBias");

      Tensor gb_cpu = Poisoned(1, cols);
      Tensor gb_gpu = GpuPoisoned(1, cols);
      BiasGrad(x_cpu, &gb_cpu);
      BiasGrad(x_gpu, &gb_gpu);
      ExpectNear(gb_gpu, gb_cpu, 1e-5, 1e-6, what + " BiasGrad");

      const Tensor y = RandomTensor(rows, cols, 7 * rows + cols);
      Axpy(-0.37f, y, &x_cpu);
      Axpy(-0.37f, y.To(kGpu), &x_gpu);
      ExpectNear(x_gpu, x_cpu, kElemAtol, kElemRtol, what + " Axpy");

      Scale(1.7f, &x_cpu);
      Scale(1.7f, &x_gpu);
      ExpectNear(x_gpu, x_cpu, kElemAtol, kElemRtol, what + " Scale");

      const double n_cpu = SquaredNorm(x_cpu);
      const double n_gpu = SquaredNorm(x_gpu);
      EXPECT_NEAR(n_gpu, n_cpu, 1e-6 * n_cpu) << what;
    }
  }
}

TEST(CudaVsCpuTest, ElementwiseOpsPastTheGridCap) {
  HALO_SKIP_WITHOUT_CUDA();
  const int64_t rows = 70000;
  const int64_t cols = 300;  // 21M elements: more than 65535 blocks of 256 threads
  Tensor x_cpu = RandomTensor(rows, cols, 3);
  Tensor x_gpu = x_cpu.To(kGpu);
  Scale(0.5f, &x_cpu);
  Scale(0.5f, &x_gpu);
  ExpectSame(x_gpu, x_cpu, "Scale");
  EXPECT_NEAR(SquaredNorm(x_gpu), SquaredNorm(x_cpu), 1e-6 * SquaredNorm(x_cpu));
}

// ---------------------------------------------------------------------------------------------
// Activations and dropout

TEST(CudaVsCpuTest, Activations) {
  HALO_SKIP_WITHOUT_CUDA();
  std::vector<float> xv = RandomVector(333 * 77, 12, -3.0f, 3.0f);
  for (size_t i = 0; i < xv.size(); i += 101) xv[i] = 0.0f;  // the kink
  const Tensor x = Tensor::FromVector(xv, 333, 77);
  const Tensor grad_y = RandomTensor(333, 77, 13);
  for (const Activation act :
       {Activation::kNone, Activation::kRelu, Activation::kElu, Activation::kLeakyRelu}) {
    const std::string what = "activation " + std::to_string(static_cast<int>(act));
    SCOPED_TRACE(what);
    Tensor y_cpu = Poisoned(333, 77);
    Tensor y_gpu = GpuPoisoned(333, 77);
    ActivationForward(act, 0.2f, x, &y_cpu);
    ActivationForward(act, 0.2f, x.To(kGpu), &y_gpu);
    ExpectNear(y_gpu, y_cpu, 1e-7, kElemRtol, what + " forward");

    Tensor inplace = x.To(kGpu);
    ActivationForward(act, 0.2f, inplace, &inplace);
    ExpectNear(inplace, y_cpu, 1e-7, kElemRtol, what + " forward in place");

    Tensor gx_cpu = Poisoned(333, 77);
    Tensor gx_gpu = GpuPoisoned(333, 77);
    ActivationBackward(act, 0.2f, x, grad_y, &gx_cpu);
    ActivationBackward(act, 0.2f, x.To(kGpu), grad_y.To(kGpu), &gx_gpu);
    ExpectNear(gx_gpu, gx_cpu, 1e-7, kElemRtol, what + " backward");

    const Tensor x_gpu = x.To(kGpu);
    Tensor g_inplace = grad_y.To(kGpu);
    ActivationBackward(act, 0.2f, x_gpu, g_inplace, &g_inplace);
    ExpectNear(g_inplace, gx_cpu, 1e-7, kElemRtol, what + " backward in place");
  }
}

TEST(CudaVsCpuTest, DropoutMasksAreIdentical) {
  HALO_SKIP_WITHOUT_CUDA();
  const Tensor x = RandomTensor(333, 77, 14);
  const Tensor grad_y = RandomTensor(333, 77, 15);
  for (const float p : {0.0f, 0.1f, 0.5f, 0.9f}) {
    const std::string what = "p=" + std::to_string(p);
    SCOPED_TRACE(what);
    const uint64_t seed = 0x1234abcdull + static_cast<uint64_t>(p * 10);
    Tensor y_cpu = Poisoned(333, 77);
    Tensor y_gpu = GpuPoisoned(333, 77);
    Array<uint8_t> m_cpu(x.numel(), kCpu);
    Array<uint8_t> m_gpu(x.numel(), kGpu);
    DropoutForward(p, seed, x, &y_cpu, &m_cpu);
    DropoutForward(p, seed, x.To(kGpu), &y_gpu, &m_gpu);
    ExpectSame(m_gpu, m_cpu, what + " mask");
    ExpectSame(y_gpu, y_cpu, what + " y");
    const std::vector<uint8_t> mask = m_gpu.ToVector();
    int64_t wrong = 0;
    for (int64_t i = 0; i < x.numel(); ++i) wrong += (mask[i] != 0) != DropoutKeep(p, seed, i);
    EXPECT_EQ(wrong, 0) << what;

    Tensor inplace = x.To(kGpu);
    Array<uint8_t> m_inplace(x.numel(), kGpu);
    DropoutForward(p, seed, inplace, &inplace, &m_inplace);
    ExpectSame(inplace, y_cpu, what + " y in place");

    Tensor gx_cpu = Poisoned(333, 77);
    Tensor gx_gpu = GpuPoisoned(333, 77);
    DropoutBackward(p, m_cpu, grad_y, &gx_cpu);
    DropoutBackward(p, m_gpu, grad_y.To(kGpu), &gx_gpu);
    ExpectSame(gx_gpu, gx_cpu, what + " grad_x");
  }
}

// ---------------------------------------------------------------------------------------------
// Loss and accuracy

std::vector<int64_t> RandomLabels(int64_t rows, int64_t cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> cls(0, cols - 1);
  std::uniform_int_distribution<int> coin(0, 4);
  std::vector<int64_t> labels(rows);
  for (int64_t& l : labels) l = coin(rng) == 0 ? -1 : cls(rng);
  return labels;
}

TEST(CudaVsCpuTest, SoftmaxCrossEntropy) {
  HALO_SKIP_WITHOUT_CUDA();
  for (const int64_t cols : {1, 7, 40, 300}) {
    const std::string what = "cols=" + std::to_string(cols);
    SCOPED_TRACE(what);
    const int64_t rows = 517;
    const Tensor logits = RandomTensor(rows, cols, 60 + cols, -4.0f, 4.0f);
    const Array<int64_t> labels = Array<int64_t>::FromVector(RandomLabels(rows, cols, cols));
    Tensor g_cpu = Poisoned(rows, cols);
    Tensor g_gpu = GpuPoisoned(rows, cols);
    const float loss_cpu = SoftmaxCrossEntropy(logits, labels, &g_cpu);
    const float loss_gpu = SoftmaxCrossEntropy(logits.To(kGpu), labels.To(kGpu), &g_gpu);
    EXPECT_NEAR(loss_gpu, loss_cpu, 1e-5 * std::fabs(loss_cpu) + 1e-6) << what;
    ExpectNear(g_gpu, g_cpu, 1e-8, 1e-4, what + " grad");
  }
}

TEST(CudaVsCpuTest, SoftmaxCrossEntropyNoLabels) {
  HALO_SKIP_WITHOUT_CUDA();
  const Tensor logits = RandomTensor(20, 5, 1);
  const Array<int64_t> labels = Array<int64_t>::FromVector(std::vector<int64_t>(20, -1)).To(kGpu);
  Tensor g_gpu = GpuPoisoned(20, 5);
  EXPECT_EQ(SoftmaxCrossEntropy(logits.To(kGpu), labels, &g_gpu), 0.0f);
  for (const float v : g_gpu.ToVector()) EXPECT_EQ(v, 0.0f);
}

TEST(CudaVsCpuTest, CountCorrectWithTies) {
  HALO_SKIP_WITHOUT_CUDA();
  for (const int64_t cols : {1, 2, 7, 40, 100}) {
    const std::string what = "cols=" + std::to_string(cols);
    const int64_t rows = 1001;
    // Integer logits in [0, 3]: most rows have tied maxima, so the first-maximum rule matters.
    const Tensor logits = QuantizedTensor(rows, cols, 70 + cols, 0, 3);
    std::vector<int64_t> lv = RandomLabels(rows, cols, 80 + cols);
    const Array<int64_t> labels = Array<int64_t>::FromVector(lv);
    const int64_t cpu = CountCorrect(logits, labels);
    const int64_t gpu = CountCorrect(logits.To(kGpu), labels.To(kGpu));
    EXPECT_EQ(gpu, cpu) << what;
    // Labels set to the first maximum of each row: every labeled row is correct.
    const std::vector<float> x = logits.ToVector();
    int64_t labeled = 0;
    for (int64_t r = 0; r < rows; ++r) {
      if (lv[r] < 0) continue;
      ++labeled;
      int64_t best = 0;
      for (int64_t c = 1; c < cols; ++c) {
        if (x[r * cols + c] > x[r * cols + best]) best = c;
      }
      lv[r] = best;
    }
    const Array<int64_t> first_max = Array<int64_t>::FromVector(lv, kGpu);
    EXPECT_EQ(CountCorrect(logits.To(kGpu), first_max), labeled) << what;
  }
}

// ---------------------------------------------------------------------------------------------
// Optimizers

TEST(CudaVsCpuTest, SgdSteps) {
  HALO_SKIP_WITHOUT_CUDA();
  for (const float momentum : {0.0f, 0.9f}) {
    const std::string what = "momentum=" + std::to_string(momentum);
    SCOPED_TRACE(what);
    Tensor p_cpu = RandomTensor(61, 13, 90);
    Tensor p_gpu = p_cpu.To(kGpu);
    Tensor b_cpu = Poisoned(61, 13);  // step 1 seeds the buffer
    Tensor b_gpu = GpuPoisoned(61, 13);
    for (int64_t step = 1; step <= 3; ++step) {
      const Tensor grad = RandomTensor(61, 13, 91 + step);
      SgdStep(0.1f, momentum, 0.01f, step, grad, &b_cpu, &p_cpu);
      SgdStep(0.1f, momentum, 0.01f, step, grad.To(kGpu), &b_gpu, &p_gpu);
      ExpectNear(p_gpu, p_cpu, kElemAtol, kElemRtol, what + " param");
      if (momentum != 0.0f) ExpectNear(b_gpu, b_cpu, kElemAtol, kElemRtol, what + " buf");
    }
  }
}

TEST(CudaVsCpuTest, AdamSteps) {
  HALO_SKIP_WITHOUT_CUDA();
  for (const bool decoupled : {false, true}) {
    const std::string what = decoupled ? "AdamW" : "Adam";
    SCOPED_TRACE(what);
    Tensor p_cpu = RandomTensor(61, 13, 95);
    Tensor p_gpu = p_cpu.To(kGpu);
    Tensor m_cpu = Tensor::Zeros(61, 13);
    Tensor v_cpu = Tensor::Zeros(61, 13);
    Tensor m_gpu = Tensor::Zeros(61, 13, kGpu);
    Tensor v_gpu = Tensor::Zeros(61, 13, kGpu);
    for (int64_t step = 1; step <= 3; ++step) {
      const Tensor grad = RandomTensor(61, 13, 96 + step);
      AdamStep(0.01f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, step, grad, &m_cpu, &v_cpu, &p_cpu);
      AdamStep(0.01f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, step, grad.To(kGpu), &m_gpu, &v_gpu,
               &p_gpu);
      ExpectNear(p_gpu, p_cpu, kElemAtol, kElemRtol, what + " param");
      ExpectNear(m_gpu, m_cpu, kElemAtol, kElemRtol, what + " m");
      ExpectNear(v_gpu, v_cpu, kElemAtol, kElemRtol, what + " v");
    }
  }
}

}  // namespace
}  // namespace halo::kernels
