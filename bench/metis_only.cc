// halo-bench-metis-only: METIS alone, the reference that the partition pipeline is measured
// against.
//
//   --mode=partition (default): loads a METIS CSR (`--csr_dir` holding xadj.npy and adjncy.npy,
//     int32) straight into the vectors METIS reads, runs partition::MetisPartition with unit vertex
//     weights, and prints {metis_seconds, peak_rss_bytes, edge_cut, ...} as one JSON line. The
//     process holds nothing but the CSR and METIS's own memory, so its peak RSS is the floor any
//     pipeline that calls METIS must pay.
//   --mode=build_csr: builds that CSR from a graph: partition::ReadGraph(--input, --format) ->
//     PrepareGraph(symmetrize) -> BuildMetisGraph(already_symmetric) ->
//     `--csr_dir`/{xadj,adjncy}.npy.

#include <gflags/gflags.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/fs.h"
#include "core/logging.h"
#include "core/npy.h"
#include "core/status.h"
#include "core/sys_stats.h"
#include "partition/metis_partitioner.h"
#include "partition/prepare.h"
#include "partition/readers/reader.h"

DEFINE_string(mode, "partition", "partition | build_csr");
DEFINE_string(csr_dir, "", "Directory of xadj.npy and adjncy.npy (read or written)");
DEFINE_string(input, "", "build_csr: the graph to read");
DEFINE_string(format, "npy", "build_csr: the input format (as halo-partition --format)");
DEFINE_int32(num_parts, 4, "partition: number of parts");
DEFINE_string(objective, "cut", "partition: cut | vol");
DEFINE_uint64(seed, 0, "partition: METIS seed");
DEFINE_double(imbalance, 1.03, "partition: allowed max part weight / average");

