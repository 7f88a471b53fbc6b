// Distributed training end to end: halo-launch starting real halo-store and halo-train processes
// on loopback (and, as root, on two network namespaces), on the bundled Cora.
//   - Accuracy: sampled GraphSAGE on 2 and 4 parts is within 1 point of 1 part (mean of 3 seeds).
//   - Fault: kill -9 of one trainer mid-run stops the run within 10 s naming it, leaves no
//     process behind, and a relaunch with --resume finishes within 1 point of an uninterrupted
//     run.
//   - Two hosts: ranks in two network namespaces joined by a veth pair, through the prefix
//     executor (`ip netns exec`).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "partition/pipeline.h"
#include "tests/integration/process.h"
#include "tests/launch/launch_harness.h"
#include "tests/test_util.h"

namespace halo::testing {
namespace {

constexpr std::chrono::seconds kRunTimeout{300};

std::string PartitionCora(const std::string& dir, int parts) {
  partition::PartitionOptions opt;
  opt.num_parts = parts;
  opt.halo_hops = 2;
  opt.balance = {"nodes", "train"};
  opt.output = dir;
  auto report = partition::RunPartition(DataPath("cora/planetoid_txt"), "planetoid-txt", opt);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return dir;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  if (!in.good()) return nullptr;
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// The shipped Cora GraphSAGE setup, shortened to keep the suite fast.
std::string TrainYaml(int seed, int epochs, const std::string& extra = "") {
  return "{model: {type: sage, hidden: 64, dropout: 0.5}, train: {mode: sampled, fanouts: [25, "
         "10], "
         "batch_size: 32, epochs: " +
         std::to_string(epochs) +
         ", lr: 0.01, weight_decay: 0.0005, seed: " + std::to_string(seed) + ", num_threads: 1}" +
         extra + "}";
}

LaunchSpec OneHost(const std::string& partition_dir, const std::string& out, int parts,
                   int trainers) {
  LaunchSpec spec;
  spec.partition_dir = partition_dir;
  spec.output_dir = out;
  LaunchHost h;
  h.name = "local";
  for (int p = 0; p < parts; ++p) h.stores.push_back(p);
  h.trainers = trainers;
  spec.hosts = {h};
  return spec;
}

// Runs halo-launch to completion; its result.json.
nlohmann::json Launch(const LaunchSpec& spec, const TempDir& dir, const std::string& name,
                      const std::vector<std::string>& extra_args = {}) {
  WriteTextFile(dir.File(name + ".yaml"), LaunchConfigYaml(spec));
  std::vector<std::string> args = {"--config=" + dir.File(name + ".yaml")};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  LaunchProcess launch(args);
  const auto code = launch.Wait(kRunTimeout);
  EXPECT_EQ(code, 0) << name << ":\n" << launch.err();
  return ReadJson(spec.output_dir + "/result.json");
}

class DistTrainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    for (int k : {1, 2, 4}) PartitionCora(dir_->File("cora-" + std::to_string(k)), k);
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Parts(int k) { return dir_->File("cora-" + std::to_string(k)); }
  static TempDir* dir_;
};
TempDir* DistTrainTest::dir_ = nullptr;

TEST_F(DistTrainTest, TwoAndFourPartsMatchOnePartAccuracy) {
  std::map<int, double> mean;
  for (int k : {1, 2, 4}) {
    double sum = 0;
    for (int seed = 0; seed < 3; ++seed) {
      LaunchSpec spec = OneHost(
          Parts(k), dir_->File("acc-" + std::to_string(k) + "-" + std::to_string(seed)), k, k);
      spec.train_yaml = TrainYaml(seed, 30);
      const nlohmann::json r = Launch(spec, *dir_, "acc");
      ASSERT_TRUE(r.is_object());
      ASSERT_EQ(r["world_size"], k);
      const double acc = r["test_acc"].get<double>();
      EXPECT_GT(acc, 0.75) << k << " parts, seed " << seed;
      sum += acc;
    }
    mean[k] = sum / 3;
  }
  EXPECT_LE(std::fabs(mean[2] - mean[1]), 0.010) << "1 part " << mean[1] << ", 2 parts " << mean[2];
  EXPECT_LE(std::fabs(mean[4] - mean[1]), 0.010) << "1 part " << mean[1] << ", 4 parts " << mean[4];
}

// The pid of rank `rank` from halo-launch's "started rank R (...) [...]: pid N" line.
pid_t RankPid(const std::string& launch_log, int rank) {
  std::smatch m;
  const std::regex re("started rank " + std::to_string(rank) + " \\([^\\n]*: pid ([0-9]+)");
  if (!std::regex_search(launch_log, m, re)) return -1;
  return static_cast<pid_t>(std::stol(m[1].str()));
}

TEST_F(DistTrainTest, KilledTrainerStopsTheRunAndResumeFinishesIt) {
  const std::string out = dir_->File("killed");
  LaunchSpec spec = OneHost(Parts(2), out, 2, 2);
  spec.train_yaml = TrainYaml(0, 30, ", checkpoint: {every_epochs: 1, every_steps: 2}");
  spec.shutdown_s = 5;
  WriteTextFile(dir_->File("killed.yaml"), LaunchConfigYaml(spec));
  {
    LaunchProcess launch({"--config=" + dir_->File("killed.yaml")});
    // Mid-run: rank 0 has reported epoch 8 (and checkpointed it).
    ASSERT_TRUE(launch.WaitForLine(launch::kStdout, "epoch 8/30", kRunTimeout)) << launch.err();
    const pid_t victim = RankPid(launch.err(), 1);
    ASSERT_GT(victim, 0) << launch.err();
    const std::vector<pid_t> all = launch.StartedPids();
    ASSERT_EQ(all.size(), 4u);  // 2 stores, 2 trainers
    const auto killed_at = std::chrono::steady_clock::now();
    ASSERT_EQ(kill(victim, SIGKILL), 0);
    const auto code = launch.Wait(std::chrono::seconds(10));
    ASSERT_TRUE(code.has_value()) << "halo-launch still runs 10 s after the kill";
    EXPECT_NE(*code, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - killed_at, std::chrono::seconds(10));
    EXPECT_NE(launch.err().find("rank 1 (host local, part 1)"), std::string::npos) << launch.err();
    for (pid_t pid : all) EXPECT_TRUE(WaitForExit(pid, std::chrono::seconds(5))) << pid;
  }
  const nlohmann::json resumed = Launch(spec, *dir_, "killed", {"--resume"});
  ASSERT_TRUE(resumed.is_object());
  const nlohmann::json r0 = resumed["ranks"][0]["result"];
  EXPECT_GE(r0["resumed_from_epoch"].get<int>(), 8);  // epoch 8 was reported, so saved
  EXPECT_LT(r0["epoch_seconds"].size(), 30u);

  LaunchSpec whole = spec;
  whole.output_dir = dir_->File("uninterrupted");
  const nlohmann::json reference = Launch(whole, *dir_, "uninterrupted");
  ASSERT_TRUE(reference.is_object());
  EXPECT_LE(std::fabs(resumed["test_acc"].get<double>() - reference["test_acc"].get<double>()),
            0.010);
}

// The same with the dense parameters and learnable input embeddings on halo-ps (sync.mode ps,
// s = 1): the relaunch restores the shards from the snapshot taken with the checkpoint.
TEST_F(DistTrainTest, KilledPsModeRunResumesWithItsParameterServerState) {
  const std::string out = dir_->File("killed-ps");
  LaunchSpec spec = OneHost(Parts(2), out, 2, 2);
  spec.ps_shards = 2;
  spec.train_yaml = TrainYaml(0, 12,
                              ", input_embedding: {dim: 8, optimizer: sgd, lr: 0.1}, sync: {mode: "
                              "ps, staleness: 1}, checkpoint: {every_epochs: 1, every_steps: 2}");
  spec.shutdown_s = 5;
  WriteTextFile(dir_->File("killed-ps.yaml"), LaunchConfigYaml(spec));
  {
    LaunchProcess launch({"--config=" + dir_->File("killed-ps.yaml")});
    ASSERT_TRUE(launch.WaitForLine(launch::kStdout, "epoch 5/12", kRunTimeout)) << launch.err();
    const pid_t victim = RankPid(launch.err(), 1);
    ASSERT_GT(victim, 0) << launch.err();
    const std::vector<pid_t> all = launch.StartedPids();
    ASSERT_EQ(all.size(), 6u);  // 2 stores, 2 shards, 2 trainers
    ASSERT_EQ(kill(victim, SIGKILL), 0);
    const auto code = launch.Wait(std::chrono::seconds(10));
    ASSERT_TRUE(code.has_value()) << "halo-launch still runs 10 s after the kill";
    EXPECT_NE(*code, 0);
    for (pid_t pid : all) EXPECT_TRUE(WaitForExit(pid, std::chrono::seconds(5))) << pid;
  }
  WriteTextFile(dir_->File("killed-ps.yaml"), LaunchConfigYaml(spec));
  LaunchProcess relaunch({"--config=" + dir_->File("killed-ps.yaml"), "--resume"});
  ASSERT_EQ(relaunch.Wait(kRunTimeout), 0) << relaunch.err();
  EXPECT_NE(relaunch.err().find("restored clock"), std::string::npos) << relaunch.err();
  const nlohmann::json r = ReadJson(out + "/result.json");
  ASSERT_TRUE(r.is_object());
  const nlohmann::json r0 = r["ranks"][0]["result"];
  EXPECT_GE(r0["resumed_from_epoch"].get<int>(), 5);
  EXPECT_EQ(r0["sync_mode"], "ps");
  EXPECT_LE(r0["staleness"]["input_embedding"]["max_observed_staleness"].get<int>(), 1);
  EXPECT_GT(r["test_acc"].get<double>(), 0.6);
}

TEST_F(DistTrainTest, BadTrainSectionFailsBeforeAnythingStarts) {
  LaunchSpec spec = OneHost(Parts(2), dir_->File("bad-train"), 2, 2);
  spec.train_yaml = "{train: {epoch: 3}}";  // halo-train's key is train.epochs
  WriteTextFile(dir_->File("bad-train.yaml"), LaunchConfigYaml(spec));
  LaunchProcess launch({"--config=" + dir_->File("bad-train.yaml")});
  EXPECT_EQ(launch.Wait(std::chrono::seconds(30)), 1);
  EXPECT_NE(launch.err().find("unknown config key 'train.epoch'"), std::string::npos)
      << launch.err();
  EXPECT_TRUE(launch.StartedPids().empty());
}

// Runs `argv` to completion; false when it fails.
bool Run(const std::vector<std::string>& argv) { return RunCommand(argv, 30).exit_code == 0; }

// Two network namespaces joined by a veth pair; removed on destruction.
class NetnsPair {
 public:
  NetnsPair() {
    const std::string id = std::to_string(getpid() % 100000);
    a_ = "halo_a" + id;
    b_ = "halo_b" + id;
    const std::string va = "hva" + id, vb = "hvb" + id;
    const std::string ip = "/usr/sbin/ip";
    ok_ = Run({ip, "netns", "add", a_}) && Run({ip, "netns", "add", b_}) &&
          Run({ip, "link", "add", va, "type", "veth", "peer", "name", vb}) &&
          Run({ip, "link", "set", va, "netns", a_}) && Run({ip, "link", "set", vb, "netns", b_}) &&
          Run({ip, "-n", a_, "addr", "add", "10.77.0.1/24", "dev", va}) &&
          Run({ip, "-n", b_, "addr", "add", "10.77.0.2/24", "dev", vb}) &&
          Run({ip, "-n", a_, "link", "set", va, "up"}) &&
          Run({ip, "-n", b_, "link", "set", vb, "up"}) &&
          Run({ip, "-n", a_, "link", "set", "lo", "up"}) &&
          Run({ip, "-n", b_, "link", "set", "lo", "up"});
  }
  ~NetnsPair() {
    RunCommand({"/usr/sbin/ip", "netns", "del", a_}, 30);
    RunCommand({"/usr/sbin/ip", "netns", "del", b_}, 30);
  }
  bool ok() const { return ok_; }
  const std::string& a() const { return a_; }
  const std::string& b() const { return b_; }

