// halo-gen-graph: a deterministic synthetic graph generator for benchmarks and tests.
//
// Models:
//   planted  num_communities blocks of (nearly) equal size; each edge picks a uniform source, then
//            with probability p_in a uniform destination in the source's community, otherwise a
//            uniform destination outside it.
//   rmat     recursive matrix (Chakrabarti et al.) with probabilities a, b, c, d = 1 - a - b - c
//            over 2^ceil(log2 n) IDs; edges that land outside [0, n) are drawn again.
// In both, node IDs are shuffled by a seeded permutation, so a community is not a contiguous ID
// range. Self-loops and duplicate edges are dropped (the summary reports how many), so the final
// edge count may be slightly below --num_edges.
//
// Output (a directory read by `halo-partition --format npy`): src.npy, dst.npy (int64 edges
// src -> dst), num_nodes.npy (int64, 1 element); with --feature_dim > 0 also feat.npy (float32,
// n x d), label.npy (int64: community mod num_classes; for rmat, the community is the block of the
// pre-permutation ID) and train/val/test_mask.npy (bool).
// A one-line JSON summary goes to stdout.
//
// Every random number comes from splitmix64 streams with explicit seeds and a fixed mapping to
// ranges (no <random> distributions), so a seed gives byte-identical files on every platform.

#include <gflags/gflags.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/fs.h"
#include "core/logging.h"
#include "core/npy.h"
#include "core/status.h"
#include "core/sys_stats.h"

DEFINE_string(model, "planted", "Graph model: planted | rmat");
DEFINE_int64(num_nodes, 1000000, "Number of nodes");
DEFINE_int64(num_edges, 10000000,
             "Directed edges to generate (self-loops and duplicates are then dropped)");
DEFINE_int64(num_communities, 64, "planted: number of communities");
DEFINE_double(p_in, 0.9, "planted: fraction of edges inside a community");
DEFINE_double(rmat_a, 0.57, "rmat: probability of the top-left quadrant");
DEFINE_double(rmat_b, 0.19, "rmat: probability of the top-right quadrant");
DEFINE_double(rmat_c, 0.19, "rmat: probability of the bottom-left quadrant");
DEFINE_int64(feature_dim, 0,
             "Feature columns; > 0 also writes feat.npy, label.npy and the split masks");
DEFINE_double(feature_signal, 0.0,
              "Added to feature column (label mod feature_dim) so labels are learnable; 0 = pure "
              "noise in [-1, 1)");
DEFINE_int64(num_classes, 16, "Labels are community id mod num_classes");
DEFINE_double(train_frac, 0.6, "Fraction of nodes in train_mask");
DEFINE_double(val_frac, 0.2, "Fraction of nodes in val_mask");
DEFINE_double(test_frac, 0.2, "Fraction of nodes in test_mask");
DEFINE_bool(sorted_edges, false, "Write edges sorted by (src, dst) instead of shuffled");
DEFINE_uint64(seed, 1, "Random seed; the same seed gives identical files");
DEFINE_string(output, "", "Output directory (required)");
DEFINE_bool(overwrite, false, "Replace --output if it exists");

namespace halo::bench {
namespace {

using core::Result;
using core::Status;

// splitmix64 (Steele, Lea, Flood): a tiny generator with a fully specified output sequence.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound) by multiply-high (bias below bound / 2^64, negligible here).
  uint64_t Below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * bound) >> 64);
  }
  // Uniform in [0, 1) with 53 random bits.
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

// A seed for an independent stream: the generator seed mixed with a per-purpose tag.
uint64_t StreamSeed(uint64_t seed, uint64_t tag) {
  SplitMix64 mix(seed ^ (tag * 0xD1B54A32D192ED03ULL));
  return mix.Next();
}

enum StreamTag : uint64_t { kPermutation = 1, kEdges = 2, kShuffle = 3, kFeatures = 4, kSplit = 5 };

// A uniformly random permutation of 0..n-1 (Fisher-Yates).
std::vector<int64_t> RandomPermutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  SplitMix64 rng(seed);
  for (int64_t i = n - 1; i > 0; --i) {
    std::swap(perm[i], perm[rng.Below(static_cast<uint64_t>(i) + 1)]);
  }
  return perm;
}

