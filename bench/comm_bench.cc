// Communicator benchmark: `ranks` threads of this process form one Gloo group over loopback TCP
// (rendezvous through an in-process coordinator) and time AllReduceSum of `mb` MB of floats, the
// dense-gradient sync of a training step. The result is checked (every element must equal the
// rank count after one all-reduce of ones). Prints one JSON object: per-iteration seconds (min,
// median), algorithm bandwidth (bytes / time) and bus bandwidth (x 2(n-1)/n, the bytes each rank
// actually moves in a ring). Ranks share this machine's cores: on a 2-core box the numbers are
// bounded by CPU (the reduction and the kernel's socket copies), not by a network.
//
// Usage: halo-bench-comm [--ranks=4] [--mb=25] [--iters=10] [--warmup=2]
#include <gflags/gflags.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "net/coordinator.h"
#include "net/server.h"
#include "trainer/communicator.h"

DEFINE_int32(ranks, 4, "ranks (threads)");
DEFINE_double(mb, 25, "MB (1e6 bytes) of float32 per all-reduce");
DEFINE_int32(iters, 10, "timed all-reduces");
DEFINE_int32(warmup, 2, "untimed all-reduces first");

namespace halo {
namespace {

int Main() {
  if (FLAGS_ranks < 1 || FLAGS_mb <= 0 || FLAGS_iters < 1 || FLAGS_warmup < 0) {
    std::fprintf(stderr, "halo-bench-comm: error: need ranks >= 1, mb > 0, iters >= 1\n");
    return 2;
  }
  const int world = FLAGS_ranks;
  const size_t n = static_cast<size_t>(FLAGS_mb * 1e6 / sizeof(float));
  net::CoordinatorServer coordinator;
  core::Status s = coordinator.Start(net::LoopbackEndpoint());
  if (!s.ok()) {
    std::fprintf(stderr, "halo-bench-comm: error: %s\n", s.ToString().c_str());
    return 1;
  }
  std::vector<std::string> errors(static_cast<size_t>(world));
  std::vector<std::vector<double>> times(static_cast<size_t>(world));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      std::string& error = errors[static_cast<size_t>(r)];
      trainer::CommConfig c;
      c.rank = r;
      c.world_size = world;
      c.coordinator = coordinator.endpoint();
      c.host = "local";
      auto comm = trainer::CreateCommunicator(c);
      if (!comm.ok()) {
        error = comm.status().ToString();
        return;
      }
      std::vector<float> data(n, 1.0f);
      for (int i = 0; i < FLAGS_warmup + FLAGS_iters; ++i) {
        // Barrier first so that each timing starts with every rank ready.
        core::Status st = (*comm)->Barrier();
        if (st.ok()) {
          std::fill(data.begin(), data.end(), 1.0f);
          const auto start = bench::Clock::now();
          st = (*comm)->AllReduceSum(data.data(), n);
          const double t = bench::Seconds(start, bench::Clock::now());
          if (i >= FLAGS_warmup) times[static_cast<size_t>(r)].push_back(t);
        }
        if (!st.ok()) {
          error = st.ToString();
          return;
        }
        if (n > 0 && (data[0] != static_cast<float>(world) || data[n - 1] != data[0])) {
          error = "wrong all-reduce result";
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < world; ++r) {
    if (!errors[static_cast<size_t>(r)].empty()) {
      std::fprintf(stderr, "halo-bench-comm: error: rank %d: %s\n", r,
                   errors[static_cast<size_t>(r)].c_str());
      return 1;
    }
  }
  // An all-reduce is done when its slowest rank is: take the max over ranks per iteration.
  std::vector<double> per_iter(static_cast<size_t>(FLAGS_iters), 0.0);
  for (int r = 0; r < world; ++r) {
    for (int i = 0; i < FLAGS_iters; ++i) {
      per_iter[static_cast<size_t>(i)] =
          std::max(per_iter[static_cast<size_t>(i)], times[static_cast<size_t>(r)][i]);
    }
  }
  const double bytes = static_cast<double>(n * sizeof(float));
  const double median = bench::Percentile(per_iter, 0.5);
  const double min = bench::Percentile(per_iter, 0.0);
  nlohmann::json out;
  out["bench"] = "comm_allreduce";
  out["backend"] = "gloo";
  out["ranks"] = world;
  out["bytes"] = static_cast<int64_t>(bytes);
  out["iters"] = FLAGS_iters;
  out["seconds_min"] = min;
  out["seconds_median"] = median;
  out["algbw_gb_per_s"] = bytes / median / 1e9;
  out["busbw_gb_per_s"] = bytes / median / 1e9 * 2.0 * (world - 1) / world;
  out["hardware_threads"] = std::thread::hardware_concurrency();
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace halo

int main(int argc, char** argv) {
  gflags::SetUsageMessage("halo-bench-comm [--ranks=4] [--mb=25] [--iters=10]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  return halo::Main();
}
