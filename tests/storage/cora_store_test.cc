// End to end on the bundled Cora: partition it (2 parts, 1 halo hop), bulk-load each part's store
// from its .npy files, and check the stores and the graph stores against those files.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "partition/part_files.h"
#include "partition/pipeline.h"
#include "storage/feature_store.h"
#include "storage/graph_store.h"
#include "storage/part_store_writer.h"
#include "storage/verify.h"
#include "tests/test_util.h"

namespace halo::storage {
namespace {

TEST(CoraStore, PartitionThenStoreEveryRow) {
  halo::testing::TempDir tmp;
  partition::PartitionOptions opt;
  opt.num_parts = 2;
  opt.halo_hops = 1;
  opt.output = tmp.File("cora-2parts");
  auto report =
      partition::RunPartition(halo::testing::DataPath("cora/planetoid_txt"), "planetoid-txt", opt);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const core::PartitionMeta& meta = report->meta;
  ASSERT_EQ(meta.num_parts, 2);
  ASSERT_EQ(meta.num_nodes, 2708);
  ASSERT_EQ(meta.feature_dim, 1433);

  for (const core::PartInfo& info : meta.parts) {
    SCOPED_TRACE("part " + std::to_string(info.id));
    auto local = partition::ReadPartFiles(opt.output, info);
    ASSERT_TRUE(local.ok()) << local.status().ToString();
    const partition::LocalPart& lp = local.value();
    // What the partition writer will call for each part.
    PartStoreData data;
    data.node_begin = info.node_begin;
    data.num_rows = lp.num_inner;
    data.feature_dim = lp.feature_dim;
    data.features = lp.features.empty() ? nullptr : lp.features.data();
    data.labels = lp.labels.empty() ? nullptr : lp.labels.data();
    data.train_mask = lp.train_mask.empty() ? nullptr : lp.train_mask.data();
    data.val_mask = lp.val_mask.empty() ? nullptr : lp.val_mask.data();
    data.test_mask = lp.test_mask.empty() ? nullptr : lp.test_mask.data();
    const std::string db = tmp.File("store" + std::to_string(info.id));
    core::Status w = WritePartStore(db, data);
    ASSERT_TRUE(w.ok()) << w.ToString();
    VerifyReport vr;
    core::Status v = VerifyPart(opt.output, info.id, db, &vr);
    ASSERT_TRUE(v.ok()) << v.ToString();
    EXPECT_EQ(vr.rows_checked, 3 * lp.num_inner);

    std::vector<int64_t> ids(static_cast<size_t>(lp.num_inner));
    std::iota(ids.begin(), ids.end(), info.node_begin);
    const size_t dim = static_cast<size_t>(lp.feature_dim);
    auto graph = GraphStore::Open(opt.output, info.id);
    ASSERT_TRUE(graph.ok()) << graph.status().ToString();
    for (double budget : {1024.0, 1.0, 0.0}) {  // all hot, ~20% hot, none hot
      SCOPED_TRACE("budget " + std::to_string(budget));
      FeatureStoreOptions fo;
      fo.mem_budget_mb = budget;
      fo.in_degree = (*graph)->InnerInDegrees();
      auto store = FeatureStore::Open(db, fo);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      std::vector<float> x(ids.size() * dim);
      ASSERT_TRUE((*store)->GetFeatures(ids.data(), ids.size(), x.data()).ok());
      ASSERT_EQ(std::memcmp(x.data(), lp.features.data(), x.size() * sizeof(float)), 0);
      std::vector<int64_t> y(ids.size());
      ASSERT_TRUE((*store)->GetLabels(ids.data(), ids.size(), y.data()).ok());
      EXPECT_EQ(y, lp.labels);
      std::vector<uint8_t> m(ids.size() * 3);
      ASSERT_TRUE((*store)->GetMasks(ids.data(), ids.size(), m.data()).ok());
      for (size_t i = 0; i < ids.size(); ++i) {
        ASSERT_EQ(m[3 * i], lp.train_mask[i]);
        ASSERT_EQ(m[3 * i + 1], lp.val_mask[i]);
        ASSERT_EQ(m[3 * i + 2], lp.test_mask[i]);
      }
      const FeatureStoreStats st = (*store)->Stats();
      if (budget == 1.0) {
        EXPECT_GT(st.hits, 0);
        EXPECT_GT(st.misses, 0);
      }
    }

    // The graph store agrees with the part files.
    const GraphStore& g = *graph.value();
    EXPECT_EQ(g.num_inner(), lp.num_inner);
    EXPECT_EQ(g.local_to_global(), lp.local_to_global);
    EXPECT_EQ(g.in_csr().indptr, lp.in_csr.indptr);
    EXPECT_EQ(g.in_csr().indices, lp.in_csr.indices);
    std::vector<core::NodeId> nbrs;
    for (int64_t r = 0; r < lp.num_inner; r += 97) {
      ASSERT_TRUE(g.InNeighbors(info.node_begin + r, &nbrs).ok());
      ASSERT_EQ(static_cast<int64_t>(nbrs.size()), lp.in_csr.degree(r));
      for (size_t k = 0; k < nbrs.size(); ++k) {
        EXPECT_EQ(nbrs[k], lp.local_to_global[static_cast<size_t>(
                               lp.in_csr.indices[static_cast<size_t>(lp.in_csr.indptr[r]) + k])]);
      }
    }
    SampledNeighbors s;
    ASSERT_TRUE(g.SampleInNeighbors(ids.data(), ids.size(), 10, false, 1, &s).ok());
    int64_t expected = 0;
    for (int64_t r = 0; r < lp.num_inner; ++r)
      expected += std::min<int64_t>(10, lp.in_csr.degree(r));
    EXPECT_EQ(static_cast<int64_t>(s.neighbors.size()), expected);
  }
}

}  // namespace
}  // namespace halo::storage
