#include "tests/integration/cora_cluster.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "core/npy.h"
#include "partition/pipeline.h"
#include "partition/readers/reader.h"
#include "tests/test_util.h"

namespace halo::testing {

namespace {

CoraSource LoadCora() {
  CoraSource s;
  auto graph = partition::ReadGraph(DataPath("cora/planetoid_txt"), "planetoid-txt");
  EXPECT_TRUE(graph.ok()) << graph.status().ToString();
  if (!graph.ok()) return s;
  s.graph = std::move(graph).value();
  const partition::GraphData& g = s.graph;
  // Prepared as the partition pipeline does by default: symmetrized, deduplicated, self-loops
  // kept. Row v lists the sources of edges u -> v.
  s.in_neighbors.resize(static_cast<size_t>(g.num_nodes));
  for (size_t e = 0; e < g.src.size(); ++e) {
    s.in_neighbors[static_cast<size_t>(g.dst[e])].push_back(g.src[e]);
    if (g.directed) s.in_neighbors[static_cast<size_t>(g.src[e])].push_back(g.dst[e]);
  }
  for (auto& row : s.in_neighbors) {
    std::sort(row.begin(), row.end());
    row.erase(std::unique(row.begin(), row.end()), row.end());
  }
  int64_t max_original = g.num_nodes - 1;
  for (int64_t o : g.original_ids) max_original = std::max(max_original, o);
  s.compact_of_original.assign(static_cast<size_t>(max_original + 1), -1);
  for (int64_t c = 0; c < g.num_nodes; ++c) {
    const int64_t o = g.original_ids.empty() ? c : g.original_ids[static_cast<size_t>(c)];
    s.compact_of_original[static_cast<size_t>(o)] = c;
  }
  return s;
}

}  // namespace

const CoraSource& Cora() {
  static const CoraSource* source = new CoraSource(LoadCora());
  return *source;
}

CoraPartition PartitionCora(const std::string& dir, int num_parts) {
  CoraPartition out;
  out.dir = dir;
  partition::PartitionOptions opt;
  opt.num_parts = num_parts;
  opt.halo_hops = 1;
  opt.output = dir;
  auto report = partition::RunPartition(DataPath("cora/planetoid_txt"), "planetoid-txt", opt);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  if (!report.ok()) return out;
  out.meta = report->meta;
  for (const core::PartInfo& info : out.meta.parts) {
    EXPECT_TRUE(info.files.count("store")) << "part " << info.id << " lists no store";
  }
  auto node_map = core::ReadNpyAs<int64_t>(dir + "/" + out.meta.node_map_file);
  EXPECT_TRUE(node_map.ok()) << node_map.status().ToString();
  if (!node_map.ok()) return out;
  out.node_map = std::move(node_map).value();
  const CoraSource& cora = Cora();
  for (int64_t o : out.node_map) {
    const int64_t c = o >= 0 && o < static_cast<int64_t>(cora.compact_of_original.size())
                          ? cora.compact_of_original[static_cast<size_t>(o)]
                          : -1;
    EXPECT_GE(c, 0) << "original ID " << o << " is not in the source";
    out.compact_of.push_back(c);
  }
  out.global_of_compact.assign(out.compact_of.size(), -1);
  for (size_t gid = 0; gid < out.compact_of.size(); ++gid) {
    if (out.compact_of[gid] >= 0) {
      out.global_of_compact[static_cast<size_t>(out.compact_of[gid])] = static_cast<int64_t>(gid);
    }
  }
  return out;
}

std::vector<float> CoraPartition::Features(const std::vector<int64_t>& ids) const {
  const partition::GraphData& g = Cora().graph;
  const size_t dim = static_cast<size_t>(g.feature_dim);
  std::vector<float> x(ids.size() * dim);
  for (size_t i = 0; i < ids.size(); ++i) {
    const size_t c = static_cast<size_t>(compact_of[static_cast<size_t>(ids[i])]);
    std::memcpy(&x[i * dim], &g.features[c * dim], dim * sizeof(float));
  }
  return x;
}

std::vector<int64_t> CoraPartition::Labels(const std::vector<int64_t>& ids) const {
  std::vector<int64_t> y;
  for (int64_t id : ids) y.push_back(Cora().graph.labels[compact_of[static_cast<size_t>(id)]]);
  return y;
}

std::vector<uint8_t> CoraPartition::Masks(const std::vector<int64_t>& ids) const {
  const partition::GraphData& g = Cora().graph;
  std::vector<uint8_t> m;
  for (int64_t id : ids) {
    const size_t c = static_cast<size_t>(compact_of[static_cast<size_t>(id)]);
    m.push_back(g.train_mask[c]);
    m.push_back(g.val_mask[c]);
    m.push_back(g.test_mask[c]);
  }
  return m;
}

std::vector<int64_t> CoraPartition::InNeighbors(int64_t id) const {
  std::vector<int64_t> out;
  for (int64_t c : Cora().in_neighbors[static_cast<size_t>(compact_of[static_cast<size_t>(id)])]) {
    out.push_back(global_of_compact[static_cast<size_t>(c)]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

StoreProcess::StoreProcess(const std::string& partition_dir, int part,
                           const std::vector<std::string>& extra_flags, const std::string& bind)
    : part_(part) {
  std::vector<std::string> argv = {BinDir() + "/halo-store", "--partition_dir=" + partition_dir,
                                   "--part=" + std::to_string(part), "--bind=" + bind,
                                   "--threads=2"};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  process_ = std::make_unique<Process>(argv);
}

bool StoreProcess::WaitReady(std::chrono::milliseconds timeout) {
  const std::string prefix = "halo-store: part " + std::to_string(part_) + " serving on ";
  auto line = process_->WaitForLine(prefix, timeout);
  if (!line) return false;
  endpoint_ = line->substr(prefix.size());
  return true;
}

std::vector<std::unique_ptr<StoreProcess>> StartStores(
    const std::string& partition_dir, int num_parts,
    const std::vector<std::vector<std::string>>& extra_flags) {
  std::vector<std::unique_ptr<StoreProcess>> stores;
  for (int p = 0; p < num_parts; ++p) {
    const std::vector<std::string> extra = p < static_cast<int>(extra_flags.size())
                                               ? extra_flags[static_cast<size_t>(p)]
                                               : std::vector<std::string>{};
    stores.push_back(std::make_unique<StoreProcess>(partition_dir, p, extra));
  }
  for (int p = 0; p < num_parts; ++p) {
    EXPECT_TRUE(stores[static_cast<size_t>(p)]->WaitReady())
        << "halo-store part " << p
        << " did not come up; its stdout: " << stores[static_cast<size_t>(p)]->process().output();
  }
  return stores;
}

std::vector<std::string> Endpoints(const std::vector<std::unique_ptr<StoreProcess>>& stores) {
  std::vector<std::string> out;
  for (const auto& s : stores) out.push_back(s->endpoint());
  return out;
}

}  // namespace halo::testing
