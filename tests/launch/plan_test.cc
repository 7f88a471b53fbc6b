// The process plan: trainer -> part assignment, part ranks, validation against the partition,
// and the command lines of stores and trainers.
#include "launch/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "ps/snapshot.h"
#include "tests/test_util.h"

namespace halo::launch {
namespace {

using ::testing::HasSubstr;

HostConfig Host(const std::string& name, std::vector<int> stores, int trainers) {
  HostConfig h;
  h.name = name;
  h.stores = std::move(stores);
  h.trainers = trainers;
  return h;
}

LaunchConfig Config(std::vector<HostConfig> hosts) {
  LaunchConfig c;
  c.config_path = "cluster.yaml";
  c.partition_dir = "/data/p";
  c.output_dir = "/runs/r";
  c.store_binary = "/bin/halo-store";
  c.trainer_binary = "/bin/halo-train";
  c.ps_binary = "/bin/halo-ps";
  c.ps.snapshot_dir = "/runs/r/ps-snapshots";
  c.hosts = std::move(hosts);
  c.coordinator_host = c.hosts.front().name;
  return c;
}

// Checks the part ranks against a count of the trainers of each part, in rank order.
void ExpectConsistentPartRanks(const LaunchPlan& plan) {
  std::map<int, int> seen, total;
  for (const ProcessSpec& t : plan.trainers) ++total[t.part];
  for (size_t r = 0; r < plan.trainers.size(); ++r) {
    const ProcessSpec& t = plan.trainers[r];
    EXPECT_EQ(t.rank, static_cast<int>(r));
    EXPECT_EQ(t.part_rank, seen[t.part]++) << "rank " << r;
    EXPECT_EQ(t.part_trainers, total[t.part]) << "rank " << r;
  }
}

TEST(PlanTest, TrainersCycleOverTheirHostsStores) {
  // a serves 0 and 1 with 3 trainers; b serves 2 with 1; c has no stores and 4 trainers.
  auto plan = BuildPlan(Config({Host("a", {1, 0}, 3), Host("b", {2}, 1), Host("c", {}, 4)}), 3);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->world_size, 8);
  EXPECT_EQ(plan->num_parts, 3);
  std::vector<int> parts, hosts;
  for (const ProcessSpec& t : plan->trainers) {
    parts.push_back(t.part);
    hosts.push_back(t.host);
  }
  EXPECT_EQ(parts, (std::vector<int>{1, 0, 1, 2, 0, 1, 2, 0}));
  EXPECT_EQ(hosts, (std::vector<int>{0, 0, 0, 1, 2, 2, 2, 2}));
  ExpectConsistentPartRanks(plan.value());
  // Part 1: ranks 0, 2 (host a) and 5 (host c).
  EXPECT_EQ(plan->trainers[5].part_rank, 2);
  EXPECT_EQ(plan->trainers[5].part_trainers, 3);
  // Stores in part order, each on its host.
  ASSERT_EQ(plan->stores.size(), 3u);
  EXPECT_EQ(plan->stores[0].host_name, "a");
  EXPECT_EQ(plan->stores[1].host_name, "a");
  EXPECT_EQ(plan->stores[2].host_name, "b");
  for (int p = 0; p < 3; ++p) EXPECT_EQ(plan->stores[static_cast<size_t>(p)].part, p);
  EXPECT_EQ(plan->coordinator_bind, "tcp://127.0.0.1:0");
}

TEST(PlanTest, LabelsAndDescriptions) {
  auto plan = BuildPlan(Config({Host("a", {0}, 1), Host("b", {1}, 1)}), 2);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->stores[1].Label(), "b/store1");
  EXPECT_EQ(plan->stores[1].Describe(), "store of part 1 (host b)");
  EXPECT_EQ(plan->trainers[1].Label(), "b/rank1");
  EXPECT_EQ(plan->trainers[1].Describe(), "rank 1 (host b, part 1)");
}

TEST(PlanTest, GpusAndCoordinatorAddress) {
  LaunchConfig c = Config({Host("a", {0}, 2), Host("b", {1}, 1)});
  c.hosts[0].gpus = {3, 5};
  c.hosts[1].address = "10.0.0.2";
  c.coordinator_host = "b";
  c.coordinator_port = 7100;
  auto plan = BuildPlan(c, 2);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->trainers[0].cuda_device, 3);
  EXPECT_EQ(plan->trainers[1].cuda_device, 5);
  EXPECT_EQ(plan->trainers[2].cuda_device, -1);
  EXPECT_EQ(plan->coordinator_bind, "tcp://10.0.0.2:7100");
  c.coordinator_host.clear();
  c.coordinator_address = "192.168.1.1";
  EXPECT_EQ(BuildPlan(c, 2)->coordinator_bind, "tcp://192.168.1.1:7100");
}

