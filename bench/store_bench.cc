// Part store benchmark: bulk-loads a synthetic part (default 1M rows x 128 float32 = 512 MB, plus
// labels and masks) with WritePartStore, then times random row gathers (default 200 batches of
// 10k uniform IDs) from
//   plain     a std::vector, one memcpy per row (the reference),
//   all_hot   FeatureStore with every row in memory,
//   hot10     FeatureStore with ~10% of the rows hot (uniform IDs: ~10% hits, rest RocksDB),
//   rocksdb   FeatureStore with no hot set: every row through RocksDB MultiGet.
// Each gather's output is checked by CRC against the reference (outside the timing). Prints one
// JSON object: bulk-load time, and per mode MB/s (over the timed batches), p50/p99 batch latency
// and the ratio to plain, and the gathering thread's CPU time per row (immune to other load). The
// machine may be shared: compare ratios within one run.
//
// Usage: halo-bench-store [--rows=1000000] [--dim=128] [--batch=10000] [--batches=200]
//                         [--modes=plain,all_hot,hot10,rocksdb] [--block_size=2048]
//                         [--block_cache_mb=32] [--dir=/tmp/...] [--keep]
#include <gflags/gflags.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "storage/feature_store.h"
#include "storage/part_store_writer.h"
#include "storage/store_format.h"

DEFINE_int64(rows, 1000000, "rows of the part");
DEFINE_int64(dim, 128, "float32 features per row");
DEFINE_int64(batch, 10000, "IDs per gather");
DEFINE_int32(batches, 200, "timed gathers per mode");
DEFINE_int32(warmup, 5, "untimed gathers before each mode");
DEFINE_string(dir, "", "store directory (default: a fresh one under /tmp, removed at exit)");
DEFINE_bool(keep, false, "keep the store directory");
DEFINE_double(block_cache_mb, 32, "RocksDB block cache of the stores (MiB)");
DEFINE_string(modes, "plain,all_hot,hot10,rocksdb", "modes to time (plain is always timed)");
DEFINE_int64(block_size, 2048, "RocksDB data block size of the store (bytes)");

namespace {

using halo::bench::Clock;
using halo::bench::Percentile;
using halo::bench::Seconds;
using halo::storage::FeatureStore;
using halo::storage::FeatureStoreOptions;

double ThreadCpuSeconds() { return halo::bench::CpuSeconds(CLOCK_THREAD_CPUTIME_ID); }

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "halo-bench-store: %s\n", msg.c_str());
  std::exit(1);
}

// CRC-32 of the rows of `ids` gathered from `features`: the expected output of each batch,
// computed once so that checking a mode's output does not touch the reference array (which
// would warm the reference's caches and page-table entries for the plain gather only).
uint32_t ExpectedCrc(const std::vector<int64_t>& ids, const std::vector<float>& features,
                     int64_t node_begin) {
  const size_t dim = static_cast<size_t>(FLAGS_dim);
  uint32_t crc = 0;
  for (int64_t id : ids) {
    crc = halo::storage::Crc32(crc, features.data() + static_cast<size_t>(id - node_begin) * dim,
                               dim * sizeof(float));
  }
  return crc;
}

