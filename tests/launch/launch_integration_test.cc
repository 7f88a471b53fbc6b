// halo-launch end to end with real processes on loopback: real halo-store processes serving a
// Cora partition, real halo-ps shards, and fake_trainer (tests/launch/fake_trainer.cc) in place
// of halo-train, speaking the launcher contract. Every test checks that no process it started is
// left behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ps/snapshot.h"
#include "tests/integration/cora_cluster.h"
#include "tests/launch/launch_harness.h"
#include "tests/test_util.h"

namespace halo::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using launch::kStderr;
using launch::kStdout;

constexpr std::chrono::seconds kRunTimeout{120};

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  if (!in.good()) return nullptr;
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// The line of `text` that contains every one of `parts`, or "".
std::string FindLine(const std::string& text, const std::vector<std::string>& parts) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    bool all = true;
    for (const std::string& p : parts) all = all && line.find(p) != std::string::npos;
    if (all) return line;
  }
  return "";
}

// The endpoint of "<label> halo-ps: shard S serving on <endpoint>" in halo-launch's stdout.
std::string PsEndpoint(const std::string& out, const std::string& label, int shard) {
  const std::string marker =
      "[" + label + "] halo-ps: shard " + std::to_string(shard) + " serving on ";
  const std::string line = FindLine(out, {marker});
  return line.empty() ? "" : line.substr(line.find(marker) + marker.size());
}

// The pid halo-launch logged for the process labelled `label` ("started ... [a/ps0]: pid N").
pid_t StartedPid(const std::string& err, const std::string& label) {
  const std::string line = FindLine(err, {"halo-launch] started ", "[" + label + "]: pid "});
  return line.empty() ? -1 : static_cast<pid_t>(std::stol(line.substr(line.rfind(' ') + 1)));
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

LaunchHost Host(const std::string& name, std::vector<int> stores, int trainers) {
  LaunchHost h;
  h.name = name;
  h.stores = std::move(stores);
  h.trainers = trainers;
  return h;
}

class LaunchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new TempDir();
    partition_ = new std::string(temp_->File("cora-2parts"));
    PartitionCora(*partition_, 2);
  }
  static void TearDownTestSuite() {
    delete temp_;
    delete partition_;
    temp_ = nullptr;
    partition_ = nullptr;
  }

  // Two hosts on loopback, one store each: a (local, part 0, `a_trainers`) and b (through a
  // prefix template, part 1, one trainer). Fake trainers; short timeouts.
  LaunchSpec Spec(int a_trainers = 1) {
    LaunchSpec spec;
    spec.partition_dir = *partition_;
    spec.output_dir = dir_.File("run");
    spec.trainer_binary = BinDir() + "/fake_trainer";
    LaunchHost a = Host("a", {0}, a_trainers);
    LaunchHost b = Host("b", {1}, 1);
    b.exec = "prefix";
    b.prefix = "env HALO_FAKE_PREFIX={host}@{address}";
    spec.hosts = {a, b};
    spec.heartbeat_s = 10;
    spec.rendezvous_s = 30;
    spec.shutdown_s = 5;
    return spec;
  }

  std::vector<std::string> Args(const LaunchSpec& spec, std::vector<std::string> extra = {}) {
    const std::string path = dir_.File("cluster.yaml");
    WriteTextFile(path, LaunchConfigYaml(spec));
    std::vector<std::string> args = {"--config=" + path};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Every process halo-launch said it started is gone.
  void ExpectNothingLeft(const LaunchProcess& launch, size_t expected_processes) {
    const std::vector<pid_t> pids = launch.StartedPids();
    EXPECT_EQ(pids.size(), expected_processes) << launch.err();
    for (pid_t pid : pids) EXPECT_FALSE(ProcessAlive(pid)) << "pid " << pid << " still runs";
  }

  static TempDir* temp_;
  static std::string* partition_;  // Cora in 2 parts, made once per test binary run
  TempDir dir_;
};

TempDir* LaunchTest::temp_ = nullptr;
std::string* LaunchTest::partition_ = nullptr;

