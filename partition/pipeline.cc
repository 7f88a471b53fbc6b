#include "partition/pipeline.h"

#include <omp.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "core/fs.h"
#include "core/logging.h"
#include "core/npy.h"
#include "core/progress.h"
#include "core/sys_stats.h"
#include "partition/halo.h"
#include "partition/metis_partitioner.h"
#include "partition/part_files.h"
#include "partition/readers/reader.h"
#include "partition/relabel.h"

namespace halo::partition {

using core::Csr;
using core::EdgeId;
using core::PartId;
using core::Result;
using core::Status;

namespace {

const std::vector<std::string>& BalanceColumns() {
  static const std::vector<std::string> kColumns = {"nodes", "edges", "train"};
  return kColumns;
}

// Weight of `node` in balance column `column`.
int64_t ColumnWeight(const std::string& column, const Csr& in_csr, const GraphData& graph,
                     NodeId node) {
  if (column == "nodes") return 1;
  if (column == "edges") return in_csr.degree(node);
  return graph.train_mask[static_cast<size_t>(node)];  // "train"
}

// Undirected pairs {u, v}, u != v, with an edge either way and ends in different parts.
int64_t CountUndirectedCut(const Csr& in_csr, const std::vector<PartId>& parts) {
  int64_t cut = 0;
  const int64_t n = in_csr.num_rows();
#pragma omp parallel for reduction(+ : cut) schedule(dynamic, 4096)
  for (int64_t v = 0; v < n; ++v) {
    for (EdgeId e = in_csr.indptr[v]; e < in_csr.indptr[v + 1]; ++e) {
      const NodeId u = in_csr.indices[e];
      if (parts[static_cast<size_t>(u)] == parts[static_cast<size_t>(v)]) continue;
      if (u < v) {
        ++cut;
        continue;
      }
      // u > v: count it only when the reverse edge v -> u (v in row u) does not exist.
      const NodeId* row = in_csr.indices.data() + in_csr.indptr[u];
      const NodeId* row_end = in_csr.indices.data() + in_csr.indptr[u + 1];
      if (!std::binary_search(row, row_end, v)) ++cut;
    }
  }
  return cut;
}

double Imbalance(const std::vector<int64_t>& part_weights) {
  int64_t total = 0, max = 0;
  for (int64_t w : part_weights) {
    total += w;
    max = std::max(max, w);
  }
  if (total == 0) return 1.0;
  return static_cast<double>(max) * static_cast<double>(part_weights.size()) /
         static_cast<double>(total);
}

class PhaseClock {
 public:
  explicit PhaseClock(PartitionReport* report) : report_(report) {}
  void End(const std::string& phase) {
    report_->phase_seconds.emplace_back(phase, watch_.seconds());
    watch_.Reset();
  }

