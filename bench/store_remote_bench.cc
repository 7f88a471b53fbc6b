// Remote store benchmark: a synthetic one-part partition (default 1M rows x 128 float32 = 512 MB,
// plus labels and masks) is bulk-loaded with WritePartStore next to a minimal partition.json and
// an edgeless graph; a StoreServer serves it on loopback (in this process, its own worker
// threads), and random gathers (default 100 batches of 10k uniform IDs) are timed
//   local    FeatureStore::GetFeatures on the server's own store (all rows hot), in-process,
//   remote   StoreClient::GetFeatures through ZeroMQ on loopback (request, server gather, CRC32C
//            both ways, reply, client scatter into request order),
// alternating batch by batch so that both see the same machine load. Every remote batch is
// compared byte for byte with the local one (outside the timing). Prints one JSON object: MB/s
// (feature bytes delivered), p50/p99 batch latency, and process CPU per batch (client and server
// threads together). The machine may be shared: compare ratios within one run.
//
// Usage: halo-bench-store-remote [--rows=1000000] [--dim=128] [--batch=10000] [--batches=100]
//                                [--threads=4] [--target_reply_bytes=1048576] [--dir=/tmp/...]
//                                [--keep]
#include <gflags/gflags.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "core/fs.h"
#include "core/npy.h"
#include "core/partition_book.h"
#include "storage/part_store_writer.h"
#include "storage/store_client.h"
#include "storage/store_server.h"

DEFINE_int64(rows, 1000000, "rows of the part");
DEFINE_int64(dim, 128, "float32 features per row");
DEFINE_int64(batch, 10000, "IDs per gather");
DEFINE_int32(batches, 100, "timed gathers per mode");
DEFINE_int32(warmup, 5, "untimed gathers per mode first");
DEFINE_int32(threads, 4, "store server worker threads");
DEFINE_int64(target_reply_bytes, 1 << 20, "StoreClientOptions::target_reply_bytes");
DEFINE_string(dir, "", "partition directory (default: a fresh one under /tmp, removed at exit)");
DEFINE_bool(keep, false, "keep the partition directory");

namespace {

using halo::bench::Clock;
using halo::bench::Percentile;
using halo::bench::Seconds;

double ProcessCpuSeconds() { return halo::bench::CpuSeconds(CLOCK_PROCESS_CPUTIME_ID); }

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "halo-bench-store-remote: %s\n", msg.c_str());
  std::exit(1);
}