TEST_F(LaunchTest, DryRunPrintsThePlanAndStartsNothing) {
  LaunchSpec spec = Spec(2);
  LaunchProcess launch(Args(spec, {"--dry_run", "--resume"}));
  ASSERT_EQ(launch.Wait(kRunTimeout), 0) << launch.err();
  const std::string& out = launch.out();
  EXPECT_THAT(out, HasSubstr("2 parts; 3 trainers on 2 host(s)"));
  EXPECT_THAT(out, HasSubstr("[a/store0] store of part 0 (host a)"));
  EXPECT_THAT(out, HasSubstr("[b/store1] store of part 1 (host b)"));
  EXPECT_THAT(out, HasSubstr("[a/rank1] rank 1 (host a, part 0), trainer 1 of 2 of its part"));
  EXPECT_THAT(out, HasSubstr("[b/rank2] rank 2 (host b, part 1), trainer 0 of 1 of its part"));
  EXPECT_THAT(out, HasSubstr("env HALO_FAKE_PREFIX=b@127.0.0.1 " + BinDir() +
                             "/halo-store --partition_dir=" + *partition_ +
                             " --part=1 --bind=tcp://127.0.0.1:0"));
  EXPECT_THAT(out, HasSubstr("--rank=2 --world_size=3 --coordinator=@coordinator@ --host=b"));
  EXPECT_THAT(out, HasSubstr("--store_endpoints=@store:0@,@store:1@ --resume"));
  EXPECT_FALSE(std::filesystem::exists(spec.output_dir));
  EXPECT_TRUE(launch.StartedPids().empty());
}

TEST_F(LaunchTest, ConfigErrorsNameTheKeyAndLine) {
  LaunchSpec spec = Spec();
  LaunchProcess launch(Args(spec, {"--set=hosts.b.trainers=two"}));
  EXPECT_EQ(launch.Wait(kRunTimeout), 1);
  EXPECT_THAT(launch.err(), HasSubstr("halo-launch: error: --set 'hosts.b.trainers=two': bad value "
                                      "'two' for 'hosts.1.trainers'"));
  WriteTextFile(dir_.File("bad.yaml"), "partition_dir: x\nhosts:\n  - name: a\n    trainer: 1\n");
  LaunchProcess bad({"--config=" + dir_.File("bad.yaml")});
  EXPECT_EQ(bad.Wait(kRunTimeout), 1);
  EXPECT_THAT(bad.err(), HasSubstr("bad.yaml:4: unknown key 'hosts.0.trainer'"));
}