 private:
  std::string a_, b_;
  bool ok_ = false;
};

TEST_F(DistTrainTest, TwoHostsInNetworkNamespaces) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces (ip netns add)";
  if (access("/usr/sbin/ip", X_OK) != 0) GTEST_SKIP() << "needs iproute2 (/usr/sbin/ip)";
  NetnsPair net;
  if (!net.ok()) GTEST_SKIP() << "could not create network namespaces with a veth pair here";
  // halo-launch runs in namespace a (host a: local); host b's processes go through the prefix
  // executor into namespace b. Everything talks over the veth pair, nothing over loopback.
  LaunchSpec spec;
  spec.partition_dir = Parts(2);
  spec.output_dir = dir_->File("netns");
  LaunchHost a, b;
  a.name = "a";
  a.address = "10.77.0.1";
  a.stores = {0};
  a.trainers = 1;
  b.name = "b";
  b.address = "10.77.0.2";
  b.exec = "prefix";
  b.prefix = "/usr/sbin/ip netns exec " + net.b();
  b.stores = {1};
  b.trainers = 1;
  spec.hosts = {a, b};
  spec.train_yaml = TrainYaml(0, 10);
  WriteTextFile(dir_->File("netns.yaml"), LaunchConfigYaml(spec));
  Process launch({"/usr/sbin/ip", "netns", "exec", net.a(), BinDir() + "/halo-launch",
                  "--config=" + dir_->File("netns.yaml")});
  const auto code = launch.Wait(kRunTimeout);
  ASSERT_TRUE(code.has_value()) << "halo-launch did not finish";
  ASSERT_EQ(*code, 0) << launch.output();
  const nlohmann::json r = ReadJson(spec.output_dir + "/result.json");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["world_size"], 2);
  EXPECT_EQ(r["ranks"][0]["host"], "a");
  EXPECT_EQ(r["ranks"][1]["host"], "b");
  EXPECT_GT(r["test_acc"].get<double>(), 0.7);
  // The stores served on the namespaces' addresses.
  EXPECT_NE(launch.output().find("serving on tcp://10.77.0.2:"), std::string::npos)
      << launch.output();
}

}  // namespace
}  // namespace halo::testing