// Communities are contiguous blocks of the pre-permutation index j: block c holds
// [ceil(c n / C), ceil((c + 1) n / C)).
struct Blocks {
  int64_t n, count;
  int64_t Of(int64_t j) const {
    return static_cast<int64_t>((static_cast<unsigned __int128>(j) * count) / n);
  }
  int64_t Start(int64_t c) const {
    return static_cast<int64_t>((static_cast<unsigned __int128>(c) * n + count - 1) / count);
  }
};

struct GenStats {
  int64_t generated = 0;  // edges drawn (== --num_edges)
  int64_t self_loops = 0;
  int64_t duplicates = 0;
  int64_t rmat_redraws = 0;
  int64_t intra = 0;  // final edges inside a community
};

// Draws the edges over pre-permutation indices, maps them through `perm` and returns them as
// sorted, unique keys src * n + dst (self-loops removed).
Result<std::vector<uint64_t>> GenerateKeys(const std::vector<int64_t>& perm, const Blocks& blocks,
                                           GenStats* stats) {
  const int64_t n = FLAGS_num_nodes;
  const uint64_t un = static_cast<uint64_t>(n);
  std::vector<uint64_t> keys;
  keys.reserve(static_cast<size_t>(FLAGS_num_edges));
  SplitMix64 rng(StreamSeed(FLAGS_seed, kEdges));
  auto add = [&](int64_t u, int64_t v) {
    if (u == v) {
      ++stats->self_loops;
      return;
    }
    keys.push_back(static_cast<uint64_t>(perm[u]) * un + static_cast<uint64_t>(perm[v]));
  };

  if (FLAGS_model == "planted") {
    const double p_in = blocks.count == 1 ? 1.0 : FLAGS_p_in;
    for (int64_t e = 0; e < FLAGS_num_edges; ++e) {
      const int64_t u = static_cast<int64_t>(rng.Below(un));
      const int64_t c = blocks.Of(u);
      const int64_t start = blocks.Start(c), size = blocks.Start(c + 1) - start;
      int64_t v;
      if (rng.Unit() < p_in) {
        v = start + static_cast<int64_t>(rng.Below(static_cast<uint64_t>(size)));
      } else {
        v = static_cast<int64_t>(rng.Below(static_cast<uint64_t>(n - size)));
        if (v >= start) v += size;
      }
      add(u, v);
    }
  } else {  // rmat
    int scale = 0;
    while ((int64_t{1} << scale) < n) ++scale;
    const double a = FLAGS_rmat_a, ab = a + FLAGS_rmat_b, abc = ab + FLAGS_rmat_c;
    const int64_t max_redraws = 64 * std::max<int64_t>(FLAGS_num_edges, 1024);
    for (int64_t e = 0; e < FLAGS_num_edges; ++e) {
      int64_t u, v;
      while (true) {
        u = 0;
        v = 0;
        for (int level = 0; level < scale; ++level) {
          const double r = rng.Unit();
          const int64_t row_bit = r >= ab ? 1 : 0;
          const int64_t col_bit = (r >= a && r < ab) || r >= abc ? 1 : 0;
          u = (u << 1) | row_bit;
          v = (v << 1) | col_bit;
        }
        if (u < n && v < n) break;
        if (++stats->rmat_redraws > max_redraws) {
          return Status::Internal("rmat: too many edges fell outside [0, num_nodes)");
        }
      }
      add(u, v);
    }
  }
  stats->generated = FLAGS_num_edges;

  std::sort(keys.begin(), keys.end());
  const size_t before = keys.size();
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  stats->duplicates = static_cast<int64_t>(before - keys.size());
  keys.shrink_to_fit();
  if (!FLAGS_sorted_edges) {
    SplitMix64 shuffle(StreamSeed(FLAGS_seed, kShuffle));
    for (size_t i = keys.size(); i > 1; --i) {
      std::swap(keys[i - 1], keys[shuffle.Below(i)]);
    }
  }
  return keys;
}