void Check(const halo::core::Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

// A one-part partition in `dir`: the part store and an edgeless in-CSR (the server's GraphStore).
void WritePartition(const std::string& dir, int64_t n, int64_t dim) {
  const std::string part_dir = dir + "/part0";
  Check(halo::core::MakeDirs(part_dir), "mkdir");
  {
    std::vector<float> features(static_cast<size_t>(n * dim));
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (float& f : features) {  // xorshift64: fast, deterministic values in [-1, 1)
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      f = static_cast<float>(static_cast<int64_t>(x >> 40) - (1 << 23)) /
          static_cast<float>(1 << 23);
    }
    std::vector<int64_t> labels(static_cast<size_t>(n));
    std::vector<uint8_t> train(static_cast<size_t>(n));
    for (int64_t r = 0; r < n; ++r) {
      labels[static_cast<size_t>(r)] = r % 40;
      train[static_cast<size_t>(r)] = r % 10 < 6;
    }
    halo::storage::PartStoreData data;
    data.node_begin = 0;
    data.num_rows = n;
    data.feature_dim = dim;
    data.features = features.data();
    data.labels = labels.data();
    data.train_mask = train.data();
    Check(halo::storage::WritePartStore(part_dir + "/store", data), "WritePartStore");
  }
  std::vector<int64_t> indptr(static_cast<size_t>(n + 1), 0), indices, l2g(static_cast<size_t>(n));
  std::iota(l2g.begin(), l2g.end(), 0);
  std::vector<uint8_t> inner(static_cast<size_t>(n), 1);
  Check(halo::core::WriteNpy(part_dir + "/indptr.npy", indptr), "indptr");
  Check(halo::core::WriteNpy(part_dir + "/indices.npy", indices), "indices");
  Check(halo::core::WriteNpy(part_dir + "/local_to_global.npy", l2g), "local_to_global");
  Check(halo::core::WriteNpyBool(part_dir + "/is_inner.npy", inner), "is_inner");
  Check(halo::core::WriteNpy(dir + "/node_map.npy", l2g), "node_map");

  halo::core::PartitionMeta meta;
  meta.graph_name = "synthetic";
  meta.num_nodes = n;
  meta.num_parts = 1;
  meta.method = "random";
  meta.feature_dim = dim;
  meta.num_classes = 40;
  meta.self_loops = "keep";
  meta.node_map_file = "node_map.npy";
  halo::core::PartInfo info;
  info.id = 0;
  info.node_begin = 0;
  info.node_end = n;
  info.num_inner = n;
  info.dir = "part0";
  for (const char* kind : {"indptr", "indices", "local_to_global", "is_inner"}) {
    info.files[kind] = std::string("part0/") + kind + ".npy";
  }
  info.files["store"] = "part0/store";
  meta.parts.push_back(info);
  Check(halo::core::WritePartitionMeta(dir + "/partition.json", meta), "partition.json");
}

struct Timing {
  std::vector<double> latency_s;
  double cpu_s = 0;
};

nlohmann::json Summary(const Timing& t) {
  const double total = std::accumulate(t.latency_s.begin(), t.latency_s.end(), 0.0);
  const double bytes = static_cast<double>(t.latency_s.size()) * static_cast<double>(FLAGS_batch) *
                       static_cast<double>(FLAGS_dim) * sizeof(float);
  nlohmann::json j;
  j["mb_per_s"] = bytes / total / 1e6;
  j["p50_ms"] = Percentile(t.latency_s, 0.50) * 1e3;
  j["p99_ms"] = Percentile(t.latency_s, 0.99) * 1e3;
  j["total_s"] = total;
  j["cpu_ms_per_batch"] = t.cpu_s / static_cast<double>(t.latency_s.size()) * 1e3;
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("Remote part store gather benchmark (JSON on stdout)");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  const int64_t n = FLAGS_rows, dim = FLAGS_dim;
  std::string dir = FLAGS_dir;
  if (dir.empty()) dir = "/tmp/halo-store-remote-bench-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);

  const auto w0 = Clock::now();
  WritePartition(dir, n, dim);
  const double write_s = Seconds(w0, Clock::now());

  halo::storage::StoreServerOptions sopt;
  sopt.num_threads = FLAGS_threads;
  sopt.mem_budget_mb = static_cast<double>(n * dim * 4) / (1 << 20) + 64;  // all rows hot
  const auto o0 = Clock::now();
  auto server = halo::storage::StoreServer::Open(dir, 0, sopt);
  if (!server.ok()) Die(server.status().ToString());
  const double open_s = Seconds(o0, Clock::now());
  Check((*server)->Start("tcp://127.0.0.1:0"), "Start");
  const halo::storage::FeatureStore& local = (*server)->features();

  auto meta = halo::core::ReadPartitionMeta(dir);
  if (!meta.ok()) Die(meta.status().ToString());
  halo::storage::StoreClientOptions copt;
  copt.deadline = std::chrono::milliseconds(30000);
  copt.target_reply_bytes = static_cast<size_t>(FLAGS_target_reply_bytes);
  auto client = halo::storage::StoreClient::Create(meta.value(), {(*server)->endpoint()}, copt);
  if (!client.ok()) Die(client.status().ToString());

  std::vector<std::vector<int64_t>> batches(static_cast<size_t>(FLAGS_batches));
  std::mt19937_64 rng(2);
  for (auto& b : batches) {
    b.resize(static_cast<size_t>(FLAGS_batch));
    for (auto& id : b) id = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
  }
  const size_t out_floats = static_cast<size_t>(FLAGS_batch * dim);
  std::vector<float> local_out(out_floats), remote_out(out_floats);
  auto gather_local = [&](const std::vector<int64_t>& ids) {
    Check(local.GetFeatures(ids.data(), ids.size(), local_out.data()), "local gather");
  };
  auto gather_remote = [&](const std::vector<int64_t>& ids) {
    Check((*client)->GetFeatures(ids.data(), ids.size(), remote_out.data()), "remote gather");
  };
  for (int i = 0; i < FLAGS_warmup; ++i) {
    gather_local(batches[static_cast<size_t>(i) % batches.size()]);
    gather_remote(batches[static_cast<size_t>(i) % batches.size()]);
  }
  Timing tl, tr;
  for (const auto& b : batches) {
    double c0 = ProcessCpuSeconds();
    auto t0 = Clock::now();
    gather_local(b);
    tl.latency_s.push_back(Seconds(t0, Clock::now()));
    tl.cpu_s += ProcessCpuSeconds() - c0;
    c0 = ProcessCpuSeconds();
    t0 = Clock::now();
    gather_remote(b);
    tr.latency_s.push_back(Seconds(t0, Clock::now()));
    tr.cpu_s += ProcessCpuSeconds() - c0;
    if (std::memcmp(local_out.data(), remote_out.data(), out_floats * sizeof(float)) != 0) {
      Die("remote rows differ from local rows");
    }
  }

  nlohmann::json out;
  out["rows"] = n;
  out["dim"] = dim;
  out["batch"] = FLAGS_batch;
  out["batches"] = FLAGS_batches;
  out["batch_mb"] = static_cast<double>(FLAGS_batch * dim * 4) / 1e6;
  out["server_threads"] = FLAGS_threads;
  out["target_reply_bytes"] = FLAGS_target_reply_bytes;
  out["cpus"] = static_cast<int64_t>(sysconf(_SC_NPROCESSORS_ONLN));
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) > 0) out["load_avg_1m"] = load[0];
  out["write_partition_s"] = write_s;
  out["open_store_s"] = open_s;
  out["local"] = Summary(tl);
  out["remote"] = Summary(tr);
  out["remote_to_local"] =
      out["remote"]["mb_per_s"].get<double>() / out["local"]["mb_per_s"].get<double>();
  out["server_stats"] = nlohmann::json::parse((*server)->StatsJson());
  std::printf("%s\n", out.dump(2).c_str());
  (*server)->Stop();
  if (!FLAGS_keep) std::filesystem::remove_all(dir);
  return 0;
}