// The whole contract: stores come up, trainers get their flags and reach both stores, progress
// and results are collected, result.json is written, stores are stopped, exit 0.
TEST_F(LaunchTest, SuccessWritesResultsAndStopsEverything) {
  LaunchSpec spec = Spec(2);
  spec.train_yaml = "{model: {hidden: 8}, fake: {epochs: 3, epoch_ms: 10}}";
  LaunchProcess launch(Args(spec, {"--set=train.model.hidden=16"}));
  ASSERT_EQ(launch.Wait(kRunTimeout), 0) << launch.out() << launch.err();
  ExpectNothingLeft(launch, 5);

  // Output is multiplexed with prefixes; rank 0's progress shows as plain lines (not a TTY).
  EXPECT_THAT(launch.out(), HasSubstr("[a/store0] halo-store: part 0 serving on tcp://127.0.0.1:"));
  EXPECT_THAT(launch.out(), HasSubstr("[b/store1] halo-store: part 1 serving on tcp://127.0.0.1:"));
  EXPECT_THAT(launch.out(), HasSubstr("[b/rank2] fake_trainer: rank 2 running"));
  EXPECT_THAT(launch.out(), HasSubstr("[progress] epoch 3/3 | loss 0.3333"));
  EXPECT_THAT(launch.out(), HasSubstr("[a/rank1] halo-result {"));
  EXPECT_THAT(launch.out(), ::testing::Not(HasSubstr("halo-progress")));

  const nlohmann::json result = ReadJson(spec.output_dir + "/result.json");
  ASSERT_TRUE(result.is_object());
  EXPECT_EQ(result["status"], "ok");
  EXPECT_EQ(result["world_size"], 3);
  EXPECT_EQ(result["test_acc"], 0.8);             // rank 0's
  EXPECT_EQ(result["seeds_per_second"], 1000.0);  // rank 0's (halo-train's is the run's)
  EXPECT_EQ(result["epoch_seconds"].size(), 3u);
  EXPECT_GT(result["wall_seconds"].get<double>(), 0);
  ASSERT_EQ(result["ranks"].size(), 3u);

  // What each trainer was given (its flags.json), against the plan.
  std::vector<std::string> endpoints;
  for (int r = 0; r < 3; ++r) {
    const nlohmann::json flags =
        ReadJson(spec.output_dir + "/rank" + std::to_string(r) + "/flags.json");
    ASSERT_TRUE(flags.is_object()) << "rank " << r;
    EXPECT_EQ(flags["rank"], r);
    EXPECT_EQ(flags["world_size"], 3);
    EXPECT_EQ(flags["host"], r < 2 ? "a" : "b");
    EXPECT_EQ(flags["part"], r < 2 ? 0 : 1);
    EXPECT_EQ(flags["part_rank"], r < 2 ? r : 0);
    EXPECT_EQ(flags["part_trainers"], r < 2 ? 2 : 1);
    EXPECT_EQ(flags["labels_read"], 2);  // one from each store, through the endpoints given
    EXPECT_EQ(flags["prefix_env"], r < 2 ? "" : "b@127.0.0.1");  // through the prefix executor
    EXPECT_EQ(flags["partition_dir"], *partition_);
    EXPECT_EQ(flags["config_partition_dir"], *partition_);
    EXPECT_EQ(flags["config_output_dir"], spec.output_dir);
    EXPECT_EQ(flags["resume"], false);
    ASSERT_EQ(flags["store_endpoints"].size(), 2u);
    if (r == 0) {
      for (const auto& e : flags["store_endpoints"]) endpoints.push_back(e);
    }
    EXPECT_EQ(flags["store_endpoints"].get<std::vector<std::string>>(), endpoints);
    EXPECT_EQ(result["ranks"][static_cast<size_t>(r)]["result"]["rank"], r);
    EXPECT_FALSE(ProcessAlive(flags["pid"].get<pid_t>()));
  }
  EXPECT_NE(endpoints[0], endpoints[1]);
  EXPECT_THAT(launch.out(), HasSubstr("part 0 serving on " + endpoints[0]));

  // train.yaml: the train section with the override and the launcher's directories.
  const std::string train = ReadText(spec.output_dir + "/train.yaml");
  EXPECT_THAT(train, HasSubstr("hidden: 16"));
  EXPECT_THAT(train, HasSubstr("partition_dir: " + *partition_));
  EXPECT_THAT(ReadText(spec.output_dir + "/launch.yaml"), HasSubstr("trainers: 2"));
}

TEST_F(LaunchTest, TrainerExitingNonZeroStopsTheRun) {
  LaunchSpec spec = Spec();
  // Rank 1 fails at its first epoch; the others would run for minutes.
  spec.train_yaml =
      "{fake: {epochs: 100000, epoch_ms: 10, fail_rank: 1, mode: exit, exit_code: 3}}";
  const auto start = Clock::now();
  LaunchProcess launch(Args(spec));
  ASSERT_EQ(launch.Wait(kRunTimeout), 1) << launch.err();
  EXPECT_THAT(launch.err(),
              HasSubstr("halo-launch: error: rank 1 (host b, part 1) exited with status 3\n"));
  EXPECT_THAT(launch.err(), HasSubstr("[b/rank1] fake_trainer: error: rank 1: told to fail"));
  ExpectNothingLeft(launch, 4);
  EXPECT_FALSE(std::filesystem::exists(spec.output_dir + "/result.json"));
  // The failure is noticed at once; the rest is store start-up.
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 60);
}

