// Parameter-server benchmark: `--shards` in-process ShardServers on loopback (their own worker
// threads) hold one table (default 1M rows x 64 floats, row-wise Adagrad); `--clients` workers
// (threads, one ps::Client each) repeat, for `--iters` steps: Pull a batch of uniform random row
// IDs (default 10k), Push a gradient for the same IDs, Clock. Each Pull and Push is timed from the
// call to the end of Wait. The client cache is off, so every pull reaches the shards. Prints one
// JSON object: rows/s per shard for pulls and pushes (all clients' rows / wall time of the timed
// phase / shards, each phase's time summed over clients being the denominator), and p50/p99 of the
// per-batch latency. The machine may be shared: compare within one run.
//
// Usage: halo-bench-ps [--shards=1] [--clients=1] [--rows=1000000] [--dim=64] [--batch=10000]
//                      [--iters=50] [--warmup=5] [--threads=8] [--staleness=-1]
//                      [--optimizer=adagrad]
#include <gflags/gflags.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "core/random.h"
#include "ps/client.h"
#include "ps/server.h"

DEFINE_int32(shards, 1, "in-process shards");
DEFINE_int32(clients, 1, "workers pulling and pushing at once (one thread and client each)");
DEFINE_int64(rows, 1000000, "rows of the table");
DEFINE_int64(dim, 64, "floats per row");
DEFINE_int64(batch, 10000, "row IDs per pull and per push");
DEFINE_int32(iters, 50, "timed steps per client");
DEFINE_int32(warmup, 5, "untimed steps per client first");
DEFINE_int32(threads, 8, "worker threads per shard");
DEFINE_int64(staleness, -1, "the table's bound (-1: ASP, so that clients never wait)");
DEFINE_string(optimizer, "adagrad", "sgd | adagrad | adam");

namespace {

using halo::bench::Clock;
using halo::bench::Percentile;
using halo::bench::Seconds;

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "halo-bench-ps: %s\n", msg.c_str());
  std::exit(1);
}

void Check(const halo::core::Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

struct Timings {
  std::vector<double> pull_s, push_s;
};

nlohmann::json Summary(const std::vector<double>& seconds, int64_t rows_per_op, int shards) {
  double total = 0;
  for (double s : seconds) total += s;
  nlohmann::json j;
  j["ops"] = seconds.size();
  // Latency-bound rate: rows moved per second of time spent in the op, per shard.
  j["rows_per_s_per_shard"] =
      static_cast<double>(rows_per_op) * static_cast<double>(seconds.size()) / total / shards;
  j["p50_ms"] = Percentile(seconds, 0.50) * 1e3;
  j["p99_ms"] = Percentile(seconds, 0.99) * 1e3;
  j["mean_ms"] = total / static_cast<double>(seconds.size()) * 1e3;
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_shards < 1 || FLAGS_clients < 1 || FLAGS_rows < 1 || FLAGS_dim < 1 || FLAGS_batch < 1 ||
      FLAGS_iters < 1) {
    Die("--shards, --clients, --rows, --dim, --batch and --iters must be >= 1");
  }
  halo::ps::TableSpec spec;
  spec.name = "bench";
  spec.num_rows = FLAGS_rows;
  spec.dim = FLAGS_dim;
  spec.init = {halo::ps::InitKind::kUniform, -0.1f, 0.1f, 1};
  auto kind = halo::ps::ParseOptimizerKind(FLAGS_optimizer);
  if (!kind.ok()) Die(kind.status().ToString());
  spec.optimizer.kind = *kind;
  spec.staleness = FLAGS_staleness;

  std::vector<std::unique_ptr<halo::ps::ShardServer>> servers;
  std::vector<std::string> endpoints;
  for (int s = 0; s < FLAGS_shards; ++s) {
    halo::ps::ShardServerOptions opt;
    opt.shard.shard = s;
    opt.shard.num_shards = FLAGS_shards;
    opt.shard.num_workers = FLAGS_clients;
    opt.num_threads = FLAGS_threads;
    auto server = halo::ps::ShardServer::Create(opt, false);
    if (!server.ok()) Die(server.status().ToString());
    Check((*server)->Start("tcp://127.0.0.1:0"), "start");
    endpoints.push_back((*server)->endpoint());
    servers.push_back(std::move(server).value());
  }

  std::vector<Timings> timings(static_cast<size_t>(FLAGS_clients));
  std::vector<std::thread> threads;
  std::mutex start_mu;
  const auto t0 = Clock::now();
  for (int w = 0; w < FLAGS_clients; ++w) {
    threads.emplace_back([&, w] {
      halo::ps::ClientOptions opt;
      opt.worker = w;
      opt.max_cache_rows = 0;
      auto client = halo::ps::Client::Connect(endpoints, opt);
      if (!client.ok()) Die(client.status().ToString());
      halo::ps::Client& ps = **client;
      Check(ps.CreateTable(spec), "create table");
      halo::core::Rng rng(halo::core::DeriveSeed(42, static_cast<uint64_t>(w)));
      std::vector<int64_t> ids(static_cast<size_t>(FLAGS_batch));
      std::vector<float> rows;
      std::vector<float> grads(static_cast<size_t>(FLAGS_batch * FLAGS_dim));
      for (float& g : grads) g = static_cast<float>(rng.UniformDouble() - 0.5) * 1e-3f;
      Timings& t = timings[static_cast<size_t>(w)];
      for (int it = 0; it < FLAGS_warmup + FLAGS_iters; ++it) {
        for (int64_t& id : ids) id = static_cast<int64_t>(rng.Uniform(FLAGS_rows));
        auto a = Clock::now();
        Check(ps.Wait(ps.Pull("bench", ids, &rows)), "pull");
        auto b = Clock::now();
        Check(ps.Wait(ps.Push("bench", ids, grads)), "push");
        auto c = Clock::now();
        Check(ps.Clock(), "clock");
        if (it >= FLAGS_warmup) {
          t.pull_s.push_back(Seconds(a, b));
          t.push_s.push_back(Seconds(b, c));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double wall = Seconds(t0, Clock::now());

  std::vector<double> pull_s, push_s;
  for (const Timings& t : timings) {
    pull_s.insert(pull_s.end(), t.pull_s.begin(), t.pull_s.end());
    push_s.insert(push_s.end(), t.push_s.begin(), t.push_s.end());
  }
  nlohmann::json out;
  out["config"] = {
      {"shards", FLAGS_shards},       {"clients", FLAGS_clients},
      {"rows", FLAGS_rows},           {"dim", FLAGS_dim},
      {"batch", FLAGS_batch},         {"iters", FLAGS_iters},
      {"threads", FLAGS_threads},     {"staleness", FLAGS_staleness},
      {"optimizer", FLAGS_optimizer}, {"hardware_threads", std::thread::hardware_concurrency()}};
  out["pull"] = Summary(pull_s, FLAGS_batch, FLAGS_shards);
  out["push"] = Summary(push_s, FLAGS_batch, FLAGS_shards);
  // Throughput with all clients at once: every row pulled and pushed over the whole run.
  const double all_rows =
      static_cast<double>(FLAGS_batch) * FLAGS_clients * (FLAGS_warmup + FLAGS_iters);
  out["aggregate_pull_plus_push_rows_per_s_per_shard"] = 2 * all_rows / wall / FLAGS_shards;
  std::printf("%s\n", out.dump(2).c_str());
  for (auto& s : servers) s->Stop();
  return 0;
}