namespace halo::bench {
namespace {

using core::Result;
using core::Status;

// Reads a little-endian int32 C-order .npy vector directly into its result (no intermediate
// copies, so that the RSS of this process is the CSR and nothing else).
Result<std::vector<int32_t>> ReadInt32Npy(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  unsigned char prefix[8];
  if (std::fread(prefix, 1, 8, f.get()) != 8 || std::memcmp(prefix, "\x93NUMPY", 6) != 0) {
    return Status::Corruption(path + ": not a .npy file");
  }
  size_t header_len = 0;
  const int len_bytes = prefix[6] == 1 ? 2 : 4;
  unsigned char len_buf[4] = {0, 0, 0, 0};
  if (std::fread(len_buf, 1, len_bytes, f.get()) != static_cast<size_t>(len_bytes)) {
    return Status::Corruption(path + ": truncated header");
  }
  for (int i = len_bytes - 1; i >= 0; --i) header_len = (header_len << 8) | len_buf[i];
  std::string header(header_len, '\0');
  if (std::fread(header.data(), 1, header_len, f.get()) != header_len) {
    return Status::Corruption(path + ": truncated header");
  }
  if (header.find("'<i4'") == std::string::npos) {
    return Status::InvalidArgument(path + ": expected dtype <i4, header: " + header);
  }
  if (header.find("'fortran_order': False") == std::string::npos) {
    return Status::InvalidArgument(path + ": expected a C-order array");
  }
  const size_t open = header.find("'shape': (");
  if (open == std::string::npos) return Status::Corruption(path + ": no shape in header");
  const char* p = header.c_str() + open + 10;
  char* end = nullptr;
  errno = 0;
  const long long count = std::strtoll(p, &end, 10);
  if (end == p || errno != 0 || count < 0 || (*end != ',' && *end != ')') ||
      (*end == ',' && end[1] != ')')) {
    return Status::InvalidArgument(path + ": expected a 1-D array, header: " + header);
  }
  std::vector<int32_t> out(static_cast<size_t>(count));
  if (std::fread(out.data(), sizeof(int32_t), out.size(), f.get()) != out.size()) {
    return Status::Corruption(path + ": data shorter than its shape");
  }
  return out;
}

Result<nlohmann::json> RunPartition() {
  core::Stopwatch load;
  partition::MetisGraph graph;
  HALO_ASSIGN_OR_RETURN(graph.xadj, ReadInt32Npy(FLAGS_csr_dir + "/xadj.npy"));
  HALO_ASSIGN_OR_RETURN(graph.adjncy, ReadInt32Npy(FLAGS_csr_dir + "/adjncy.npy"));
  if (graph.xadj.empty() || graph.xadj.front() != 0 ||
      graph.xadj.back() != static_cast<int32_t>(graph.adjncy.size())) {
    return Status::Corruption(FLAGS_csr_dir + ": xadj does not match adjncy");
  }
  const double load_seconds = load.seconds();
  const int64_t rss_after_load = core::CurrentRssBytes();

  partition::MetisOptions options;
  options.num_parts = FLAGS_num_parts;
  options.objective = FLAGS_objective;
  options.seed = FLAGS_seed;
  options.imbalance = FLAGS_imbalance;
  core::Stopwatch metis;
  HALO_ASSIGN_OR_RETURN(std::vector<core::PartId> parts,
                        partition::MetisPartition(graph, {}, 1, options));
  const double metis_seconds = metis.seconds();

  std::vector<int64_t> part_sizes(static_cast<size_t>(FLAGS_num_parts), 0);
  for (core::PartId p : parts) {
    if (p < 0 || p >= FLAGS_num_parts) return Status::Internal("METIS returned a bad part id");
    ++part_sizes[p];
  }
  int64_t max_size = 0;
  for (int64_t s : part_sizes) max_size = std::max(max_size, s);

  nlohmann::json j;
  j["num_nodes"] = graph.num_nodes();
  j["num_undirected_edges"] = graph.num_undirected_edges();
  j["num_parts"] = FLAGS_num_parts;
  j["objective"] = FLAGS_objective;
  j["seed"] = FLAGS_seed;
  j["load_seconds"] = load_seconds;
  j["csr_bytes"] = static_cast<int64_t>((graph.xadj.size() + graph.adjncy.size()) * 4);
  j["rss_after_load_bytes"] = rss_after_load;
  j["metis_seconds"] = metis_seconds;
  j["peak_rss_bytes"] = core::PeakRssBytes();
  j["edge_cut"] = partition::CountEdgeCut(graph, parts);
  j["node_imbalance"] = graph.num_nodes() > 0 ? static_cast<double>(max_size) * FLAGS_num_parts /
                                                    static_cast<double>(graph.num_nodes())
                                              : 1.0;
  return j;
}

Result<nlohmann::json> RunBuildCsr() {
  if (FLAGS_input.empty()) return Status::InvalidArgument("--input is required with build_csr");
  core::Stopwatch total, phase;
  HALO_ASSIGN_OR_RETURN(partition::GraphData graph,
                        partition::ReadGraph(FLAGS_input, FLAGS_format));
  const double read_seconds = phase.seconds();
  phase.Reset();
  partition::PrepareOptions prepare;
  prepare.symmetrize = true;
  HALO_ASSIGN_OR_RETURN(core::Csr csr, partition::PrepareGraph(&graph, prepare));
  graph = partition::GraphData();
  const double prepare_seconds = phase.seconds();
  phase.Reset();
  HALO_ASSIGN_OR_RETURN(partition::MetisGraph metis,
                        partition::BuildMetisGraph(csr, /*already_symmetric=*/true));
  csr = core::Csr();
  const double build_seconds = phase.seconds();
  phase.Reset();
  HALO_RETURN_IF_ERROR(core::MakeDirs(FLAGS_csr_dir));
  HALO_RETURN_IF_ERROR(core::WriteNpy(FLAGS_csr_dir + "/xadj.npy", metis.xadj));
  HALO_RETURN_IF_ERROR(core::WriteNpy(FLAGS_csr_dir + "/adjncy.npy", metis.adjncy));

  nlohmann::json j;
  j["num_nodes"] = metis.num_nodes();
  j["num_undirected_edges"] = metis.num_undirected_edges();
  j["read_seconds"] = read_seconds;
  j["prepare_seconds"] = prepare_seconds;
  j["build_seconds"] = build_seconds;
  j["write_seconds"] = phase.seconds();
  j["total_seconds"] = total.seconds();
  j["peak_rss_bytes"] = core::PeakRssBytes();
  return j;
}

}  // namespace
}  // namespace halo::bench

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "METIS alone, for benchmarks.\n"
      "  halo-bench-metis-only --mode=build_csr --input=GRAPH_DIR --csr_dir=CSR_DIR\n"
      "  halo-bench-metis-only --csr_dir=CSR_DIR --num_parts=4");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  halo::core::SetLogTag("halo-bench-metis-only");
  if (argc > 1) {
    HALO_LOG(Error) << "unexpected argument '" << argv[1] << "'";
    return 2;
  }
  if (FLAGS_csr_dir.empty()) {
    HALO_LOG(Error) << "--csr_dir is required";
    return 2;
  }
  halo::core::Result<nlohmann::json> result = halo::core::Status::InvalidArgument(
      "--mode must be partition or build_csr, got '" + FLAGS_mode + "'");
  if (FLAGS_mode == "partition") {
    result = halo::bench::RunPartition();
  } else if (FLAGS_mode == "build_csr") {
    result = halo::bench::RunBuildCsr();
  }
  if (!result.ok()) {
    HALO_LOG(Error) << result.status().ToString();
    return 1;
  }
  std::printf("%s\n", result->dump().c_str());
  return 0;
}
