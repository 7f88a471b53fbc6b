// CPU SpMM (sum) on a random graph against a STREAM-style copy measured in the same process, so
// the ratio says how close the kernel runs to this machine's memory bandwidth. Prints one JSON
// object. Usage: halo-bench-spmm [num_nodes [num_edges [feature_dim]]]
//
// SpMM is timed twice: on tensors as core allocates them (4 KiB pages), and with the feature and
// output buffers advised as transparent huge pages (MADV_HUGEPAGE), because random row gathers
// from a large table are bound by TLB misses as much as by DRAM. Wall-clock best of 5 after a
// warm-up, with the rounds interleaving both SpMMs and the copy so that all three see the same
// machine; the process CPU time of each best run is reported too, since on a shared machine the
// wall clock also counts time the threads spent descheduled.
#include <omp.h>
#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "core/csr.h"
#include "core/tensor.h"
#include "kernels/csr_view.h"
#include "kernels/spmm.h"

namespace {

double Now(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

struct Timing {
  double wall_s = 1e30;
  double cpu_s = 0.0;  // process CPU time of the best wall-clock run
};

template <typename F>
Timing TimeOnce(F&& fn) {
  const double w0 = Now(CLOCK_MONOTONIC);
  const double c0 = Now(CLOCK_PROCESS_CPUTIME_ID);
  fn();
  return {Now(CLOCK_MONOTONIC) - w0, Now(CLOCK_PROCESS_CPUTIME_ID) - c0};
}

// Advises the 2 MiB-aligned interior of [p, p + bytes) as huge pages; must precede first touch.
void AdviseHugePages(void* p, size_t bytes) {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t lo = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t hi = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
}

// First touch in parallel, so pages land near the threads that use them.
void Fill(halo::core::Tensor* t, bool zero) {
  float* d = t->data();
  const int64_t n = t->numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    d[i] = zero ? 0.0f : static_cast<float>((i * 2654435761u) % 1000) * 1e-3f;
  }
}

// Tensors for one SpMM configuration: features and output, on 4 KiB or huge pages.
struct SpMMCase {
  halo::core::Tensor x;
  halo::core::Tensor out;
};

SpMMCase MakeCase(const halo::kernels::DeviceCsr& graph, int64_t dim, bool huge_pages) {
  SpMMCase c{halo::core::Tensor(graph.num_cols(), dim), halo::core::Tensor(graph.num_rows(), dim)};
  if (huge_pages) {
    AdviseHugePages(c.x.data(), c.x.numel() * sizeof(float));
    AdviseHugePages(c.out.data(), c.out.numel() * sizeof(float));
  }
  Fill(&c.x, false);
  Fill(&c.out, true);
  return c;
}

nlohmann::json ToJson(const Timing& t, double bytes) {
  return {{"seconds_best", t.wall_s},
          {"cpu_seconds_of_best", t.cpu_s},
          {"gbps", bytes / t.wall_s / 1e9}};
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t num_nodes = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const int64_t num_edges = argc > 2 ? std::atoll(argv[2]) : 10000000;
  const int64_t dim = argc > 3 ? std::atoll(argv[3]) : 128;
  constexpr int kReps = 5;

  // Uniform random edges (deterministic seed), stored as an in-CSR: rows are destinations.
  std::mt19937_64 rng(20240601);
  std::uniform_int_distribution<int64_t> node(0, num_nodes - 1);
  std::vector<int64_t> dst(num_edges), src(num_edges);
  for (int64_t e = 0; e < num_edges; ++e) {
    dst[e] = node(rng);
    src[e] = node(rng);
  }
  const halo::core::Csr csr = halo::core::BuildCsr(num_nodes, dst, src, {}, /*dedupe=*/false);
  std::vector<int64_t>().swap(dst);
  std::vector<int64_t>().swap(src);
  const auto graph = halo::kernels::DeviceCsr::FromCsr(csr, num_nodes, halo::core::Device::kCpu);

  // Bytes an ideal kernel moves: indices, one gathered row per edge, the output, indptr.
  const double spmm_bytes =
      static_cast<double>(num_edges) * 8 + static_cast<double>(num_edges) * dim * 4 +
      static_cast<double>(num_nodes) * dim * 4 + static_cast<double>(num_nodes) * 8;
  SpMMCase plain = MakeCase(graph, dim, /*huge_pages=*/false);
  SpMMCase huge = MakeCase(graph, dim, /*huge_pages=*/true);

  // STREAM copy: b[i] = a[i] over 1 GiB, counted as read + write (2 GiB moved).
  const int64_t copy_n = (int64_t{1} << 30) / static_cast<int64_t>(sizeof(float));
  halo::core::Tensor a(copy_n, 1);
  halo::core::Tensor b(copy_n, 1);
  Fill(&a, false);
  Fill(&b, true);
  const float* __restrict ad = a.data();
  float* __restrict bd = b.data();
  auto copy = [&] {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < copy_n; ++i) bd[i] = ad[i];
  };
  auto spmm = [&](SpMMCase* c) {
    halo::kernels::SpMM(graph.view(), c->x, nullptr, halo::kernels::Reduce::kSum, &c->out, nullptr);
  };

  // Rounds interleave the three measurements, so that a best-of over a shared machine compares
  // the kernel and the copy under the same conditions. The first round is a warm-up.
  Timing t_plain, t_huge, t_copy;
  for (int round = 0; round <= kReps; ++round) {
    const Timing r_plain = TimeOnce([&] { spmm(&plain); });
    const Timing r_huge = TimeOnce([&] { spmm(&huge); });
    const Timing r_copy = TimeOnce(copy);
    if (round == 0) continue;  // warm-up
    if (r_plain.wall_s < t_plain.wall_s) t_plain = r_plain;
    if (r_huge.wall_s < t_huge.wall_s) t_huge = r_huge;
    if (r_copy.wall_s < t_copy.wall_s) t_copy = r_copy;
  }
  const double copy_bytes = 2.0 * static_cast<double>(copy_n) * sizeof(float);
  const double copy_gbps = copy_bytes / t_copy.wall_s / 1e9;

  // A checksum keeps the work observable (and gives a sanity value to compare across runs).
  double checksum = bd[copy_n / 2];
  for (int64_t i = 0; i < plain.out.numel(); i += 4097) {
    checksum += plain.out.data()[i] + huge.out.data()[i];
  }
  const double spmm_gbps = spmm_bytes / t_plain.wall_s / 1e9;
  const double huge_gbps = spmm_bytes / t_huge.wall_s / 1e9;

  nlohmann::json j;
  j["benchmark"] = "spmm_sum_cpu";
  j["threads"] = omp_get_max_threads();
  j["num_nodes"] = num_nodes;
  j["num_edges"] = num_edges;
  j["feature_dim"] = dim;
  j["repetitions"] = kReps;
  j["spmm_bytes"] = spmm_bytes;
  j["spmm"] = ToJson(t_plain, spmm_bytes);
  j["spmm_huge_pages"] = ToJson(t_huge, spmm_bytes);
  j["stream_copy"] = ToJson(t_copy, copy_bytes);
  j["stream_copy"]["bytes"] = copy_bytes;
  j["spmm_over_copy"] = spmm_gbps / copy_gbps;
  j["spmm_huge_pages_over_copy"] = huge_gbps / copy_gbps;
  j["checksum"] = checksum;
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}