TEST_F(LaunchTest, TrainerKilledMidRunStopsTheRun) {
  LaunchSpec spec = Spec();
  spec.train_yaml = "{fake: {epochs: 100000, epoch_ms: 10}}";
  LaunchProcess launch(Args(spec));
  ASSERT_TRUE(launch.WaitForLine(kStdout, "[b/rank1] fake_trainer: rank 1 running", kRunTimeout))
      << launch.err();
  const nlohmann::json flags = ReadJson(spec.output_dir + "/rank1/flags.json");
  ASSERT_TRUE(flags.is_object());
  const pid_t victim = flags["pid"].get<pid_t>();
  const auto killed_at = Clock::now();
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  ASSERT_EQ(launch.Wait(std::chrono::seconds(30)), 1) << launch.err();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - killed_at).count(), 10);
  EXPECT_THAT(launch.err(), HasSubstr("halo-launch: error: rank 1 (host b, part 1) exited with "
                                      "status 137 (killed by signal 9)"));
  ExpectNothingLeft(launch, 4);
}

TEST_F(LaunchTest, SilentTrainerIsDeclaredDeadAndKilled) {
  LaunchSpec spec = Spec();
  spec.heartbeat_s = 2;  // the healthy rank beats every 0.1 s
  spec.shutdown_s = 1;
  // Rank 0 stops its heartbeats and ignores SIGTERM: the launcher must notice and SIGKILL it.
  spec.train_yaml =
      "{fake: {epochs: 100000, epoch_ms: 10, fail_rank: 0, fail_epoch: 2, mode: "
      "hang_ignore_term}}";
  LaunchProcess launch(Args(spec));
  ASSERT_EQ(launch.Wait(kRunTimeout), 1) << launch.err();
  EXPECT_THAT(launch.err(), HasSubstr("halo-launch: error: rank 0 (host a, part 0) sent no "
                                      "heartbeat for "));
  EXPECT_THAT(launch.err(), HasSubstr("(timeouts.heartbeat_s = 2)"));
  EXPECT_THAT(launch.err(), HasSubstr("sending SIGKILL"));
  ExpectNothingLeft(launch, 4);
}

TEST_F(LaunchTest, StoreThatNeverComesUpTimesOut) {
  LaunchSpec spec = Spec();
  spec.store_binary = BinDir() + "/fake_store";
  spec.store_ready_s = 1;
  const auto start = Clock::now();
  LaunchProcess launch(Args(spec));
  ASSERT_EQ(launch.Wait(kRunTimeout), 1) << launch.err();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 30);
  EXPECT_THAT(launch.err(), HasSubstr("halo-launch: error: store of part 0 on host a not ready "
                                      "within 1 s (timeouts.store_ready_s)"));
  EXPECT_THAT(launch.err(), HasSubstr("[a/store0] fake_store: started with"));
  EXPECT_THAT(launch.err(), ::testing::Not(HasSubstr("started rank")));
  ExpectNothingLeft(launch, 2);
}

TEST_F(LaunchTest, StoreExitingBeforeReadyIsNamed) {
  LaunchSpec spec = Spec();
  spec.store_binary = "/bin/false";
  LaunchProcess launch(Args(spec));
  ASSERT_EQ(launch.Wait(kRunTimeout), 1) << launch.err();
  EXPECT_THAT(launch.err(), HasSubstr("halo-launch: error: store of part "));
  EXPECT_THAT(launch.err(), HasSubstr("exited with status 1 before it was ready"));
  ExpectNothingLeft(launch, 2);
}

TEST_F(LaunchTest, MissingTrainerBinaryFailsBeforeStartingAnything) {
  LaunchSpec spec = Spec();
  spec.trainer_binary = dir_.File("no-such-trainer");
  LaunchProcess launch(Args(spec));
  ASSERT_EQ(launch.Wait(kRunTimeout), 1);
  EXPECT_THAT(launch.err(), HasSubstr("cannot run " + spec.trainer_binary));
  EXPECT_THAT(launch.err(), HasSubstr("(set bin_dir or trainer_binary)"));
  EXPECT_TRUE(launch.StartedPids().empty());
}

