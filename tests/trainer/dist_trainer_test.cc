// The distributed trainer against the single-process one, in one test process: ranks are
// threads, gradients go through real Gloo over loopback, the other parts' rows through real
// StoreServers. Full-batch GraphSAGE without dropout is deterministic, so two ranks on two parts
// must reach the parameters one process reaches on the whole graph. A run stopped after two
// epochs and resumed from its checkpoint must equal an uninterrupted run.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "net/coordinator.h"
#include "partition/pipeline.h"
#include "ps/server.h"
#include "storage/store_server.h"
#include "tests/test_util.h"
#include "trainer/checkpoint.h"
#include "trainer/trainer.h"

namespace halo::trainer {
namespace {

std::string PartitionCora(const std::string& dir, int parts) {
  partition::PartitionOptions opt;
  opt.num_parts = parts;
  opt.halo_hops = 2;  // exact 2-layer full-graph forward on each part
  opt.balance = {"nodes", "train"};
  opt.output = dir;
  auto report =
      partition::RunPartition(halo::testing::DataPath("cora/planetoid_txt"), "planetoid-txt", opt);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return dir;
}

TrainConfig BaseConfig(const std::string& partition_dir, const std::string& out) {
  TrainConfig c;
  c.dataset.partition_dir = partition_dir;
  c.model.type = "sage";
  c.model.hidden = 16;
  c.model.dropout = 0.0f;
  c.train.mode = "full";
  c.train.epochs = 5;
  c.train.lr = 0.01f;
  c.train.eval_every = 1;
  c.output_dir = out;
  return c;
}

// Final parameters of a run, read back from its last checkpoint.
std::vector<std::vector<float>> FinalParameters(const TrainConfig& config) {
  auto latest = FindLatestCheckpoint(config.output_dir);
  EXPECT_TRUE(latest.ok() && latest->has_value());
  auto model = Model::Create(config.model, 1433, 7, core::Device::kCpu, 123);
  EXPECT_TRUE(model.ok());
  EXPECT_TRUE(LoadCheckpoint(**latest, model.value()->parameters(), nullptr).ok());
  std::vector<std::vector<float>> out;
  for (Parameter* p : model.value()->parameters()) out.push_back(p->value.ToVector());
  return out;
}

double MaxDifference(const std::vector<std::vector<float>>& a,
                     const std::vector<std::vector<float>>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    EXPECT_EQ(a[i].size(), b[i].size());
    for (size_t j = 0; j < a[i].size() && j < b[i].size(); ++j) {
      worst = std::max(worst, std::fabs(double{a[i][j]} - b[i][j]));
    }
  }
  return worst;
}

// Runs `configs.size()` ranks as threads against in-process stores (one per part of
// `partition_dir`) and a coordinator; `ps_endpoints` are passed through. Fails the test on error.
std::vector<TrainResult> RunRanks(const std::vector<TrainConfig>& configs,
                                  const std::string& partition_dir, int parts,
                                  const std::vector<std::string>& ps_endpoints = {}) {
  net::CoordinatorServer coordinator;
  EXPECT_TRUE(coordinator.Start("tcp://127.0.0.1:0").ok());
  std::vector<std::unique_ptr<storage::StoreServer>> stores;
  std::vector<std::string> endpoints;
  for (int p = 0; p < parts; ++p) {
    auto s = storage::StoreServer::Open(partition_dir, p);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return {};
    EXPECT_TRUE(s.value()->Start("tcp://127.0.0.1:0").ok());
    endpoints.push_back(s.value()->endpoint());
    stores.push_back(std::move(s).value());
  }
  const int world = static_cast<int>(configs.size());
  std::vector<core::Result<TrainResult>> results(configs.size(), core::Status::Internal("not run"));
  std::vector<std::thread> ranks;
  for (int r = 0; r < world; ++r) {
    ranks.emplace_back([&, r] {
      DistOptions d;
      d.rank = r;
      d.world_size = world;
      d.coordinator = coordinator.endpoint();
      d.store_endpoints = endpoints;
      d.ps_endpoints = ps_endpoints;
      auto t = Trainer::Create(configs[static_cast<size_t>(r)], d);
      if (!t.ok()) {
        results[static_cast<size_t>(r)] = t.status();
        return;
      }
      results[static_cast<size_t>(r)] = t.value()->Run();
    });
  }
  for (auto& t : ranks) t.join();
  std::vector<TrainResult> out;
  for (int r = 0; r < world; ++r) {
    EXPECT_TRUE(results[static_cast<size_t>(r)].ok())
        << "rank " << r << ": " << results[static_cast<size_t>(r)].status().ToString();
    if (results[static_cast<size_t>(r)].ok()) out.push_back(*results[static_cast<size_t>(r)]);
  }
  return out;
}

TEST(DistTrainerTest, TwoRanksOnTwoPartsEqualOneProcessOnTheWholeGraph) {
  halo::testing::TempDir dir;
  const std::string one = PartitionCora(dir.File("cora-1"), 1);
  const std::string two = PartitionCora(dir.File("cora-2"), 2);

  const TrainConfig solo_config = BaseConfig(one, dir.File("solo"));
  auto solo = Trainer::Create(solo_config);
  ASSERT_TRUE(solo.ok()) << solo.status().ToString();
  auto solo_result = solo.value()->Run();
  ASSERT_TRUE(solo_result.ok()) << solo_result.status().ToString();

  const TrainConfig dist_base = BaseConfig(two, dir.File("dist"));
  std::vector<TrainConfig> configs(2, dist_base);
  configs[1].dataset.part = 1;
  const std::vector<TrainResult> results = RunRanks(configs, two, 2);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_LE(MaxDifference(FinalParameters(solo_config), FinalParameters(dist_base)), 1e-4);
  // Every rank reports the global accuracy, equal to the single process's.
  EXPECT_NEAR(results[0].final_test_acc, solo_result->final_test_acc, 2e-3);
  EXPECT_EQ(results[0].final_test_acc, results[1].final_test_acc);
  EXPECT_NEAR(results[0].final_loss, solo_result->final_loss, 1e-4);
}

// Dense parameters on the parameter server under BSP (sync.mode ps, s = 0) follow the same path as
// all-reduced gradients: the server sums a clock's pushes and applies one SGD update, as each rank
// does locally after the all-reduce.
TEST(DistTrainerTest, PsModeWithZeroStalenessEqualsAllReduce) {
  halo::testing::TempDir dir;
  const std::string two = PartitionCora(dir.File("cora-2"), 2);
  TrainConfig base = BaseConfig(two, "");
  base.train.mode = "sampled";
  base.train.fanouts = {5, 5};
  base.train.batch_size = 32;
  base.train.optimizer = "sgd";
  base.train.momentum = 0.0f;
  base.train.weight_decay = 0.0f;
  base.train.lr = 0.5f;
  base.train.epochs = 3;
  auto configs_for = [&](const std::string& out, const std::string& mode) {
    std::vector<TrainConfig> c(2, base);
    for (int r = 0; r < 2; ++r) {
      c[static_cast<size_t>(r)].dataset.part = r;
      c[static_cast<size_t>(r)].output_dir = out;
      c[static_cast<size_t>(r)].sync.mode = mode;
    }
    return c;
  };
  const auto allreduce = configs_for(dir.File("allreduce"), "allreduce");
  ASSERT_EQ(RunRanks(allreduce, two, 2).size(), 2u);

  std::vector<std::unique_ptr<ps::ShardServer>> shards;
  std::vector<std::string> ps_endpoints;
  for (int s = 0; s < 2; ++s) {
    ps::ShardServerOptions o;
    o.shard.shard = s;
    o.shard.num_shards = 2;
    o.shard.num_workers = 2;
    o.shard.snapshot_dir = dir.File("snapshots");
    o.num_threads = 4;
    auto shard = ps::ShardServer::Create(o, /*restore=*/false);
    ASSERT_TRUE(shard.ok()) << shard.status().ToString();
    ASSERT_TRUE(shard.value()->Start("tcp://127.0.0.1:0").ok());
    ps_endpoints.push_back(shard.value()->endpoint());
    shards.push_back(std::move(shard).value());
  }
  const auto ps_mode = configs_for(dir.File("ps"), "ps");
  const std::vector<TrainResult> ps_results = RunRanks(ps_mode, two, 2, ps_endpoints);
  ASSERT_EQ(ps_results.size(), 2u);
  EXPECT_EQ(ps_results[0].sync_mode, "ps");
  EXPECT_NE(ps_results[0].staleness_json.find("dense/layer0"), std::string::npos);
  EXPECT_LE(MaxDifference(FinalParameters(allreduce[0]), FinalParameters(ps_mode[0])), 1e-5);
}

TEST(DistTrainerTest, ResumedRunEqualsUninterruptedRun) {
  halo::testing::TempDir dir;
  const std::string one = PartitionCora(dir.File("cora-1"), 1);
  TrainConfig full = BaseConfig(one, dir.File("full"));
  full.train.mode = "sampled";
  full.train.fanouts = {5, 5};
  full.train.batch_size = 32;  // several steps per epoch
  full.model.dropout = 0.5f;   // exercises the step-seeded dropout masks
  full.train.epochs = 4;
  auto a = Trainer::Create(full);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a.value()->Run().ok());

  TrainConfig part = full;
  part.output_dir = dir.File("resumed");
  part.train.epochs = 2;
  auto b = Trainer::Create(part);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(b.value()->Run().ok());
  part.train.epochs = 4;
  DistOptions resume;
  resume.resume = true;
  auto c = Trainer::Create(part, resume);
  ASSERT_TRUE(c.ok());
  auto result = c.value()->Run();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->resumed_from_epoch, 2);
  EXPECT_EQ(result->epoch_seconds.size(), 2u);  // only epochs 2 and 3 ran here
  EXPECT_LE(MaxDifference(FinalParameters(full), FinalParameters(part)), 1e-6);
}

}  // namespace
}  // namespace halo::trainer
