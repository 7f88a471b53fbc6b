// A small random partition directory written with core's npy/partition.json writers, in the
// layout of docs/partition-format.md (halo_hops = 1), for the storage tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/fs.h"
#include "core/npy.h"
#include "core/partition_book.h"

namespace halo::storage::testing {

struct SyntheticPart {
  core::NodeId begin = 0, end = 0;
  std::vector<std::vector<core::NodeId>> in_neighbors;  // per inner node, global IDs ascending
  std::vector<core::NodeId> halo;                       // ascending global IDs
  std::vector<float> features;                          // inner x dim
  std::vector<int64_t> labels;
  std::vector<uint8_t> train, val, test;
};

struct SyntheticPartition {
  core::PartitionMeta meta;
  std::vector<SyntheticPart> parts;
};

// Writes a partition of `num_nodes` nodes cut at `cuts` (part p = [cuts[p], cuts[p+1])) into
// `dir`. Every inner node gets up to `max_degree` distinct random in-neighbors anywhere.
inline SyntheticPartition MakeSyntheticPartition(const std::string& dir,
                                                 const std::vector<core::NodeId>& cuts,
                                                 int64_t feature_dim, int max_degree,
                                                 uint32_t seed) {
  std::mt19937_64 rng(seed);
  SyntheticPartition out;
  core::PartitionMeta& meta = out.meta;
  meta.graph_name = "synthetic";
  meta.num_nodes = cuts.back();
  meta.num_parts = static_cast<int32_t>(cuts.size()) - 1;
  meta.method = "random";
  meta.halo_hops = 1;
  meta.feature_dim = feature_dim;
  meta.num_classes = 7;
  meta.self_loops = "keep";
  meta.node_map_file = "node_map.npy";
  std::vector<int64_t> node_map(static_cast<size_t>(meta.num_nodes));
  for (size_t i = 0; i < node_map.size(); ++i) node_map[i] = static_cast<int64_t>(i) * 3;
  EXPECT_TRUE(core::WriteNpy(dir + "/node_map.npy", node_map).ok());
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  for (int32_t p = 0; p < meta.num_parts; ++p) {
    SyntheticPart sp;
    sp.begin = cuts[p];
    sp.end = cuts[p + 1];
    const int64_t n = sp.end - sp.begin;
    sp.in_neighbors.resize(static_cast<size_t>(n));
    for (auto& nbrs : sp.in_neighbors) {
      const int d = static_cast<int>(rng() % static_cast<uint64_t>(max_degree + 1));
      for (int k = 0; k < d; ++k) {
        nbrs.push_back(static_cast<core::NodeId>(rng() % static_cast<uint64_t>(meta.num_nodes)));
      }
      std::sort(nbrs.begin(), nbrs.end());
      nbrs.erase(std::unique(nbrs.begin(), nbrs.end()), nbrs.end());
      for (core::NodeId u : nbrs) {
        if (u < sp.begin || u >= sp.end) sp.halo.push_back(u);
      }
    }
    std::sort(sp.halo.begin(), sp.halo.end());
    sp.halo.erase(std::unique(sp.halo.begin(), sp.halo.end()), sp.halo.end());
    auto local_of = [&](core::NodeId g) -> int64_t {
      if (g >= sp.begin && g < sp.end) return g - sp.begin;
      return n + (std::lower_bound(sp.halo.begin(), sp.halo.end(), g) - sp.halo.begin());
    };
    const int64_t num_local = n + static_cast<int64_t>(sp.halo.size());
    std::vector<int64_t> indptr{0}, indices, l2g;
    std::vector<uint8_t> is_inner;
    for (int64_t v = 0; v < num_local; ++v) {
      if (v < n) {
        std::vector<int64_t> locals;
        for (core::NodeId u : sp.in_neighbors[static_cast<size_t>(v)])
          locals.push_back(local_of(u));
        std::sort(locals.begin(), locals.end());
        // CSR rows are sorted by local ID; keep in_neighbors in that order too.
        sp.in_neighbors[static_cast<size_t>(v)].clear();
        for (int64_t l : locals) {
          indices.push_back(l);
          sp.in_neighbors[static_cast<size_t>(v)].push_back(
              l < n ? sp.begin + l : sp.halo[static_cast<size_t>(l - n)]);
        }
      }
      indptr.push_back(static_cast<int64_t>(indices.size()));
      l2g.push_back(v < n ? sp.begin + v : sp.halo[static_cast<size_t>(v - n)]);
      is_inner.push_back(v < n ? 1 : 0);
    }
    sp.features.resize(static_cast<size_t>(n * feature_dim));
    for (float& f : sp.features) f = value(rng);
    for (int64_t v = 0; v < n; ++v) {
      sp.labels.push_back(static_cast<int64_t>(rng() % 8) - 1);
      const int split = static_cast<int>(rng() % 4);
      sp.train.push_back(split == 0);
      sp.val.push_back(split == 1);
      sp.test.push_back(split == 2);
    }
    core::PartInfo info;
    info.id = p;
    info.node_begin = sp.begin;
    info.node_end = sp.end;
    info.num_inner = n;
    info.num_halo = static_cast<int64_t>(sp.halo.size());
    info.num_local_edges = static_cast<int64_t>(indices.size());
    info.dir = "part" + std::to_string(p);
    const std::string pdir = dir + "/" + info.dir;
    EXPECT_TRUE(core::MakeDirs(pdir).ok());
    auto put = [&](const std::string& kind, core::Status s) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      info.files[kind] = info.dir + "/" + kind + ".npy";
    };
    put("indptr", core::WriteNpy(pdir + "/indptr.npy", indptr));
    put("indices", core::WriteNpy(pdir + "/indices.npy", indices));
    put("local_to_global", core::WriteNpy(pdir + "/local_to_global.npy", l2g));
    put("is_inner", core::WriteNpyBool(pdir + "/is_inner.npy", is_inner));
    if (feature_dim > 0) {
      put("features", core::WriteNpy(pdir + "/features.npy", sp.features.data(), {n, feature_dim}));
    }
    put("labels", core::WriteNpy(pdir + "/labels.npy", sp.labels));
    put("train_mask", core::WriteNpyBool(pdir + "/train_mask.npy", sp.train));
    put("val_mask", core::WriteNpyBool(pdir + "/val_mask.npy", sp.val));
    put("test_mask", core::WriteNpyBool(pdir + "/test_mask.npy", sp.test));
    meta.num_edges += info.num_local_edges;
    meta.parts.push_back(info);
    out.parts.push_back(std::move(sp));
  }
  const core::Status s = core::WritePartitionMeta(dir + "/partition.json", meta);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

}  // namespace halo::storage::testing