Status CheckFlags() {
  auto bad = [](const std::string& m) { return Status::InvalidArgument(m); };
  if (FLAGS_output.empty()) return bad("--output is required");
  if (FLAGS_model != "planted" && FLAGS_model != "rmat") {
    return bad("--model must be planted or rmat, got '" + FLAGS_model + "'");
  }
  if (FLAGS_num_nodes < 2 || FLAGS_num_nodes > (int64_t{1} << 32)) {
    return bad("--num_nodes must be in [2, 2^32]");
  }
  if (FLAGS_num_edges < 0) return bad("--num_edges must be >= 0");
  if (FLAGS_num_communities < 1 || FLAGS_num_communities > FLAGS_num_nodes) {
    return bad("--num_communities must be in [1, num_nodes]");
  }
  if (!(FLAGS_p_in >= 0.0 && FLAGS_p_in <= 1.0)) return bad("--p_in must be in [0, 1]");
  const double d = 1.0 - FLAGS_rmat_a - FLAGS_rmat_b - FLAGS_rmat_c;
  if (FLAGS_rmat_a < 0 || FLAGS_rmat_b < 0 || FLAGS_rmat_c < 0 || d < 0) {
    return bad("--rmat_a/b/c must be >= 0 with a + b + c <= 1");
  }
  if (FLAGS_feature_dim < 0) return bad("--feature_dim must be >= 0");
  if (FLAGS_num_classes < 1) return bad("--num_classes must be >= 1");
  if (FLAGS_train_frac < 0 || FLAGS_val_frac < 0 || FLAGS_test_frac < 0 ||
      FLAGS_train_frac + FLAGS_val_frac + FLAGS_test_frac > 1.0 + 1e-9) {
    return bad("--train_frac, --val_frac, --test_frac must be >= 0 and sum to at most 1");
  }
  return Status::OK();
}

// Writes feat.npy, label.npy and the three masks.
Status WriteNodeData(const std::string& dir, const std::vector<int64_t>& perm,
                     const Blocks& blocks) {
  const int64_t n = FLAGS_num_nodes, d = FLAGS_feature_dim;
  std::vector<int64_t> label(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) label[perm[j]] = blocks.Of(j) % FLAGS_num_classes;
  HALO_RETURN_IF_ERROR(core::WriteNpy(dir + "/label.npy", label));

  {
    std::vector<float> feat(static_cast<size_t>(n * d));
    const uint64_t base = StreamSeed(FLAGS_seed, kFeatures);
    for (int64_t i = 0; i < n; ++i) {
      SplitMix64 rng(base ^ (static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL));
      float* row = feat.data() + i * d;
      for (int64_t k = 0; k < d; ++k) row[k] = static_cast<float>(2.0 * rng.Unit() - 1.0);
      row[label[i] % d] += static_cast<float>(FLAGS_feature_signal);
    }
    HALO_RETURN_IF_ERROR(core::WriteNpy(dir + "/feat.npy", feat.data(), {n, d}));
  }

  const std::vector<int64_t> order = RandomPermutation(n, StreamSeed(FLAGS_seed, kSplit));
  const auto count = [n](double frac) {
    return static_cast<int64_t>(std::floor(frac * static_cast<double>(n)));
  };
  const int64_t n_train = count(FLAGS_train_frac), n_val = count(FLAGS_val_frac);
  const int64_t n_test = std::min(count(FLAGS_test_frac), n - n_train - n_val);
  const std::pair<const char*, std::pair<int64_t, int64_t>> splits[] = {
      {"train_mask", {0, n_train}},
      {"val_mask", {n_train, n_train + n_val}},
      {"test_mask", {n_train + n_val, n_train + n_val + n_test}}};
  std::vector<uint8_t> mask(static_cast<size_t>(n));
  for (const auto& [name, range] : splits) {
    std::fill(mask.begin(), mask.end(), 0);
    for (int64_t i = range.first; i < range.second; ++i) mask[order[i]] = 1;
    HALO_RETURN_IF_ERROR(core::WriteNpyBool(dir + "/" + name + ".npy", mask));
  }
  return Status::OK();
}

