// BSP (s = 0) is deterministic: W workers (threads) pulling, computing gradients from what they
// pulled, and pushing, over 2 shards with a sparse Adam table (placed by a partition book) and a
// dense Adagrad table, end exactly where a single process ends when it applies, at each step, the
// gradients of all workers summed, one update per row (to 1e-5). Also the server optimizers through
// the network, with duplicate IDs, against the naive reference.
#include <gtest/gtest.h>

#include <thread>

#include "core/random.h"
#include "tests/ps/ps_test_util.h"

namespace halo::ps {
namespace {

using testing::AllRows;
using testing::LocalCluster;
using testing::PullNow;
using testing::RefTable;

constexpr int kWorkers = 3;
constexpr int kSteps = 8;
constexpr int64_t kDim = 4;

TableSpec EmbSpec() {
  TableSpec spec;
  spec.name = "emb";
  spec.num_rows = 40;
  spec.dim = kDim;
  spec.init = {InitKind::kNormal, 0.0f, 0.5f, 21};
  spec.optimizer.kind = OptimizerKind::kAdam;
  spec.optimizer.lr = 0.01f;
  spec.staleness = 0;
  spec.routing = Routing::ByPartition(core::PartitionBook({0, 13, 27, 40}));  // 3 parts, 2 shards
  return spec;
}

TableSpec DenseSpec() {
  TableSpec spec;
  spec.name = "dense";
  spec.num_rows = 3;
  spec.dim = kDim;
  spec.init = {InitKind::kUniform, -0.5f, 0.5f, 22};
  spec.optimizer.kind = OptimizerKind::kAdagrad;
  spec.optimizer.lr = 0.05f;
  spec.optimizer.initial_accumulator = 0.1f;
  spec.staleness = 0;
  return spec;
}

// The embedding rows worker w uses at step t: overlapping across workers, with duplicates.
std::vector<int64_t> StepIds(int w, int t) {
  core::Rng rng(core::DeriveSeed(static_cast<uint64_t>(w * 1000 + t), 77));
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(static_cast<int64_t>(rng.Uniform(15)) * 2 + (i % 2));
  ids.push_back(ids[0]);
  return ids;
}

// Gradients from what was pulled: emb rows e (n x d) and the dense rows (3 x d).
void Grads(int w, const std::vector<float>& e, const std::vector<float>& dense,
           std::vector<float>* ge, std::vector<float>* gd) {
  const size_t n = e.size() / kDim;
  ge->assign(e.size(), 0.0f);
  gd->assign(dense.size(), 0.0f);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < kDim; ++j) {
      const float x = e[i * kDim + j];
      const float wj = dense[(i % 3) * kDim + j];
      (*ge)[i * kDim + j] = x * wj - 0.1f * static_cast<float>(w + 1) + 0.05f * x * x;
      (*gd)[(i % 3) * kDim + j] += x * 0.5f + 0.01f * static_cast<float>(j + 1);
    }
  }
}