// halo-ps shards: started after the stores, one per host (a, then b through its prefix), with
// every trainer as a worker; the trainers get their endpoints in shard order and reach them; the
// shards are stopped with SIGTERM at the end.
TEST_F(LaunchTest, PsShardsServeTheTrainersAndStopAtTheEnd) {
  LaunchSpec spec = Spec(2);
  spec.ps_shards = 2;
  spec.train_yaml = "{fake: {epochs: 2, epoch_ms: 10}}";
  LaunchProcess launch(Args(spec));
  ASSERT_EQ(launch.Wait(kRunTimeout), 0) << launch.out() << launch.err();
  ExpectNothingLeft(launch, 7);  // 2 stores, 2 ps shards, 3 trainers

  const std::string ps0 = PsEndpoint(launch.out(), "a/ps0", 0);
  const std::string ps1 = PsEndpoint(launch.out(), "b/ps1", 1);
  ASSERT_THAT(ps0, ::testing::StartsWith("tcp://127.0.0.1:")) << launch.out();
  ASSERT_THAT(ps1, ::testing::StartsWith("tcp://127.0.0.1:")) << launch.out();
  EXPECT_NE(ps0, ps1);
  for (int r = 0; r < 3; ++r) {
    const nlohmann::json flags =
        ReadJson(spec.output_dir + "/rank" + std::to_string(r) + "/flags.json");
    ASSERT_TRUE(flags.is_object()) << "rank " << r;
    EXPECT_EQ(flags["ps_endpoints"].get<std::vector<std::string>>(),
              (std::vector<std::string>{ps0, ps1}))
        << "rank " << r;
    EXPECT_EQ(flags["ps_pinged"], 2);
    EXPECT_EQ(flags["ps_clock"], 0);  // fresh shards (no --resume)
  }

  // Order: stores ready, then the shards, then the trainers.
  const std::string& err = launch.err();
  const size_t shards_start = err.find("all 2 stores ready; starting 2 ps shards\n");
  const size_t shard1 = err.find("started ps shard 1 (host b) [b/ps1]: pid ");
  const size_t all_ready = err.find("all 2 stores and 2 ps shards ready; starting 3 trainers");
  const size_t rank0 = err.find("started rank 0 (host a, part 0)");
  ASSERT_NE(shards_start, std::string::npos) << err;
  EXPECT_LT(shards_start, shard1);
  EXPECT_LT(shard1, all_ready);
  EXPECT_LT(all_ready, rank0);
  // Each shard ran with the plan's flags and ended on the launcher's SIGTERM (exit 0).
  EXPECT_THAT(err, HasSubstr("stopping 4 stores and ps shards (SIGTERM)"));
  EXPECT_NE(FindLine(err, {"[a/ps0] ", "shard 0 of 2, 3 workers, 3 threads, clock 0"}), "") << err;
  EXPECT_NE(FindLine(err, {"[b/ps1] ", "shard 1 of 2, 3 workers"}), "") << err;
  EXPECT_NE(FindLine(err, {"[a/ps0] ", "stopping on SIGTERM; stats"}), "") << err;
  EXPECT_NE(FindLine(err, {"[b/ps1] ", "stopping on SIGTERM; stats"}), "") << err;
  EXPECT_THAT(err, ::testing::Not(HasSubstr("on shutdown")));  // no shard exited non-zero
  EXPECT_EQ(ReadJson(spec.output_dir + "/result.json")["status"], "ok");
}