// Runs `gather(batch ids, out)` over every batch; checks each output's CRC against `expected`.
template <typename Gather>
nlohmann::json Time(const char* name, const std::vector<std::vector<int64_t>>& batches,
                    const std::vector<uint32_t>& expected, Gather&& gather) {
  const size_t dim = static_cast<size_t>(FLAGS_dim);
  std::vector<float> out(static_cast<size_t>(FLAGS_batch) * dim);
  for (int i = 0; i < FLAGS_warmup; ++i) gather(batches[i % batches.size()], out.data());
  std::vector<double> lat;
  double total = 0, cpu = 0;
  for (size_t b = 0; b < batches.size(); ++b) {
    const double c0 = ThreadCpuSeconds();
    const auto t0 = Clock::now();
    gather(batches[b], out.data());
    const double s = Seconds(t0, Clock::now());
    cpu += ThreadCpuSeconds() - c0;
    lat.push_back(s);
    total += s;
    if (halo::storage::Crc32(0, out.data(), out.size() * sizeof(float)) != expected[b]) {
      Die(std::string(name) + ": wrong rows in batch " + std::to_string(b));
    }
  }
  const double bytes = static_cast<double>(batches.size()) * static_cast<double>(FLAGS_batch) *
                       static_cast<double>(dim * sizeof(float));
  nlohmann::json j;
  j["mb_per_s"] = bytes / total / 1e6;
  j["p50_ms"] = Percentile(lat, 0.50) * 1e3;
  j["p99_ms"] = Percentile(lat, 0.99) * 1e3;
  j["total_s"] = total;
  // CPU time of the gathering thread: what the machine's other load cannot inflate.
  j["cpu_us_per_row"] =
      cpu / (static_cast<double>(batches.size()) * static_cast<double>(FLAGS_batch)) * 1e6;
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("Part store gather benchmark (JSON on stdout)");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  const int64_t n = FLAGS_rows, dim = FLAGS_dim;
  const int64_t node_begin = 5000000;  // a part that does not start at 0
  std::string dir = FLAGS_dir;
  if (dir.empty()) dir = "/tmp/halo-store-bench-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);

  std::vector<float> features(static_cast<size_t>(n * dim));
  std::vector<int64_t> labels(static_cast<size_t>(n));
  std::vector<uint8_t> train(static_cast<size_t>(n)), val(static_cast<size_t>(n)),
      test(static_cast<size_t>(n));
  {
    std::mt19937_64 rng(1);
    for (size_t i = 0; i < features.size(); ++i) {
      features[i] = static_cast<float>(static_cast<int64_t>(rng() >> 40) - (1 << 23)) * 1e-6f;
    }
    for (int64_t r = 0; r < n; ++r) {
      labels[static_cast<size_t>(r)] = static_cast<int64_t>(rng() % 40);
      train[static_cast<size_t>(r)] = (r % 10) < 6;
      val[static_cast<size_t>(r)] = (r % 10) == 6;
      test[static_cast<size_t>(r)] = (r % 10) > 6;
    }
  }
  halo::storage::PartStoreData data;
  data.node_begin = node_begin;
  data.num_rows = n;
  data.feature_dim = dim;
  data.features = features.data();
  data.labels = labels.data();
  data.train_mask = train.data();
  data.val_mask = val.data();
  data.test_mask = test.data();
  const auto l0 = Clock::now();
  halo::storage::PartStoreWriteOptions wopt;
  wopt.block_size = static_cast<size_t>(FLAGS_block_size);
  halo::core::Status ws = halo::storage::WritePartStore(dir, data, wopt);
  const double load_s = Seconds(l0, Clock::now());
  if (!ws.ok()) Die(ws.ToString());
  uintmax_t store_bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) store_bytes += e.file_size();
  }

  std::vector<std::vector<int64_t>> batches(static_cast<size_t>(FLAGS_batches));
  {
    std::mt19937_64 rng(2);
    for (auto& b : batches) {
      b.resize(static_cast<size_t>(FLAGS_batch));
      for (auto& id : b) id = node_begin + static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
    }
  }
  std::vector<uint32_t> expected;
  for (const auto& b : batches) expected.push_back(ExpectedCrc(b, features, node_begin));

  nlohmann::json out;
  out["rows"] = n;
  out["dim"] = dim;
  out["batch"] = FLAGS_batch;
  out["batches"] = FLAGS_batches;
  out["data_mb"] = static_cast<double>(n * dim * 4) / 1e6;
  out["store_mb"] = static_cast<double>(store_bytes) / 1e6;
  out["bulk_load_s"] = load_s;
  out["bulk_load_mb_per_s"] = static_cast<double>(n * dim * 4) / load_s / 1e6;
  out["cpus"] = static_cast<int64_t>(sysconf(_SC_NPROCESSORS_ONLN));

  const size_t row_bytes = static_cast<size_t>(dim) * sizeof(float);
  nlohmann::json modes;
  modes["plain"] = Time("plain", batches, expected, [&](const std::vector<int64_t>& ids, float* o) {
    for (size_t i = 0; i < ids.size(); ++i) {
      std::memcpy(
          o + i * static_cast<size_t>(dim),
          features.data() + static_cast<size_t>(ids[i] - node_begin) * static_cast<size_t>(dim),
          row_bytes);
    }
  });

  struct Mode {
    const char* name;
    double budget_mb;
  };
  const double all_mb = static_cast<double>(n) * static_cast<double>(row_bytes) / (1 << 20);
  const double index_mb = static_cast<double>(n) * 4 / (1 << 20);
  for (const Mode& m :
       {Mode{"all_hot", all_mb + 1}, Mode{"hot10", index_mb + all_mb / 10}, Mode{"rocksdb", 0}}) {
    if (("," + FLAGS_modes + ",").find(std::string(",") + m.name + ",") == std::string::npos) {
      continue;
    }
    FeatureStoreOptions opt;
    opt.mem_budget_mb = m.budget_mb;
    opt.block_cache_mb = static_cast<size_t>(FLAGS_block_cache_mb);
    const auto o0 = Clock::now();
    auto store = FeatureStore::Open(dir, opt);
    const double open_s = Seconds(o0, Clock::now());
    if (!store.ok()) Die(store.status().ToString());
    const FeatureStore& fs = *store.value();
    nlohmann::json j =
        Time(m.name, batches, expected, [&](const std::vector<int64_t>& ids, float* o) {
          halo::core::Status s = fs.GetFeatures(ids.data(), ids.size(), o);
          if (!s.ok()) Die(s.ToString());
        });
    const auto st = fs.Stats();
    j["open_s"] = open_s;
    j["hot_rows"] = st.hot_rows;
    j["hit_rate"] = static_cast<double>(st.hits) / static_cast<double>(st.hits + st.misses);
    modes[m.name] = j;
  }
  const double plain = modes["plain"]["mb_per_s"].get<double>();
  for (auto& [name, j] : modes.items()) j["ratio_to_plain"] = j["mb_per_s"].get<double>() / plain;
  out["modes"] = modes;
  std::printf("%s\n", out.dump(2).c_str());
  if (!FLAGS_keep) std::filesystem::remove_all(dir);
  return 0;
}