 private:
  PartitionReport* report_;
  core::Stopwatch watch_;
};

}  // namespace

Status ValidateOptions(const PartitionOptions& o) {
  if (o.num_parts < 1) {
    return Status::InvalidArgument("--num_parts must be at least 1, got " +
                                   std::to_string(o.num_parts));
  }
  if (o.method != "metis" && o.method != "random") {
    return Status::InvalidArgument("--method must be metis or random, got '" + o.method + "'");
  }
  if (o.objective != "cut" && o.objective != "vol") {
    return Status::InvalidArgument("--objective must be cut or vol, got '" + o.objective + "'");
  }
  if (o.halo_hops < 0 || o.halo_hops > 3) {
    return Status::InvalidArgument("--halo_hops must be in 0..3, got " +
                                   std::to_string(o.halo_hops));
  }
  if (o.balance.empty()) return Status::InvalidArgument("--balance needs at least one column");
  std::set<std::string> seen;
  for (const std::string& c : o.balance) {
    if (std::find(BalanceColumns().begin(), BalanceColumns().end(), c) == BalanceColumns().end()) {
      return Status::InvalidArgument("--balance: unknown column '" + c +
                                     "' (use a comma list of nodes, edges, train)");
    }
    if (!seen.insert(c).second) return Status::InvalidArgument("--balance: '" + c + "' repeated");
  }
  if (!(o.imbalance >= 1.0 && o.imbalance <= 10.0)) {
    return Status::InvalidArgument("--imbalance must be in [1, 10], got " +
                                   std::to_string(o.imbalance));
  }
  if (o.output.empty()) return Status::InvalidArgument("--output is required");
  return Status::OK();
}

Result<PartitionReport> PartitionGraph(GraphData graph, const PartitionOptions& options,
                                       double read_seconds) {
  HALO_RETURN_IF_ERROR(ValidateOptions(options));
  PartitionReport report;
  report.phase_seconds.emplace_back("read", read_seconds);
  PhaseClock clock(&report);
  const int32_t k = options.num_parts;
  const int64_t n = graph.num_nodes;
  if (k > n) {
    return Status::InvalidArgument("--num_parts=" + std::to_string(k) + " exceeds the " +
                                   std::to_string(n) + " nodes of graph '" + graph.name + "'");
  }
  const bool wants_train = std::count(options.balance.begin(), options.balance.end(), "train") > 0;
  if (wants_train && options.method == "metis" &&
      (!graph.has_split() ||
       std::count(graph.train_mask.begin(), graph.train_mask.end(), uint8_t{1}) == 0)) {
    return Status::InvalidArgument("--balance=train needs a train split, and graph '" + graph.name +
                                   "' has no training nodes");
  }
  HALO_RETURN_IF_ERROR(graph.Validate(graph.name));
  auto staging_or = core::StagingDir::Create(options.output, options.overwrite);
  if (!staging_or.ok()) return staging_or.status();
  core::StagingDir staging = std::move(staging_or).value();

  // Prepare.
  const bool input_directed = graph.directed;
  const int64_t input_edges = graph.num_edges();
  Csr in_csr;
  {
    core::Progress progress("prepare", 0);
    HALO_ASSIGN_OR_RETURN(in_csr, PrepareGraph(&graph, options.prepare));
  }
  HALO_LOG(Info) << "graph '" << graph.name << "': " << n << " nodes, " << input_edges
                 << " input edges -> " << in_csr.num_entries() << " directed edges";
  clock.End("prepare");

  // Assign parts.
  std::vector<PartId> parts;
  {
    core::Progress progress(options.method == "metis" ? "metis" : "random", 0);
    if (options.method == "random") {
      parts = RandomPartition(n, k, options.seed);
    } else {
      const bool symmetric = input_directed && options.prepare.symmetrize;
      HALO_ASSIGN_OR_RETURN(MetisGraph metis_graph, BuildMetisGraph(in_csr, symmetric));
      const int ncon = static_cast<int>(options.balance.size());
      std::vector<MetisIdx> weights;
      const bool unit_weights = ncon == 1 && options.balance[0] == "nodes";
      if (!unit_weights) {
        weights.resize(static_cast<size_t>(n) * static_cast<size_t>(ncon));
        for (NodeId v = 0; v < n; ++v) {
          for (int c = 0; c < ncon; ++c) {
            weights[static_cast<size_t>(v) * ncon + c] =
                static_cast<MetisIdx>(ColumnWeight(options.balance[c], in_csr, graph, v));
          }
        }
      }
      MetisOptions mo;
      mo.num_parts = k;
      mo.objective = options.objective;
      mo.seed = options.seed;
      mo.imbalance = options.imbalance;
      HALO_ASSIGN_OR_RETURN(parts,
                            MetisPartition(metis_graph, weights, unit_weights ? 1 : ncon, mo));
    }
  }
  clock.End("partition");

  // Relabel.
  const Relabeling relabel = RelabelByPart(parts, k);
  core::PartitionMeta& meta = report.meta;
  meta.graph_name = graph.name;
  meta.num_nodes = n;
  meta.num_edges = in_csr.num_entries();
  meta.num_parts = k;
  meta.method = options.method;
  meta.objective = options.method == "metis" ? options.objective : "";
  meta.balance = options.balance;
  meta.halo_hops = options.halo_hops;
  meta.edge_cut = CountUndirectedCut(in_csr, parts);
  meta.feature_dim = graph.feature_dim;
  meta.num_classes = graph.num_classes;
  meta.weighted = in_csr.weighted();
  meta.symmetrized = input_directed ? options.prepare.symmetrize : true;
  meta.self_loops = SelfLoopsName(options.prepare.self_loops);
  meta.seed = options.seed;
  meta.node_map_file = "node_map.npy";
  for (const std::string& column : BalanceColumns()) {
    if (column == "train" && !graph.has_split()) continue;
    std::vector<int64_t> weight(static_cast<size_t>(k), 0);
    for (NodeId v = 0; v < n; ++v) {
      weight[static_cast<size_t>(parts[static_cast<size_t>(v)])] +=
          ColumnWeight(column, in_csr, graph, v);
    }
    report.imbalance.emplace_back(column, Imbalance(weight));
  }
  std::vector<PartId>().swap(parts);
  clock.End("relabel");

  // Halo expansion, parts in parallel.
  std::vector<LocalPart> locals(static_cast<size_t>(k));
  {
    core::Progress progress("halo", k);
#pragma omp parallel
    {
      HaloScratch scratch;
#pragma omp for schedule(dynamic, 1)
      for (int32_t p = 0; p < k; ++p) {
        locals[static_cast<size_t>(p)] =
            BuildLocalPart(in_csr, graph, relabel, p, options.halo_hops, &scratch);
        progress.Add(1);
      }
    }
  }
  clock.End("halo");

  // Write.
  {
    core::Progress progress("write", k);
    std::vector<int64_t> node_map(static_cast<size_t>(n));
    for (NodeId g = 0; g < n; ++g) {
      const NodeId old = relabel.old_of_new[static_cast<size_t>(g)];
      node_map[static_cast<size_t>(g)] =
          graph.original_ids.empty() ? old : graph.original_ids[static_cast<size_t>(old)];
    }
    HALO_RETURN_IF_ERROR(core::WriteNpy(staging.path() + "/" + meta.node_map_file, node_map));
    meta.parts.resize(static_cast<size_t>(k));
    std::vector<Status> statuses(static_cast<size_t>(k));
#pragma omp parallel for schedule(dynamic, 1)
    for (int32_t p = 0; p < k; ++p) {
      LocalPart& lp = locals[static_cast<size_t>(p)];
      core::PartInfo& info = meta.parts[static_cast<size_t>(p)];
      info.id = p;
      info.node_begin = relabel.offsets[static_cast<size_t>(p)];
      info.node_end = relabel.offsets[static_cast<size_t>(p) + 1];
      info.num_inner = lp.num_inner;
      info.num_halo = lp.num_local() - lp.num_inner;
      info.num_local_edges = lp.in_csr.num_entries();
      auto count = [](const std::vector<uint8_t>& m) {
        return static_cast<int64_t>(std::count(m.begin(), m.end(), uint8_t{1}));
      };
      info.num_train = count(lp.train_mask);
      info.num_val = count(lp.val_mask);
      info.num_test = count(lp.test_mask);
      info.dir = "part" + std::to_string(p);
      auto files = WritePartFiles(staging.path() + "/" + info.dir, lp, info.node_begin);
      if (files.ok()) {
        for (auto& [kind, name] : files.value()) info.files[kind] = info.dir + "/" + name;
      } else {
        statuses[static_cast<size_t>(p)] = files.status();
      }
      lp = LocalPart();  // release as soon as written
      progress.Add(1);
    }
    for (const Status& st : statuses) HALO_RETURN_IF_ERROR(st);
    HALO_RETURN_IF_ERROR(core::WritePartitionMeta(staging.path() + "/partition.json", meta));
    HALO_RETURN_IF_ERROR(staging.Commit());
  }
  clock.End("write");
  report.peak_rss_bytes = core::PeakRssBytes();
  return report;
}

Result<PartitionReport> RunPartition(const std::string& input, const std::string& format,
                                     const PartitionOptions& options) {
  HALO_RETURN_IF_ERROR(ValidateOptions(options));
  core::Stopwatch watch;
  GraphData graph;
  {
    core::Progress progress("read", 0);
    HALO_ASSIGN_OR_RETURN(graph, ReadGraph(input, format));
  }
  return PartitionGraph(std::move(graph), options, watch.seconds());
}

std::string PartitionReport::ToJson() const {
  nlohmann::json j;
  j["graph_name"] = meta.graph_name;
  j["num_nodes"] = meta.num_nodes;
  j["num_edges"] = meta.num_edges;
  j["num_parts"] = meta.num_parts;
  j["method"] = meta.method;
  j["objective"] = meta.objective;
  j["balance"] = meta.balance;
  j["halo_hops"] = meta.halo_hops;
  j["edge_cut"] = meta.edge_cut;
  j["feature_dim"] = meta.feature_dim;
  j["num_classes"] = meta.num_classes;
  j["parts"] = nlohmann::json::array();
  for (const core::PartInfo& p : meta.parts) {
    j["parts"].push_back({{"id", p.id},
                          {"node_range", {p.node_begin, p.node_end}},
                          {"num_inner", p.num_inner},
                          {"num_halo", p.num_halo},
                          {"num_local_edges", p.num_local_edges},
                          {"num_train", p.num_train},
                          {"num_val", p.num_val},
                          {"num_test", p.num_test}});
  }
  double total = 0;
  nlohmann::json phases = nlohmann::json::object();
  for (const auto& [phase, secs] : phase_seconds) {
    phases[phase] = secs;
    total += secs;
  }
  j["phases"] = phases;
  j["total_seconds"] = total;
  j["peak_rss_bytes"] = peak_rss_bytes;
  nlohmann::json imb = nlohmann::json::object();
  for (const auto& [column, ratio] : imbalance) imb[column] = ratio;
  j["imbalance"] = imb;
  return j.dump(2) + "\n";
}

}  // namespace halo::partition