TEST(BspTest, WorkersMatchTheSerialReference) {
  LocalCluster cluster(2, kWorkers);
  ASSERT_TRUE(cluster.ok());
  auto worker = [&](int w) {
    auto c = cluster.Connect(w);
    ASSERT_TRUE(c != nullptr);
    ASSERT_TRUE(c->CreateTable(EmbSpec()).ok());
    ASSERT_TRUE(c->CreateTable(DenseSpec()).ok());
    for (int t = 0; t < kSteps; ++t) {
      const std::vector<int64_t> ids = StepIds(w, t);
      std::vector<float> e, dense, ge, gd;
      const Client::Handle he = c->Pull("emb", ids, &e);
      const Client::Handle hd = c->Pull("dense", {0, 1, 2}, &dense);
      ASSERT_TRUE(c->Wait(he).ok());
      ASSERT_TRUE(c->Wait(hd).ok());
      Grads(w, e, dense, &ge, &gd);
      c->Push("emb", ids, ge);
      c->Push("dense", {0, 1, 2}, gd);
      ASSERT_TRUE(c->Clock().ok());
      // Every pull at clock t reflects exactly clock t.
      EXPECT_EQ(c->Staleness("emb").max_observed, 0);
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) threads.emplace_back(worker, w);
  for (std::thread& t : threads) t.join();

  // The single-process reference: at each step every worker reads the same state.
  RefTable emb(EmbSpec()), dense(DenseSpec());
  for (int t = 0; t < kSteps; ++t) {
    std::vector<int64_t> all_ids;
    std::vector<float> all_ge, all_gd;
    std::vector<float> d(3 * kDim);
    for (int64_t r = 0; r < 3; ++r) {
      for (int64_t j = 0; j < kDim; ++j)
        d[static_cast<size_t>(r * kDim + j)] = static_cast<float>(dense.value(r, j));
    }
    for (int w = 0; w < kWorkers; ++w) {
      const std::vector<int64_t> ids = StepIds(w, t);
      std::vector<float> e(ids.size() * kDim), ge, gd;
      for (size_t i = 0; i < ids.size(); ++i) {
        for (int64_t j = 0; j < kDim; ++j)
          e[i * kDim + static_cast<size_t>(j)] = static_cast<float>(emb.value(ids[i], j));
      }
      Grads(w, e, d, &ge, &gd);
      all_ids.insert(all_ids.end(), ids.begin(), ids.end());
      all_ge.insert(all_ge.end(), ge.begin(), ge.end());
      all_gd.insert(all_gd.end(), gd.begin(), gd.end());
    }
    emb.Apply(all_ids, all_ge);
    std::vector<int64_t> dense_ids;
    for (int w = 0; w < kWorkers; ++w) dense_ids.insert(dense_ids.end(), {0, 1, 2});
    dense.Apply(dense_ids, all_gd);
  }

  auto c = cluster.Connect(0);  // takes worker 0's clock: kSteps
  ASSERT_TRUE(c != nullptr);
  EXPECT_EQ(c->clock(), kSteps);
  ASSERT_TRUE(c->CreateTable(EmbSpec()).ok());
  ASSERT_TRUE(c->CreateTable(DenseSpec()).ok());
  const std::vector<float> got_emb = PullNow(*c, "emb", AllRows(40));
  const std::vector<float> got_dense = PullNow(*c, "dense", AllRows(3));
  int moved = 0;
  std::vector<float> init(kDim);
  for (int64_t r = 0; r < 40; ++r) {
    InitRow(EmbSpec().init, r, kDim, init.data());
    for (int64_t j = 0; j < kDim; ++j) {
      const float got = got_emb[static_cast<size_t>(r * kDim + j)];
      EXPECT_NEAR(got, emb.value(r, j), 1e-5) << "emb row " << r << " col " << j;
      moved += got != init[static_cast<size_t>(j)] ? 1 : 0;
    }
  }
  EXPECT_GT(moved, 40);  // the test exercises updates, not just initial values
  for (int64_t r = 0; r < 3; ++r) {
    for (int64_t j = 0; j < kDim; ++j) {
      EXPECT_NEAR(got_dense[static_cast<size_t>(r * kDim + j)], dense.value(r, j), 1e-5)
          << "dense row " << r;
    }
  }
}

// Server-side optimizers through the network (one worker, s = 1: every push applies at once),
// with duplicates spread over 3 shards, against the reference.
TEST(ServerOptimizerTest, PushesWithDuplicatesMatchTheReference) {
  LocalCluster cluster(3, 1);
  ASSERT_TRUE(cluster.ok());
  auto c = cluster.Connect(0);
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdagrad, OptimizerKind::kAdam}) {
    SCOPED_TRACE(OptimizerName(kind));
    TableSpec spec;
    spec.name = std::string("opt_") + OptimizerName(kind);
    spec.num_rows = 20;
    spec.dim = 6;
    spec.init = {InitKind::kUniform, -1, 1, 5};
    spec.optimizer.kind = kind;
    spec.optimizer.lr = 0.03f;
    spec.optimizer.weight_decay = 0.02f;
    spec.staleness = 1;
    ASSERT_TRUE(c->CreateTable(spec).ok());
    RefTable ref(spec);
    core::Rng rng(99);
    for (int step = 0; step < 25; ++step) {
      std::vector<int64_t> ids;
      std::vector<float> grads;
      for (uint64_t k = 1 + rng.Uniform(30); k > 0; --k) {
        ids.push_back(static_cast<int64_t>(rng.Uniform(10)));
        for (int j = 0; j < 6; ++j)
          grads.push_back(static_cast<float>(rng.UniformDouble() * 2 - 0.7));
      }
      ref.Apply(ids, grads);
      c->Push(spec.name, ids, grads);
      ASSERT_TRUE(c->Clock().ok());
    }
    const std::vector<float> got = PullNow(*c, spec.name, AllRows(20));
    for (int64_t r = 0; r < 20; ++r) {
      for (int64_t j = 0; j < 6; ++j) {
        EXPECT_NEAR(got[static_cast<size_t>(r * 6 + j)], ref.value(r, j), 1e-5) << "row " << r;
      }
    }
  }
}

}  // namespace
}  // namespace halo::ps