TEST(PlanTest, ValidationErrors) {
  struct Case {
    std::vector<HostConfig> hosts;
    int num_parts;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{Host("a", {0, 2}, 2)}, 2, "host a serves part 2, but /data/p has parts 0..1"},
      {{Host("a", {0, -1}, 2)}, 2, "host a serves part -1"},
      {{Host("a", {0, 1}, 1), Host("b", {1}, 1)}, 2, "part 1 is served twice (host a and host b)"},
      {{Host("a", {0}, 1)}, 2, "part 1 of 2 has no store"},
      {{Host("a", {0, 1}, 1)}, 2, "part 1 has no trainer"},
      {{Host("a", {0}, 0), Host("b", {1}, 0)}, 2, "no trainers"},
      {{Host("a", {0, 0}, 2)}, 1, "part 0 is served twice (host a and host a)"},
  };
  for (const Case& c : cases) {
    auto plan = BuildPlan(Config(c.hosts), c.num_parts);
    ASSERT_FALSE(plan.ok()) << c.expected;
    EXPECT_THAT(plan.status().message(), HasSubstr(c.expected));
    EXPECT_EQ(plan.status().code(), core::StatusCode::kInvalidArgument);
  }
  // A host without stores makes up for the missing trainer.
  EXPECT_TRUE(BuildPlan(Config({Host("a", {0, 1}, 1), Host("c", {}, 2)}), 2).ok());
}

TEST(PlanTest, ErrorsNameTheConfigLine) {
  LaunchConfig c = Config({Host("a", {0, 5}, 1)});
  c.origin["hosts.0.stores"] = "cluster.yaml:6";
  auto plan = BuildPlan(c, 2);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(),
              ::testing::StartsWith("cluster.yaml:6: host a serves part 5"));
}

TEST(PlanTest, StoreCommand) {
  LaunchConfig c = Config({Host("a", {0}, 1), Host("b", {1}, 1)});
  c.hosts[1].address = "10.0.0.2";
  c.store.mem_budget_mb = 512.5;
  c.store.threads = 3;
  auto plan = BuildPlan(c, 2);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(StoreCommand(c, plan->stores[1]),
            (std::vector<std::string>{"/bin/halo-store", "--partition_dir=/data/p", "--part=1",
                                      "--bind=tcp://10.0.0.2:0", "--mem_budget_mb=512.5",
                                      "--threads=3"}));
}

TEST(PlanTest, TrainerCommandHasTheContractFlags) {
  LaunchConfig c = Config({Host("a", {0}, 1), Host("b", {1}, 2)});
  c.hosts[1].address = "10.0.0.2";
  c.hosts[1].gpus = {0, 1};
  auto plan = BuildPlan(c, 2);
  ASSERT_TRUE(plan.ok());
  const std::vector<std::string> endpoints = {"tcp://127.0.0.1:7000", "tcp://10.0.0.2:7001"};
  EXPECT_EQ(
      TrainerCommand(c, plan.value(), plan->trainers[2], "tcp://127.0.0.1:6000", endpoints, true),
      (std::vector<std::string>{"/bin/halo-train", "--config=/runs/r/train.yaml",
                                "--output_dir=/runs/r", "--partition_dir=/data/p", "--rank=2",
                                "--world_size=3", "--coordinator=tcp://127.0.0.1:6000", "--host=b",
                                "--host_address=10.0.0.2", "--part=1", "--part_rank=1",
                                "--part_trainers=2",
                                "--store_endpoints=tcp://127.0.0.1:7000,tcp://10.0.0.2:7001",
                                "--resume", "--cuda_device=1"}));
  const auto rank0 =
      TrainerCommand(c, plan.value(), plan->trainers[0], "tcp://127.0.0.1:6000", endpoints, false);
  EXPECT_EQ(rank0.size(), 13u);  // no --resume, no --cuda_device
  EXPECT_EQ(rank0[4], "--rank=0");
}

TEST(PlanTest, NoPsShardsByDefault) {
  LaunchConfig c = Config({Host("a", {0}, 1), Host("b", {1}, 1)});
  auto plan = BuildPlan(c, 2);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->ps_shards.empty());
  for (const std::string& arg :
       TrainerCommand(c, plan.value(), plan->trainers[0], "tcp://x:1", {"e0", "e1"}, false)) {
    EXPECT_THAT(arg, ::testing::Not(HasSubstr("--ps_endpoints")));
  }
}

