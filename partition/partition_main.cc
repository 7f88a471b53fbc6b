// halo-partition: turns a raw graph into partitions ready for distributed training.
// Usage and flags: docs/halo-partition.md.
#include <gflags/gflags.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "core/fs.h"
#include "core/logging.h"
#include "partition/pipeline.h"
#include "partition/readers/reader.h"

DEFINE_string(input, "", "Input graph: a file or directory, depending on --format");
DEFINE_string(format, "", "Input format: edgelist, linqs, planetoid-txt, metis, ogb, npy");
DEFINE_int32(num_parts, 1, "Number of parts");
DEFINE_string(method, "metis", "Partitioning method: metis or random");
DEFINE_int32(halo_hops, 1, "Hops of in-neighborhood kept around each part (0..3)");
DEFINE_string(balance, "nodes", "METIS balance constraints: comma list of nodes, edges, train");
DEFINE_string(objective, "cut", "METIS objective: cut (edge cut) or vol (communication volume)");
DEFINE_double(imbalance, 1.03, "Allowed max part weight over the average, per constraint");
DEFINE_string(output, "", "Output partition directory (created; written atomically)");
DEFINE_bool(overwrite, false, "Replace --output if it exists");
DEFINE_string(summary_json, "", "Also write the run summary (stats, phase times, peak RSS) here");
DEFINE_uint64(seed, 0, "Random seed (METIS and the random method)");
DEFINE_bool(symmetrize, true, "Add the reverse of every edge of a directed input");
DEFINE_string(self_loops, "keep", "Self-loops: keep, remove or add (one per node)");

namespace {

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "halo-partition: error: %s\n", message.c_str());
  return 1;
}

void PrintSummary(const halo::partition::PartitionReport& r) {
  const auto& m = r.meta;
  std::printf("partitioned '%s': %lld nodes, %lld edges into %d parts (%s, halo_hops=%d)\n",
              m.graph_name.c_str(), static_cast<long long>(m.num_nodes),
              static_cast<long long>(m.num_edges), m.num_parts, m.method.c_str(), m.halo_hops);
  std::printf("edge cut: %lld undirected edges\n", static_cast<long long>(m.edge_cut));
  std::printf("%5s %22s %10s %10s %12s %8s\n", "part", "global range", "inner", "halo",
              "local edges", "train");
  for (const auto& p : m.parts) {
    const std::string range =
        "[" + std::to_string(p.node_begin) + ", " + std::to_string(p.node_end) + ")";
    std::printf("%5d %22s %10lld %10lld %12lld %8lld\n", p.id, range.c_str(),
                static_cast<long long>(p.num_inner), static_cast<long long>(p.num_halo),
                static_cast<long long>(p.num_local_edges), static_cast<long long>(p.num_train));
  }
  std::printf("imbalance (max/avg):");
  for (const auto& [column, ratio] : r.imbalance) std::printf(" %s %.3f", column.c_str(), ratio);
  std::printf("\nphases (s):");
  for (const auto& [phase, secs] : r.phase_seconds) std::printf(" %s %.3f", phase.c_str(), secs);
  std::printf("\npeak RSS: %.1f MiB\n", static_cast<double>(r.peak_rss_bytes) / (1 << 20));
  std::printf("output: %s\n", FLAGS_output.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "partition a graph for distributed training\n"
      "  halo-partition --input=data/cora/planetoid_txt --format=planetoid-txt --num_parts=2 "
      "--output=out/cora-2");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  halo::core::SetLogTag("halo-partition");
  if (argc > 1) return Fail(std::string("unexpected argument '") + argv[1] + "'");
  if (FLAGS_input.empty()) return Fail("--input is required (see --help)");
  if (FLAGS_format.empty()) return Fail("--format is required (see --help)");

  halo::partition::PartitionOptions options;
  options.num_parts = FLAGS_num_parts;
  options.method = FLAGS_method;
  options.balance = SplitComma(FLAGS_balance);
  options.objective = FLAGS_objective;
  options.halo_hops = FLAGS_halo_hops;
  options.seed = FLAGS_seed;
  options.imbalance = FLAGS_imbalance;
  options.prepare.symmetrize = FLAGS_symmetrize;
  auto self_loops = halo::partition::ParseSelfLoops(FLAGS_self_loops);
  if (!self_loops.ok()) return Fail("--self_loops: " + self_loops.status().message());
  options.prepare.self_loops = self_loops.value();
  options.output = FLAGS_output;
  options.overwrite = FLAGS_overwrite;
  if (auto st = halo::partition::ValidateOptions(options); !st.ok()) return Fail(st.message());

  auto report = halo::partition::RunPartition(FLAGS_input, FLAGS_format, options);
  if (!report.ok()) return Fail(report.status().message());
  PrintSummary(report.value());
  if (!FLAGS_summary_json.empty()) {
    auto st = halo::core::WriteFileAtomic(FLAGS_summary_json, report.value().ToJson());
    if (!st.ok()) return Fail(st.message());
  }
  return 0;
}
