// Independent checks of the partitioner's output invariants. Every expectation is recomputed
// here from the GraphData the readers produce (a reference graph built in this file, BFS halos,
// edge cut, balance), never from the pipeline's own intermediate structures.
//
// Semantics checked (see partition/pipeline.h, partition/part_files.h, core/partition_book.h):
//  - part p owns the contiguous global range [node_begin, node_end); ranges cover [0, n);
//  - local IDs: inner nodes first (local_to_global[i] = node_begin + i), then halo nodes in
//    ascending global ID; in_csr row v lists local sources of the edges u -> v, ascending;
//  - edges belong to their destination's part;
//  - halo_hops L >= 1: the local node set is exactly the L-in-hop neighborhood of the inner nodes;
//    rows of nodes at distance < L hold all their in-edges, rows at distance L are empty;
//  - halo_hops L = 0: no halo; inner rows keep only the edges whose source is also inner, i.e.
//    cross-part edges are dropped (Cluster-GCN-style local training on each part alone);
//  - edge_cut counts undirected cut edges of the symmetrized graph;
//  - the node map (new global ID -> original ID) is a permutation of the original IDs, and inner
//    features / labels / masks are those of the original node.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/csr.h"
#include "core/npy.h"
#include "core/partition_book.h"
#include "core/status.h"
#include "partition/graph_data.h"
#include "partition/part_files.h"
#include "partition/pipeline.h"
#include "partition/prepare.h"
#include "partition/readers/reader.h"
#include "tests/test_util.h"