TEST(PlanTest, PsShardsCycleOverTheHostsInConfigOrder) {
  LaunchConfig c = Config({Host("a", {0}, 2), Host("b", {1}, 1), Host("c", {}, 1)});
  c.ps.shards = 5;
  auto plan = BuildPlan(c, 2);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->ps_shards.size(), 5u);
  std::vector<std::string> hosts;
  for (size_t s = 0; s < plan->ps_shards.size(); ++s) {
    const ProcessSpec& p = plan->ps_shards[s];
    EXPECT_EQ(p.role, Role::kPs);
    EXPECT_EQ(p.shard, static_cast<int>(s));
    EXPECT_EQ(c.hosts[static_cast<size_t>(p.host)].name, p.host_name);
    hosts.push_back(p.host_name);
  }
  EXPECT_EQ(hosts, (std::vector<std::string>{"a", "b", "c", "a", "b"}));
  EXPECT_EQ(plan->ps_shards[4].Label(), "b/ps4");
  EXPECT_EQ(plan->ps_shards[4].Describe(), "ps shard 4 (host b)");
  EXPECT_EQ(plan->world_size, 4);  // shards are not ranks
}

TEST(PlanTest, PsShardsOnTheListedHosts) {
  LaunchConfig c = Config({Host("a", {0}, 1), Host("b", {1}, 1), Host("c", {}, 1)});
  c.ps.shards = 3;
  c.ps.hosts = {"c", "a"};
  auto plan = BuildPlan(c, 2);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::vector<int> hosts;
  for (const ProcessSpec& p : plan->ps_shards) hosts.push_back(p.host);
  EXPECT_EQ(hosts, (std::vector<int>{2, 0, 2}));

  c.ps.hosts = {"a", "nope"};
  c.origin["ps.hosts"] = "cluster.yaml:9";
  auto bad = BuildPlan(c, 2);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "cluster.yaml:9: ps shard 1 is placed on host 'nope', which is not one of the hosts");
}

TEST(PlanTest, PsCommand) {
  LaunchConfig c = Config({Host("a", {0}, 2), Host("b", {1}, 1)});
  c.hosts[1].address = "10.0.0.2";
  c.ps.shards = 2;
  c.ps.threads = 5;
  auto plan = BuildPlan(c, 2);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(PsCommand(c, plan.value(), plan->ps_shards[1], false),
            (std::vector<std::string>{"/bin/halo-ps", "--shard=1", "--num_shards=2",
                                      "--num_workers=3", "--bind=tcp://10.0.0.2:0", "--threads=5",
                                      "--snapshot_dir=/runs/r/ps-snapshots"}));
  const auto restore = PsCommand(c, plan.value(), plan->ps_shards[0], true);
  EXPECT_EQ(restore.back(), "--restore");
  EXPECT_EQ(restore[4], "--bind=tcp://127.0.0.1:0");
}

TEST(PlanTest, TrainerCommandHasThePsEndpointsInShardOrder) {
  LaunchConfig c = Config({Host("a", {0}, 1), Host("b", {1}, 1)});
  c.ps.shards = 2;
  auto plan = BuildPlan(c, 2);
  ASSERT_TRUE(plan.ok());
  const auto argv = TrainerCommand(c, plan.value(), plan->trainers[1], "@coordinator@",
                                   {"@store:0@", "@store:1@"}, true, {"@ps:0@", "@ps:1@"});
  ASSERT_EQ(argv.size(), 15u);
  EXPECT_EQ(argv[12], "--store_endpoints=@store:0@,@store:1@");
  EXPECT_EQ(argv[13], "--ps_endpoints=@ps:0@,@ps:1@");
  EXPECT_EQ(argv[14], "--resume");
}

TEST(PlanTest, PsRestoreOnlyWithResumeAndACompleteSnapshot) {
  testing::TempDir dir;
  LaunchConfig c = Config({Host("a", {0}, 1)});
  c.ps.snapshot_dir = dir.File("snaps");
  EXPECT_FALSE(PsRestore(c, true));  // no directory
  ps::ShardSnapshot snap;
  snap.num_shards = 2;
  snap.num_workers = 1;
  snap.clock = 3;
  snap.clocks = {3};
  ASSERT_TRUE(ps::WriteShardSnapshot(ps::ShardSnapshotPath(c.ps.snapshot_dir, 3, 0, 2), snap).ok());
  EXPECT_FALSE(PsRestore(c, true));  // shard 1's file is missing: incomplete
  snap.shard = 1;
  ASSERT_TRUE(ps::WriteShardSnapshot(ps::ShardSnapshotPath(c.ps.snapshot_dir, 3, 1, 2), snap).ok());
  EXPECT_TRUE(PsRestore(c, true));
  EXPECT_FALSE(PsRestore(c, false));  // only with --resume
}

}  // namespace
}  // namespace halo::launch