TEST_F(LaunchTest, DryRunShowsPsShardsAndPlaceholders) {
  LaunchSpec spec = Spec(2);
  spec.ps_shards = 3;
  LaunchProcess launch(Args(spec, {"--dry_run"}));
  ASSERT_EQ(launch.Wait(kRunTimeout), 0) << launch.err();
  const std::string& out = launch.out();
  EXPECT_THAT(out, HasSubstr("2 parts; 3 ps shards (snapshots in " + spec.output_dir +
                             "/ps-snapshots); 3 trainers on 2 host(s)"));
  EXPECT_THAT(out, HasSubstr("[a/ps2] ps shard 2 (host a); 3 shards, 3 workers\n  " + BinDir() +
                             "/halo-ps --shard=2 --num_shards=3 --num_workers=3 "
                             "--bind=tcp://127.0.0.1:0 --threads=3 --snapshot_dir=" +
                             spec.output_dir + "/ps-snapshots\n"));
  EXPECT_THAT(out, HasSubstr("[b/ps1] ps shard 1 (host b); 3 shards, 3 workers\n  env "
                             "HALO_FAKE_PREFIX=b@127.0.0.1 " +
                             BinDir() + "/halo-ps --shard=1"));
  EXPECT_THAT(out, HasSubstr("--store_endpoints=@store:0@,@store:1@ "
                             "--ps_endpoints=@ps:0@,@ps:1@,@ps:2@\n"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("--restore")));
  EXPECT_TRUE(launch.StartedPids().empty());
}

TEST_F(LaunchTest, PsShardThatNeverComesUpTimesOut) {
  LaunchSpec spec = Spec();
  spec.ps_shards = 2;
  spec.ps_binary = BinDir() + "/fake_store";
  spec.store_ready_s = 3;  // the real stores are ready well within it
  const auto start = Clock::now();
  LaunchProcess launch(Args(spec));
  ASSERT_EQ(launch.Wait(kRunTimeout), 1) << launch.err();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 30);
  EXPECT_THAT(launch.err(), HasSubstr("halo-launch: error: ps shard 0 on host a not ready within "
                                      "3 s (timeouts.store_ready_s)"));
  EXPECT_THAT(launch.err(), HasSubstr("[a/ps0] fake_store: started with"));
  EXPECT_THAT(launch.err(), ::testing::Not(HasSubstr("started rank")));
  ExpectNothingLeft(launch, 4);  // 2 stores, 2 shards
}

TEST_F(LaunchTest, PsShardExitingMidRunStopsTheRun) {
  LaunchSpec spec = Spec();
  spec.ps_shards = 2;
  spec.train_yaml = "{fake: {epochs: 100000, epoch_ms: 10}}";
  LaunchProcess launch(Args(spec));
  ASSERT_TRUE(launch.WaitForLine(kStdout, "[b/rank1] fake_trainer: rank 1 running", kRunTimeout))
      << launch.err();
  const pid_t victim = StartedPid(launch.err(), "b/ps1");
  ASSERT_GT(victim, 0) << launch.err();
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  ASSERT_EQ(launch.Wait(std::chrono::seconds(30)), 1) << launch.err();
  EXPECT_THAT(launch.err(), HasSubstr("halo-launch: error: ps shard 1 (host b) exited with status "
                                      "137 (killed by signal 9) while the run was going\n"));
  ExpectNothingLeft(launch, 6);
  EXPECT_FALSE(std::filesystem::exists(spec.output_dir + "/result.json"));
}

// --resume with a complete snapshot in ps.snapshot_dir: every shard starts with --restore, and the
// workers take the snapshot's clock. Without one, --resume starts fresh shards (halo-ps refuses
// --restore with no snapshot).
TEST_F(LaunchTest, ResumeRestoresPsShardsFromTheirSnapshot) {
  LaunchSpec spec = Spec();  // 2 trainers
  spec.ps_shards = 2;
  spec.train_yaml = "{fake: {epochs: 1, epoch_ms: 10}}";
  {
    LaunchProcess fresh(Args(spec, {"--resume"}));
    ASSERT_EQ(fresh.Wait(kRunTimeout), 0) << fresh.err();
    EXPECT_THAT(fresh.err(), HasSubstr("starting 2 ps shards\n"));
    EXPECT_EQ(ReadJson(spec.output_dir + "/rank0/flags.json")["ps_clock"], 0);
    ExpectNothingLeft(fresh, 6);
  }
  // A snapshot of clock 4 taken by 3 shards of a 2-worker run (no tables).
  const std::string snapshots = spec.output_dir + "/ps-snapshots";
  for (int s = 0; s < 3; ++s) {
    ps::ShardSnapshot snap;
    snap.shard = s;
    snap.num_shards = 3;
    snap.num_workers = 2;
    snap.clock = 4;
    snap.clocks = {4, 4};
    ASSERT_TRUE(ps::WriteShardSnapshot(ps::ShardSnapshotPath(snapshots, 4, s, 3), snap).ok());
  }
  LaunchProcess launch(Args(spec, {"--resume"}));
  ASSERT_EQ(launch.Wait(kRunTimeout), 0) << launch.out() << launch.err();
  EXPECT_THAT(launch.err(),
              HasSubstr("starting 2 ps shards from the latest snapshot in " + snapshots));
  EXPECT_NE(FindLine(launch.err(), {"[b/ps1] ", "restored clock 4"}), "") << launch.err();
  for (int r = 0; r < 2; ++r) {
    const nlohmann::json flags =
        ReadJson(spec.output_dir + "/rank" + std::to_string(r) + "/flags.json");
    EXPECT_EQ(flags["ps_clock"], 4) << "rank " << r;
    EXPECT_EQ(flags["resume"], true);
  }
  ExpectNothingLeft(launch, 6);
}