namespace halo::partition {
namespace {

namespace fs = std::filesystem;
using core::NodeId;
using core::PartId;

// ---------------------------------------------------------------------------------------------
// Reference graph
// ---------------------------------------------------------------------------------------------

// The prepared graph as the spec defines it: distinct directed edges over compact IDs,
// symmetrized when the input is undirected or symmetrize is on, self-loops per the option.
struct RefGraph {
  int64_t num_nodes = 0;
  int64_t num_edges = 0;                // distinct directed edges
  std::vector<std::vector<NodeId>> in;  // in[v]: sorted distinct sources u of the edges u -> v
};

RefGraph BuildRef(const GraphData& g, const PrepareOptions& prep) {
  const bool sym = !g.directed || prep.symmetrize;
  std::vector<std::pair<NodeId, NodeId>> edges;  // (dst, src)
  edges.reserve(g.src.size() * (sym ? 2 : 1) + static_cast<size_t>(g.num_nodes));
  for (size_t i = 0; i < g.src.size(); ++i) {
    const NodeId u = g.src[i];
    const NodeId v = g.dst[i];
    if (u == v && prep.self_loops == SelfLoops::kRemove) continue;
    edges.emplace_back(v, u);
    if (sym) edges.emplace_back(u, v);
  }
  if (prep.self_loops == SelfLoops::kAdd) {
    for (NodeId v = 0; v < g.num_nodes; ++v) edges.emplace_back(v, v);
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  RefGraph ref;
  ref.num_nodes = g.num_nodes;
  ref.num_edges = static_cast<int64_t>(edges.size());
  ref.in.resize(static_cast<size_t>(g.num_nodes));
  for (const auto& [v, u] : edges) ref.in[v].push_back(u);
  return ref;
}

// Collects violations so that one broken invariant reports a few examples and a count instead
// of flooding the log with thousands of failures.
class Violations {
 public:
  explicit Violations(std::string what) : what_(std::move(what)) {}
  void Add(const std::string& message) {
    if (examples_.size() < 8) examples_.push_back(message);
    ++count_;
  }
  int64_t count() const { return count_; }
  std::string Report() const {
    std::ostringstream out;
    out << what_ << ": " << count_ << " violation(s), e.g.:";
    for (const auto& e : examples_) out << "\n  " << e;
    return out.str();
  }

 private:
  std::string what_;
  std::vector<std::string> examples_;
  int64_t count_ = 0;
};

#define EXPECT_NO_VIOLATIONS(v) EXPECT_EQ((v).count(), 0) << (v).Report()

std::string Join(const std::vector<NodeId>& ids, size_t max = 12) {
  std::ostringstream out;
  out << "{";
  for (size_t i = 0; i < ids.size() && i < max; ++i) out << (i ? "," : "") << ids[i];
  if (ids.size() > max) out << ",... (" << ids.size() << " total)";
  out << "}";
  return out.str();
}

// ---------------------------------------------------------------------------------------------
// Bundled datasets, read once per process
// ---------------------------------------------------------------------------------------------

const GraphData* Dataset(const std::string& name) {
  static std::map<std::string, std::unique_ptr<GraphData>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second.get();
  core::Result<GraphData> r = core::Status::InvalidArgument("unknown dataset " + name);
  if (name == "cora") {
    r = ReadGraph(halo::testing::DataPath("cora/planetoid_txt"), "planetoid-txt");
  } else if (name == "4elt") {
    r = ReadGraph(halo::testing::DataPath("4elt/4elt.graph.gz"), "metis");
  }
  std::unique_ptr<GraphData> g;
  if (r.ok()) {
    g = std::make_unique<GraphData>(std::move(r).value());
  } else {
    ADD_FAILURE() << "reading " << name << ": " << r.status().ToString();
  }
  return (cache[name] = std::move(g)).get();
}

const RefGraph* DatasetRef(const std::string& name) {
  static std::map<std::string, std::unique_ptr<RefGraph>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second.get();
  const GraphData* g = Dataset(name);
  std::unique_ptr<RefGraph> ref;
  if (g != nullptr) ref = std::make_unique<RefGraph>(BuildRef(*g, PrepareOptions{}));
  return (cache[name] = std::move(ref)).get();
}

// ---------------------------------------------------------------------------------------------
// The invariant checker
// ---------------------------------------------------------------------------------------------

struct CheckOptions {
  bool metis_node_balance = false;   // max part size <= 1.05 n / k + 2
  bool random_size_balance = false;  // part sizes differ by at most 1
};

// What a check returns for further comparisons between runs.
struct Checked {
  core::PartitionMeta meta;
  std::vector<int64_t> node_map;         // new global ID -> original ID
  std::vector<PartId> part_of_original;  // indexed by compact ID
};

// Checks every invariant of the partition in `opt.output`, produced from `graph` with `opt`.
// `report` (optional) is what PartitionGraph/RunPartition returned. Uses ASSERT_*: callers
// check HasFatalFailure() when they continue.
void CheckPartition(const GraphData& graph, const RefGraph& ref, const PartitionOptions& opt,
                    const PartitionReport* report, const CheckOptions& check,
                    Checked* out = nullptr) {
  const std::string dir = opt.output;
  const int64_t n = graph.num_nodes;
  const int k = opt.num_parts;
  const int L = opt.halo_hops;

  // ---- partition.json ----
  ASSERT_TRUE(fs::exists(dir + "/partition.json")) << dir;
  core::Result<core::PartitionMeta> meta_r = core::ReadPartitionMeta(dir);
  ASSERT_TRUE(meta_r.ok()) << meta_r.status().ToString();
  const core::PartitionMeta meta = std::move(meta_r).value();
  EXPECT_EQ(meta.num_nodes, n);
  ASSERT_EQ(meta.num_parts, k);
  ASSERT_EQ(static_cast<int64_t>(meta.parts.size()), k);
  EXPECT_EQ(meta.halo_hops, L);
  EXPECT_EQ(meta.method, opt.method);
  if (opt.method == "metis") {
    EXPECT_EQ(meta.objective, opt.objective);
    EXPECT_EQ(meta.balance, opt.balance);
  }
  EXPECT_EQ(meta.seed, opt.seed);
  EXPECT_EQ(meta.feature_dim, graph.feature_dim);
  EXPECT_EQ(meta.num_classes, graph.num_classes);
  EXPECT_EQ(meta.self_loops, std::string(SelfLoopsName(opt.prepare.self_loops)));
  if (graph.directed) {
    EXPECT_EQ(meta.symmetrized, opt.prepare.symmetrize);
  }

  // Contiguous ranges from 0 to n, each node owned exactly once.
  NodeId expect_begin = 0;
  for (int p = 0; p < k; ++p) {
    const core::PartInfo& info = meta.parts[p];
    EXPECT_EQ(info.id, p);
    EXPECT_EQ(info.node_begin, expect_begin) << "part " << p;
    EXPECT_LE(info.node_begin, info.node_end) << "part " << p;
    expect_begin = info.node_end;
  }
  EXPECT_EQ(expect_begin, n);
  ASSERT_FALSE(::testing::Test::HasFailure()) << "partition.json is inconsistent; stopping";
  const core::PartitionBook book = core::PartitionBook::FromMeta(meta);
  ASSERT_EQ(book.num_nodes(), n);

  // ---- node map: a permutation of the original IDs ----
  ASSERT_FALSE(meta.node_map_file.empty());
  std::vector<int64_t> map_shape;
  core::Result<std::vector<int64_t>> map_r =
      core::ReadNpyAs<int64_t>(dir + "/" + meta.node_map_file, &map_shape);
  ASSERT_TRUE(map_r.ok()) << map_r.status().ToString();
  const std::vector<int64_t> node_map = std::move(map_r).value();
  ASSERT_EQ(static_cast<int64_t>(node_map.size()), n);
  std::unordered_map<int64_t, NodeId> compact_of_original;
  if (!graph.original_ids.empty()) {
    ASSERT_EQ(static_cast<int64_t>(graph.original_ids.size()), n);
    compact_of_original.reserve(static_cast<size_t>(n));
    for (NodeId c = 0; c < n; ++c) compact_of_original[graph.original_ids[c]] = c;
    ASSERT_EQ(static_cast<int64_t>(compact_of_original.size()), n) << "reader: duplicate ids";
  }
  std::vector<NodeId> compact_of_new(static_cast<size_t>(n), -1);
  std::vector<NodeId> new_of_compact(static_cast<size_t>(n), -1);
  {
    Violations v("node map is not a permutation of the original IDs");
    for (NodeId g = 0; g < n; ++g) {
      NodeId c = -1;
      if (graph.original_ids.empty()) {
        if (node_map[g] >= 0 && node_map[g] < n) c = node_map[g];
      } else {
        auto it = compact_of_original.find(node_map[g]);
        if (it != compact_of_original.end()) c = it->second;
      }
      if (c < 0) {
        v.Add("global " + std::to_string(g) + " -> unknown original " +
              std::to_string(node_map[g]));
      } else if (new_of_compact[c] >= 0) {
        v.Add("original " + std::to_string(node_map[g]) + " mapped twice");
      } else {
        new_of_compact[c] = g;
        compact_of_new[g] = c;
      }
    }
    EXPECT_NO_VIOLATIONS(v);
    ASSERT_EQ(v.count(), 0);
  }
  std::vector<PartId> part_of(static_cast<size_t>(n));  // by compact ID
  for (NodeId c = 0; c < n; ++c) part_of[c] = book.Owner(new_of_compact[c]);

  // ---- edge cut (undirected, symmetrized graph, self-loops ignored) ----
  std::vector<std::pair<NodeId, NodeId>> undirected;
  int64_t cross_directed = 0;
  for (NodeId v = 0; v < n; ++v) {
    for (NodeId u : ref.in[v]) {
      if (part_of[u] != part_of[v]) ++cross_directed;
      if (u != v) undirected.emplace_back(std::min(u, v), std::max(u, v));
    }
  }
  std::sort(undirected.begin(), undirected.end());
  undirected.erase(std::unique(undirected.begin(), undirected.end()), undirected.end());
  int64_t edge_cut = 0;
  for (const auto& [a, b] : undirected) edge_cut += part_of[a] != part_of[b] ? 1 : 0;
  EXPECT_EQ(meta.edge_cut, edge_cut);
  if (k == 1) {
    EXPECT_EQ(meta.edge_cut, 0);
  }

  if (L >= 1) {
    EXPECT_EQ(meta.num_edges, ref.num_edges);
  } else {
    // partition.json documents num_edges as "directed edges of the prepared graph (sum of inner
    // in-degrees)"; with L = 0 those differ, so either reading is accepted.
    EXPECT_TRUE(meta.num_edges == ref.num_edges || meta.num_edges == ref.num_edges - cross_directed)
        << "num_edges " << meta.num_edges << ", prepared " << ref.num_edges << ", kept "
        << ref.num_edges - cross_directed;
  }

  // ---- balance ----
  std::vector<int64_t> sizes(k);
  for (int p = 0; p < k; ++p) sizes[p] = meta.parts[p].node_end - meta.parts[p].node_begin;
  const int64_t max_size = *std::max_element(sizes.begin(), sizes.end());
  const int64_t min_size = *std::min_element(sizes.begin(), sizes.end());
  if (check.metis_node_balance) {
    const double bound = 1.05 * static_cast<double>(n) / k + 2;
    EXPECT_LE(static_cast<double>(max_size), bound) << "largest part " << max_size << " of n=" << n;
  }
  if (check.random_size_balance) {
    EXPECT_LE(max_size - min_size, 1);
  }

  // ---- the parts ----
  const bool has_labels = !graph.labels.empty();
  const bool has_split = graph.has_split();
  int64_t sum_inner_edges = 0;
  int64_t total_train = 0, total_val = 0, total_test = 0;
  for (int p = 0; p < k; ++p) {
    SCOPED_TRACE("part " + std::to_string(p));
    const core::PartInfo& info = meta.parts[p];
    core::Result<LocalPart> part_r = ReadPartFiles(dir, info);
    ASSERT_TRUE(part_r.ok()) << part_r.status().ToString();
    const LocalPart part = std::move(part_r).value();
    const NodeId begin = info.node_begin;
    const NodeId end = info.node_end;
    const int64_t num_inner = end - begin;
    const int64_t num_local = part.num_local();
    ASSERT_EQ(part.num_inner, num_inner);
    EXPECT_EQ(info.num_inner, num_inner);
    ASSERT_GE(num_local, num_inner);
    EXPECT_EQ(info.num_halo, num_local - num_inner);
    ASSERT_EQ(static_cast<int64_t>(part.is_inner.size()), num_local);
    ASSERT_EQ(part.in_csr.num_rows(), num_local);
    const core::Status csr_ok = part.in_csr.Validate(num_local, "part in_csr");
    ASSERT_TRUE(csr_ok.ok()) << csr_ok.ToString();
    EXPECT_EQ(info.num_local_edges, part.in_csr.num_entries());
    if (L == 0) {
      EXPECT_EQ(num_local, num_inner) << "halo_hops=0 must not keep halo nodes";
    }

    // Local ID layout.
    const std::vector<NodeId>& l2g = part.local_to_global;
    {
      Violations v("local ID layout");
      for (int64_t i = 0; i < num_inner; ++i) {
        if (l2g[i] != begin + i) {
          v.Add("inner local " + std::to_string(i) + " -> global " + std::to_string(l2g[i]));
        }
        if (part.is_inner[i] != 1) v.Add("inner local " + std::to_string(i) + " flagged halo");
      }
      for (int64_t i = num_inner; i < num_local; ++i) {
        const NodeId g = l2g[i];
        if (part.is_inner[i] != 0) v.Add("halo local " + std::to_string(i) + " flagged inner");
        if (g < 0 || g >= n || (g >= begin && g < end)) {
          v.Add("halo local " + std::to_string(i) + " has global " + std::to_string(g));
        }
        if (i > num_inner && !(l2g[i - 1] < g)) {
          v.Add("halo globals not strictly ascending at local " + std::to_string(i) + ": " +
                std::to_string(l2g[i - 1]) + " then " + std::to_string(g));
        }
      }
      EXPECT_NO_VIOLATIONS(v);
      ASSERT_EQ(v.count(), 0);
    }

    // Rows sorted ascending, without duplicates.
    {
      Violations v("in_csr rows not strictly ascending");
      const core::Csr& csr = part.in_csr;
      for (int64_t r = 0; r < num_local; ++r) {
        for (int64_t e = csr.indptr[r] + 1; e < csr.indptr[r + 1]; ++e) {
          if (!(csr.indices[e - 1] < csr.indices[e])) {
            v.Add("row " + std::to_string(r) + ": " + std::to_string(csr.indices[e - 1]) +
                  " then " + std::to_string(csr.indices[e]));
          }
        }
      }
      EXPECT_NO_VIOLATIONS(v);
    }
    auto row_globals = [&](int64_t r) {
      std::vector<NodeId> out_ids;
      for (int64_t e = part.in_csr.indptr[r]; e < part.in_csr.indptr[r + 1]; ++e) {
        out_ids.push_back(l2g[part.in_csr.indices[e]]);
      }
      std::sort(out_ids.begin(), out_ids.end());
      return out_ids;
    };
    for (int64_t i = 0; i < num_inner; ++i) sum_inner_edges += part.in_csr.degree(i);

    if (L == 0) {
      // Inner rows hold exactly the in-edges whose source is inner too.
      Violations v("L=0 inner rows != in-edges from the same part");
      for (int64_t i = 0; i < num_inner; ++i) {
        const NodeId c = compact_of_new[begin + i];
        std::vector<NodeId> expect;
        for (NodeId u : ref.in[c]) {
          if (part_of[u] == p) expect.push_back(new_of_compact[u]);
        }
        std::sort(expect.begin(), expect.end());
        const std::vector<NodeId> got = row_globals(i);
        if (got != expect) {
          v.Add("global " + std::to_string(begin + i) + ": got " + Join(got) + ", expected " +
                Join(expect));
        }
      }
      EXPECT_NO_VIOLATIONS(v);
    } else {
      // BFS along in-edges from the inner nodes, up to L hops.
      std::vector<int> dist(static_cast<size_t>(n), -1);
      std::vector<NodeId> frontier;
      for (NodeId g = begin; g < end; ++g) {
        dist[compact_of_new[g]] = 0;
        frontier.push_back(compact_of_new[g]);
      }
      for (int d = 1; d <= L; ++d) {
        std::vector<NodeId> next;
        for (NodeId x : frontier) {
          for (NodeId u : ref.in[x]) {
            if (dist[u] < 0) {
              dist[u] = d;
              next.push_back(u);
            }
          }
        }
        frontier.swap(next);
      }
      std::vector<NodeId> expect_local;
      for (NodeId c = 0; c < n; ++c) {
        if (dist[c] >= 0) expect_local.push_back(new_of_compact[c]);
      }
      std::sort(expect_local.begin(), expect_local.end());
      std::vector<NodeId> got_local = l2g;
      std::sort(got_local.begin(), got_local.end());
      if (got_local != expect_local) {
        std::vector<NodeId> missing, extra;
        std::set_difference(expect_local.begin(), expect_local.end(), got_local.begin(),
                            got_local.end(), std::back_inserter(missing));
        std::set_difference(got_local.begin(), got_local.end(), expect_local.begin(),
                            expect_local.end(), std::back_inserter(extra));
        ADD_FAILURE() << "local node set != " << L
                      << "-hop in-neighborhood of the inner nodes: " << got_local.size()
                      << " local vs " << expect_local.size() << " expected; missing "
                      << Join(missing) << ", extra " << Join(extra);
      }
      EXPECT_EQ(info.num_halo, static_cast<int64_t>(expect_local.size()) - num_inner);

      Violations v("rows vs full in-neighborhoods (distance < L) / empty rows (distance L)");
      for (int64_t r = 0; r < num_local; ++r) {
        const NodeId c = compact_of_new[l2g[r]];
        const int d = dist[c];
        if (d < 0) continue;  // reported above
        const std::vector<NodeId> got = row_globals(r);
        if (d < L) {
          std::vector<NodeId> expect;
          for (NodeId u : ref.in[c]) expect.push_back(new_of_compact[u]);
          std::sort(expect.begin(), expect.end());
          if (got != expect) {
            v.Add("local " + std::to_string(r) + " (global " + std::to_string(l2g[r]) +
                  ", distance " + std::to_string(d) + "): got " + Join(got) + ", expected " +
                  Join(expect));
          }
        } else if (!got.empty()) {
          v.Add("halo local " + std::to_string(r) + " at distance L has " +
                std::to_string(got.size()) + " in-edges");
        }
      }
      EXPECT_NO_VIOLATIONS(v);
    }

    // Node data of the inner rows equals the original node's.
    EXPECT_EQ(part.feature_dim, graph.feature_dim);
    if (graph.feature_dim > 0) {
      const int64_t dim = graph.feature_dim;
      ASSERT_EQ(static_cast<int64_t>(part.features.size()), num_inner * dim);
      Violations v("feature rows differ from the original node's");
      for (int64_t i = 0; i < num_inner; ++i) {
        const NodeId c = compact_of_new[begin + i];
        if (!std::equal(part.features.begin() + i * dim, part.features.begin() + (i + 1) * dim,
                        graph.features.begin() + c * dim)) {
          v.Add("inner local " + std::to_string(i) + " (original " +
                std::to_string(node_map[begin + i]) + ")");
        }
      }
      EXPECT_NO_VIOLATIONS(v);
    }
    if (has_labels) {
      ASSERT_EQ(static_cast<int64_t>(part.labels.size()), num_inner);
      Violations v("labels differ from the original node's");
      for (int64_t i = 0; i < num_inner; ++i) {
        const NodeId c = compact_of_new[begin + i];
        if (part.labels[i] != graph.labels[c]) v.Add("inner local " + std::to_string(i));
      }
      EXPECT_NO_VIOLATIONS(v);
    }
    if (has_split) {
      ASSERT_EQ(static_cast<int64_t>(part.train_mask.size()), num_inner);
      ASSERT_EQ(static_cast<int64_t>(part.val_mask.size()), num_inner);
      ASSERT_EQ(static_cast<int64_t>(part.test_mask.size()), num_inner);
      Violations v("masks differ from the original node's");
      int64_t tr = 0, va = 0, te = 0;
      for (int64_t i = 0; i < num_inner; ++i) {
        const NodeId c = compact_of_new[begin + i];
        if ((part.train_mask[i] != 0) != (graph.train_mask[c] != 0) ||
            (part.val_mask[i] != 0) != (graph.val_mask[c] != 0) ||
            (part.test_mask[i] != 0) != (graph.test_mask[c] != 0)) {
          v.Add("inner local " + std::to_string(i));
        }
        tr += part.train_mask[i] != 0;
        va += part.val_mask[i] != 0;
        te += part.test_mask[i] != 0;
      }
      EXPECT_NO_VIOLATIONS(v);
      EXPECT_EQ(info.num_train, tr);
      EXPECT_EQ(info.num_val, va);
      EXPECT_EQ(info.num_test, te);
    }
    total_train += info.num_train;
    total_val += info.num_val;
    total_test += info.num_test;
  }

  // Every edge exactly once among the inner rows (L >= 1), or exactly the intra-part edges.
  if (L >= 1) {
    EXPECT_EQ(sum_inner_edges, ref.num_edges);
  } else {
    EXPECT_EQ(sum_inner_edges, ref.num_edges - cross_directed);
  }
  if (has_split) {
    const auto count = [](const std::vector<uint8_t>& m) {
      return static_cast<int64_t>(std::count_if(m.begin(), m.end(), [](uint8_t x) { return x; }));
    };
    EXPECT_EQ(total_train, count(graph.train_mask));
    EXPECT_EQ(total_val, count(graph.val_mask));
    EXPECT_EQ(total_test, count(graph.test_mask));
  }

  // ---- the returned report agrees with what was written ----
  if (report != nullptr) {
    EXPECT_EQ(report->meta.num_nodes, meta.num_nodes);
    EXPECT_EQ(report->meta.num_edges, meta.num_edges);
    EXPECT_EQ(report->meta.edge_cut, meta.edge_cut);
    EXPECT_EQ(report->meta.num_parts, meta.num_parts);
    EXPECT_EQ(report->meta.Offsets(), meta.Offsets());
    std::vector<std::string> phases;
    for (const auto& [name, seconds] : report->phase_seconds) {
      phases.push_back(name);
      EXPECT_GE(seconds, 0.0) << name;
    }
    for (const char* want : {"read", "prepare", "partition", "relabel", "halo", "write"}) {
      EXPECT_NE(std::find(phases.begin(), phases.end(), want), phases.end())
          << "phase " << want << " missing from the report";
    }
    EXPECT_GT(report->peak_rss_bytes, 0);
  }

  // ---- nothing left next to the output ----
  const fs::path out_path(dir);
  const std::string base = out_path.filename().string();
  for (const auto& entry : fs::directory_iterator(out_path.parent_path())) {
    const std::string name = entry.path().filename().string();
    if (name != base && name.rfind(base, 0) == 0) {
      ADD_FAILURE() << "left behind next to the output: " << name;
    }
  }

  if (out != nullptr) {
    out->meta = meta;
    out->node_map = node_map;
    out->part_of_original = part_of;
  }
}

// Runs PartitionGraph on a copy of `graph` and checks the result.
void RunAndCheck(const GraphData& graph, const RefGraph& ref, const PartitionOptions& opt,
                 const CheckOptions& check, Checked* out = nullptr) {
  core::Result<PartitionReport> r = PartitionGraph(graph, opt, 0.0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  CheckPartition(graph, ref, opt, &r.value(), check, out);
}

bool InStore(const fs::path& relative) {
  for (const auto& part : relative) {
    if (part == "store") return true;
  }
  return false;
}

// All regular files under `dir`: relative path -> content. A part's RocksDB store is compared
// by content instead (its files carry DB identities and timestamps): its rows in key order.
std::map<std::string, std::string> ReadTree(const std::string& dir) {
  std::map<std::string, std::string> files;
  auto meta = core::ReadPartitionMeta(dir);
  EXPECT_TRUE(meta.ok()) << meta.status().ToString();
  if (meta.ok()) {
    for (const core::PartInfo& info : meta->parts) {
      auto part = ReadPartFiles(dir, info);
      EXPECT_TRUE(part.ok()) << part.status().ToString();
      if (!part.ok()) continue;
      auto bytes = [](const auto& v) {
        return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(v.data()[0]));
      };
      const std::string key = info.dir + "/store rows ";
      files[key + "features"] = bytes(part->features);
      files[key + "labels"] = bytes(part->labels);
      files[key + "masks"] =
          bytes(part->train_mask) + bytes(part->val_mask) + bytes(part->test_mask);
    }
  }
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || InStore(fs::relative(entry.path(), dir))) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files[fs::relative(entry.path(), dir).string()] =
        std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return files;
}

void ExpectSameTree(const std::string& a, const std::string& b) {
  const auto ta = ReadTree(a);
  const auto tb = ReadTree(b);
  std::vector<std::string> na, nb;
  for (const auto& [name, content] : ta) na.push_back(name);
  for (const auto& [name, content] : tb) nb.push_back(name);
  ASSERT_EQ(na, nb) << "the two partition directories hold different files";
  for (const auto& [name, content] : ta) {
    EXPECT_TRUE(content == tb.at(name)) << name << " differs between runs with the same seed";
  }
}

// ---------------------------------------------------------------------------------------------
// Sanity of the reference itself on the bundled data
// ---------------------------------------------------------------------------------------------

TEST(PartitionInvariantsData, CoraReference) {
  const GraphData* g = Dataset("cora");
  ASSERT_NE(g, nullptr);
  const RefGraph* ref = DatasetRef("cora");
  EXPECT_EQ(g->num_nodes, 2708);
  EXPECT_EQ(ref->num_edges, 10556);
  EXPECT_EQ(g->feature_dim, 1433);
  ASSERT_TRUE(g->has_split());
  EXPECT_EQ(std::count(g->train_mask.begin(), g->train_mask.end(), 1), 140);
  EXPECT_EQ(std::count(g->val_mask.begin(), g->val_mask.end(), 1), 500);
  EXPECT_EQ(std::count(g->test_mask.begin(), g->test_mask.end(), 1), 1000);
  int64_t self_loops = 0;
  for (NodeId v = 0; v < ref->num_nodes; ++v) {
    self_loops += std::binary_search(ref->in[v].begin(), ref->in[v].end(), v);
  }
  EXPECT_EQ(self_loops, 0);
}

TEST(PartitionInvariantsData, FourEltReference) {
  const GraphData* g = Dataset("4elt");
  ASSERT_NE(g, nullptr);
  const RefGraph* ref = DatasetRef("4elt");
  EXPECT_EQ(g->num_nodes, 15606);
  EXPECT_EQ(ref->num_edges, 2 * 45878);
}

// ---------------------------------------------------------------------------------------------
// METIS parameter grid: {cora, 4elt} x k in {1,2,4,8} x L in {0,1,2}
// ---------------------------------------------------------------------------------------------

using GridParam = std::tuple<std::string, int, int>;

class MetisGridTest : public ::testing::TestWithParam<GridParam> {};

TEST_P(MetisGridTest, Invariants) {
  const auto& [dataset, k, hops] = GetParam();
  const GraphData* g = Dataset(dataset);
  ASSERT_NE(g, nullptr);
  const RefGraph* ref = DatasetRef(dataset);
  halo::testing::TempDir tmp;
  PartitionOptions opt;
  opt.num_parts = k;
  opt.halo_hops = hops;
  opt.method = "metis";
  opt.output = tmp.File("out");
  CheckOptions check;
  check.metis_node_balance = true;
  Checked result;
  RunAndCheck(*g, *ref, opt, check, &result);
  if (HasFatalFailure()) return;
  if (dataset == "cora") {
    int64_t train = 0, val = 0, test = 0;
    for (const auto& part : result.meta.parts) {
      train += part.num_train;
      val += part.num_val;
      test += part.num_test;
    }
    EXPECT_EQ(train, 140);
    EXPECT_EQ(val, 500);
    EXPECT_EQ(test, 1000);
    // planetoid-txt nodes are 0..n-1 in content order: the map is a permutation of 0..2707.
    std::vector<int64_t> sorted = result.node_map;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> iota(2708);
    std::iota(iota.begin(), iota.end(), 0);
    EXPECT_TRUE(sorted == iota);
  }
  if (k > 1) {
    EXPECT_GT(result.meta.edge_cut, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Grid, MetisGridTest,
    ::testing::Combine(::testing::Values(std::string("cora"), std::string("4elt")),
                       ::testing::Values(1, 2, 4, 8), ::testing::Values(0, 1, 2)),
    [](const ::testing::TestParamInfo<GridParam>& info) {
      std::string name = std::get<0>(info.param);
      if (name == "4elt") name = "fourelt";
      return name + "_k" + std::to_string(std::get<1>(info.param)) + "_L" +
             std::to_string(std::get<2>(info.param));
    });

// ---------------------------------------------------------------------------------------------
// Other methods, constraints and objectives
// ---------------------------------------------------------------------------------------------

TEST(PartitionInvariants, RandomCoraK4) {
  const GraphData* g = Dataset("cora");
  ASSERT_NE(g, nullptr);
  halo::testing::TempDir tmp;
  PartitionOptions opt;
  opt.num_parts = 4;
  opt.method = "random";
  opt.halo_hops = 1;
  opt.seed = 11;
  opt.output = tmp.File("out");
  CheckOptions check;
  check.random_size_balance = true;
  RunAndCheck(*g, *DatasetRef("cora"), opt, check);
}

TEST(PartitionInvariants, RandomFourEltK8L2) {
  const GraphData* g = Dataset("4elt");
  ASSERT_NE(g, nullptr);
  halo::testing::TempDir tmp;
  PartitionOptions opt;
  opt.num_parts = 8;
  opt.method = "random";
  opt.halo_hops = 2;
  opt.seed = 3;
  opt.output = tmp.File("out");
  CheckOptions check;
  check.random_size_balance = true;
  RunAndCheck(*g, *DatasetRef("4elt"), opt, check);
}

TEST(PartitionInvariants, MultiConstraintCoraK4) {
  const GraphData* g = Dataset("cora");
  ASSERT_NE(g, nullptr);
  halo::testing::TempDir tmp;
  PartitionOptions opt;
  opt.num_parts = 4;
  opt.balance = {"nodes", "edges", "train"};
  opt.halo_hops = 1;
  opt.output = tmp.File("out");
  core::Result<PartitionReport> r = PartitionGraph(*g, opt, 0.0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  CheckPartition(*g, *DatasetRef("cora"), opt, &r.value(), CheckOptions{});
  // One imbalance entry per constraint.
  std::vector<std::string> names;
  for (const auto& [name, ratio] : r->imbalance) {
    names.push_back(name);
    EXPECT_GE(ratio, 1.0 - 1e-9) << name;
  }
  EXPECT_EQ(names, opt.balance);
}

TEST(PartitionInvariants, ObjectiveVolCoraK4) {
  const GraphData* g = Dataset("cora");
  ASSERT_NE(g, nullptr);
  halo::testing::TempDir tmp;
  PartitionOptions opt;
  opt.num_parts = 4;
  opt.objective = "vol";
  opt.halo_hops = 2;
  opt.output = tmp.File("out");
  CheckOptions check;
  check.metis_node_balance = true;
  RunAndCheck(*g, *DatasetRef("cora"), opt, check);
}

TEST(PartitionInvariants, ObjectiveVolFourEltK8) {
  const GraphData* g = Dataset("4elt");
  ASSERT_NE(g, nullptr);
  halo::testing::TempDir tmp;
  PartitionOptions opt;
  opt.num_parts = 8;
  opt.objective = "vol";
  opt.halo_hops = 1;
  opt.output = tmp.File("out");
  CheckOptions check;
  check.metis_node_balance = true;
  RunAndCheck(*g, *DatasetRef("4elt"), opt, check);
}

TEST(PartitionInvariants, RunPartitionReadsInput) {
  const GraphData* g = Dataset("4elt");
  ASSERT_NE(g, nullptr);
  halo::testing::TempDir tmp;
  PartitionOptions opt;
  opt.num_parts = 3;
  opt.halo_hops = 1;
  opt.output = tmp.File("out");
  core::Result<PartitionReport> r =
      RunPartition(halo::testing::DataPath("4elt/4elt.graph.gz"), "metis", opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  CheckOptions check;
  check.metis_node_balance = true;
  CheckPartition(*g, *DatasetRef("4elt"), opt, &r.value(), check);
}

// ---------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------

TEST(PartitionDeterminism, MetisSameSeedIsByteIdentical) {
  const GraphData* g = Dataset("cora");
  ASSERT_NE(g, nullptr);
  halo::testing::TempDir tmp;
  PartitionOptions opt;
  opt.num_parts = 4;
  opt.halo_hops = 1;
  opt.seed = 5;
  opt.output = tmp.File("a");
  Checked a, b;
  RunAndCheck(*g, *DatasetRef("cora"), opt, CheckOptions{}, &a);
  ASSERT_FALSE(HasFatalFailure());
  opt.output = tmp.File("b");
  RunAndCheck(*g, *DatasetRef("cora"), opt, CheckOptions{}, &b);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_TRUE(a.node_map == b.node_map);
  EXPECT_EQ(a.meta.Offsets(), b.meta.Offsets());
  ExpectSameTree(tmp.File("a"), tmp.File("b"));
}

TEST(PartitionDeterminism, MetisSameSeedFourEltK8L2) {
  const GraphData* g = Dataset("4elt");
  ASSERT_NE(g, nullptr);
  halo::testing::TempDir tmp;
  PartitionOptions opt;
  opt.num_parts = 8;
  opt.halo_hops = 2;
  opt.seed = 1;
  opt.output = tmp.File("a");
  ASSERT_TRUE(PartitionGraph(*g, opt, 0.0).ok());
  opt.output = tmp.File("b");
  ASSERT_TRUE(PartitionGraph(*g, opt, 0.0).ok());
  ExpectSameTree(tmp.File("a"), tmp.File("b"));
}

TEST(PartitionDeterminism, RandomSameSeedSameDifferentSeedDifferent) {
  const GraphData* g = Dataset("cora");
  ASSERT_NE(g, nullptr);
  halo::testing::TempDir tmp;
  PartitionOptions opt;
  opt.num_parts = 4;
  opt.method = "random";
  opt.halo_hops = 1;
  CheckOptions check;
  check.random_size_balance = true;
  Checked s1a, s1b, s2;
  opt.seed = 1;
  opt.output = tmp.File("s1a");
  RunAndCheck(*g, *DatasetRef("cora"), opt, check, &s1a);
  ASSERT_FALSE(HasFatalFailure());
  opt.output = tmp.File("s1b");
  RunAndCheck(*g, *DatasetRef("cora"), opt, check, &s1b);
  ASSERT_FALSE(HasFatalFailure());
  opt.seed = 2;
  opt.output = tmp.File("s2");
  RunAndCheck(*g, *DatasetRef("cora"), opt, check, &s2);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_TRUE(s1a.part_of_original == s1b.part_of_original);
  EXPECT_TRUE(s1a.node_map == s1b.node_map);
  ExpectSameTree(tmp.File("s1a"), tmp.File("s1b"));
  EXPECT_FALSE(s1a.part_of_original == s2.part_of_original)
      << "random partitions with seeds 1 and 2 assign every node identically";
}

// ---------------------------------------------------------------------------------------------
// Small edge-list fixtures: sparse original IDs, directed input, self-loops, duplicates
// ---------------------------------------------------------------------------------------------

// A directed graph over 60 sparse IDs (7 * i + 100) with duplicates and three self-loops.
std::string FixtureEdgeList() {
  std::ostringstream out;
  out << "# fixture\n";
  uint64_t x = 12345;
  auto next = [&x]() {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int64_t>((x >> 33) % 60);
  };
  for (int i = 0; i < 60; ++i) out << 7 * i + 100 << " " << 7 * ((i + 1) % 60) + 100 << "\n";
  for (int e = 0; e < 90; ++e) out << 7 * next() + 100 << " " << 7 * next() + 100 << "\n";
  out << "107 107\n240 240\n100 100\n";
  out << "100 107\n100 107\n";  // duplicates
  return out.str();
}

class EdgeListFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    halo::testing::WriteTextFile(tmp_.File("edges.txt"), FixtureEdgeList());
    core::Result<GraphData> r = ReadGraph(tmp_.File("edges.txt"), "edgelist");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    graph_ = std::move(r).value();
    ASSERT_EQ(graph_.num_nodes, 60);
    ASSERT_TRUE(graph_.directed);
  }

  void Check(const PartitionOptions& base, const std::string& name) {
    SCOPED_TRACE(name);
    PartitionOptions opt = base;
    opt.output = tmp_.File("out_" + name);
    const RefGraph ref = BuildRef(graph_, opt.prepare);
    Checked result;
    RunAndCheck(graph_, ref, opt, CheckOptions{}, &result);
    if (HasFatalFailure()) return;
    // Original IDs survive: the map is a permutation of {7i + 100}.
    std::vector<int64_t> sorted = result.node_map;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> expect;
    for (int i = 0; i < 60; ++i) expect.push_back(7 * i + 100);
    EXPECT_TRUE(sorted == expect);
  }

  halo::testing::TempDir tmp_;
  GraphData graph_;
};

TEST_F(EdgeListFixtureTest, SymmetrizedDefaults) {
  for (int hops : {0, 1, 2, 3}) {
    PartitionOptions opt;
    opt.num_parts = 3;
    opt.halo_hops = hops;
    Check(opt, "sym_L" + std::to_string(hops));
  }
}

TEST_F(EdgeListFixtureTest, DirectedWithoutSymmetrize) {
  for (int hops : {0, 1, 2}) {
    PartitionOptions opt;
    opt.num_parts = 3;
    opt.halo_hops = hops;
    opt.prepare.symmetrize = false;
    Check(opt, "dir_L" + std::to_string(hops));
  }
}

TEST_F(EdgeListFixtureTest, SelfLoopModes) {
  for (SelfLoops mode : {SelfLoops::kKeep, SelfLoops::kRemove, SelfLoops::kAdd}) {
    PartitionOptions opt;
    opt.num_parts = 2;
    opt.halo_hops = 1;
    opt.prepare.self_loops = mode;
    Check(opt, std::string("loops_") + SelfLoopsName(mode));
  }
}

TEST_F(EdgeListFixtureTest, RandomMethod) {
  PartitionOptions opt;
  opt.num_parts = 7;
  opt.method = "random";
  opt.halo_hops = 2;
  opt.seed = 99;
  Check(opt, "random");
}

}  // namespace
}  // namespace halo::partition