Result<nlohmann::json> Run() {
  HALO_RETURN_IF_ERROR(CheckFlags());
  core::Stopwatch total;
  const int64_t n = FLAGS_num_nodes;
  HALO_ASSIGN_OR_RETURN(core::StagingDir staging,
                        core::StagingDir::Create(FLAGS_output, FLAGS_overwrite));
  const std::string& dir = staging.path();

  // perm maps a pre-permutation index (whose block is its community) to its node ID.
  const std::vector<int64_t> perm = RandomPermutation(n, StreamSeed(FLAGS_seed, kPermutation));
  // rmat has no communities of its own; its labels use the same blocks (of pre-permutation IDs).
  const Blocks blocks{n, FLAGS_num_communities};
  GenStats stats;
  core::Stopwatch phase;
  HALO_ASSIGN_OR_RETURN(std::vector<uint64_t> keys, GenerateKeys(perm, blocks, &stats));
  const double generate_seconds = phase.seconds();
  phase.Reset();

  const int64_t m = static_cast<int64_t>(keys.size());
  const uint64_t un = static_cast<uint64_t>(n);
  {
    std::vector<int32_t> community(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) community[perm[j]] = static_cast<int32_t>(blocks.Of(j));
    for (uint64_t k : keys) stats.intra += community[k / un] == community[k % un] ? 1 : 0;
  }
  // One endpoint array at a time keeps the peak at keys + one array (= the output size).
  {
    std::vector<int64_t> col(static_cast<size_t>(m));
    for (int64_t e = 0; e < m; ++e) col[e] = static_cast<int64_t>(keys[e] / un);
    HALO_RETURN_IF_ERROR(core::WriteNpy(dir + "/src.npy", col));
    for (int64_t e = 0; e < m; ++e) col[e] = static_cast<int64_t>(keys[e] % un);
    HALO_RETURN_IF_ERROR(core::WriteNpy(dir + "/dst.npy", col));
  }
  std::vector<uint64_t>().swap(keys);
  const std::vector<int64_t> nn{n};
  HALO_RETURN_IF_ERROR(core::WriteNpy(dir + "/num_nodes.npy", nn));
  if (FLAGS_feature_dim > 0) HALO_RETURN_IF_ERROR(WriteNodeData(dir, perm, blocks));
  HALO_RETURN_IF_ERROR(staging.Commit());
  const double write_seconds = phase.seconds();

  nlohmann::json j;
  j["model"] = FLAGS_model;
  j["seed"] = FLAGS_seed;
  j["num_nodes"] = n;
  j["num_edges_requested"] = FLAGS_num_edges;
  j["num_edges"] = m;
  j["self_loops_dropped"] = stats.self_loops;
  j["duplicates_dropped"] = stats.duplicates;
  if (FLAGS_model == "planted") {
    j["num_communities"] = FLAGS_num_communities;
    j["p_in"] = FLAGS_p_in;
    j["intra_fraction"] = m > 0 ? static_cast<double>(stats.intra) / static_cast<double>(m) : 0.0;
  } else {
    j["rmat_abc"] = {FLAGS_rmat_a, FLAGS_rmat_b, FLAGS_rmat_c};
    j["rmat_redraws"] = stats.rmat_redraws;
  }
  j["feature_dim"] = FLAGS_feature_dim;
  if (FLAGS_feature_dim > 0) {
    j["num_classes"] = FLAGS_num_classes;
    j["split_fracs"] = {FLAGS_train_frac, FLAGS_val_frac, FLAGS_test_frac};
  }
  j["output"] = FLAGS_output;
  j["generate_seconds"] = generate_seconds;
  j["write_seconds"] = write_seconds;
  j["total_seconds"] = total.seconds();
  j["peak_rss_bytes"] = core::PeakRssBytes();
  return j;
}

}  // namespace
}  // namespace halo::bench

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "Generates a deterministic synthetic graph as .npy files.\n"
      "  halo-gen-graph --model=planted --num_nodes=1000000 --num_edges=10000000 "
      "--num_communities=64 --seed=1 --output=DIR");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  halo::core::SetLogTag("halo-gen-graph");
  if (argc > 1) {
    HALO_LOG(Error) << "unexpected argument '" << argv[1] << "'";
    return 2;
  }
  auto result = halo::bench::Run();
  if (!result.ok()) {
    HALO_LOG(Error) << result.status().ToString();
    return 1;
  }
  std::printf("%s\n", result->dump().c_str());
  return 0;
}