class LaunchSignalTest : public LaunchTest, public ::testing::WithParamInterface<int> {};

TEST_P(LaunchSignalTest, StopSignalStopsEverything) {
  const int signo = GetParam();
  LaunchSpec spec = Spec();
  spec.train_yaml = "{fake: {epochs: 100000, epoch_ms: 10}}";
  LaunchProcess launch(Args(spec));
  ASSERT_TRUE(launch.WaitForLine(kStdout, "[b/rank1] fake_trainer: rank 1 running", kRunTimeout))
      << launch.err();
  launch.Signal(signo);
  ASSERT_EQ(launch.Wait(std::chrono::seconds(30)), 128 + signo) << launch.err();
  EXPECT_THAT(launch.err(), HasSubstr("halo-launch: interrupted by "));
  ExpectNothingLeft(launch, 4);
}

INSTANTIATE_TEST_SUITE_P(Signals, LaunchSignalTest, ::testing::Values(SIGINT, SIGTERM, SIGHUP),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGINT    ? "SIGINT"
                                              : info.param == SIGTERM ? "SIGTERM"
                                                                      : "SIGHUP");
                         });

// The ssh executor end to end, with a stand-in `ssh` on PATH that runs the remote command through
// a local shell (as sshd would through the login shell).
TEST_F(LaunchTest, SshExecutorRunsTheRemoteCommand) {
  const std::string bin = dir_.File("fakebin");
  WriteTextFile(bin + "/ssh",
                "#!/bin/sh\n"
                "# fake ssh: skip options and the target, run the command string with sh\n"
                "while [ $# -gt 1 ]; do case \"$1\" in -o|-p) shift 2;; -*) shift;; *) break;; "
                "esac; done\n"
                "echo \"fake-ssh: target $1\" >&2\n"
                "shift\n"
                "exec /bin/sh -c \"$1\"\n");
  chmod((bin + "/ssh").c_str(), 0755);
  LaunchSpec spec = Spec();
  spec.hosts[1].exec = "ssh";
  spec.hosts[1].prefix.clear();
  spec.train_yaml = "{fake: {epochs: 2, epoch_ms: 10}}";
  const char* path = std::getenv("PATH");
  LaunchProcess launch(Args(spec), {"PATH=" + bin + ":" + (path ? path : "/usr/bin:/bin")});
  ASSERT_EQ(launch.Wait(kRunTimeout), 0) << launch.out() << launch.err();
  EXPECT_THAT(launch.err(), HasSubstr("[b/rank1] fake-ssh: target 127.0.0.1"));
  EXPECT_THAT(launch.out(), HasSubstr("[b/store1] halo-store: part 1 serving on"));
  const nlohmann::json flags = ReadJson(spec.output_dir + "/rank1/flags.json");
  EXPECT_EQ(flags["labels_read"], 2);
  EXPECT_FALSE(ProcessAlive(flags["pid"].get<pid_t>()));
  ExpectNothingLeft(launch, 4);
}

}  // namespace
}  // namespace halo::testing
