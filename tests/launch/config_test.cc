// The cluster config: parsing, defaults, errors with file:line, overrides (by index, by host name,
// appending), resolution, and the YAML written back.
#include "launch/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace halo::launch {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
using testing::WriteTextFile;

const char kTwoHosts[] =
    "partition_dir: out/p\n"          // 1
    "output_dir: runs/r\n"            // 2
    "timeouts: {store_ready_s: 5}\n"  // 3
    "hosts:\n"                        // 4
    "  - name: a\n"                   // 5
    "    stores: [0]\n"               // 6
    "    trainers: 2\n"               // 7
    "  - name: b\n"                   // 8
    "    address: 10.0.0.2\n"         // 9
    "    exec: ssh\n"                 // 10
    "    stores: [1]\n"               // 11
    "    trainers: 1\n"               // 12
    "train:\n"                        // 13
    "  model: {type: sage, hidden: 16}\n"
    "  train: {epochs: 5, fanouts: [10, 5]}\n";

class ConfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& content, const std::string& name = "cluster.yaml") {
    const std::string path = dir_.File(name);
    WriteTextFile(path, content);
    return path;
  }
  TempDir dir_;
};

TEST_F(ConfigTest, ReadsEveryKeyAndKeepsDefaults) {
  auto c = LoadLaunchConfig(Write(kTwoHosts), {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->partition_dir, "out/p");
  EXPECT_EQ(c->output_dir, "runs/r");
  EXPECT_EQ(c->timeouts.store_ready_s, 5);
  EXPECT_EQ(c->timeouts.heartbeat_s, 30);  // default
  ASSERT_EQ(c->hosts.size(), 2u);
  EXPECT_EQ(c->hosts[0].name, "a");
  EXPECT_EQ(c->hosts[0].address, "127.0.0.1");
  EXPECT_EQ(c->hosts[0].exec, "local");
  EXPECT_EQ(c->hosts[0].stores, std::vector<int>{0});
  EXPECT_EQ(c->hosts[0].trainers, 2);
  EXPECT_EQ(c->hosts[1].address, "10.0.0.2");
  EXPECT_EQ(c->hosts[1].exec, "ssh");
  EXPECT_THAT(c->train_yaml, HasSubstr("hidden: 16"));
  EXPECT_EQ(c->Where("hosts.1.trainers"), c->config_path + ":12: ");
}

TEST_F(ConfigTest, UnknownKeyNamesKeyAndLine) {
  std::string text = kTwoHosts;
  text.replace(text.find("    trainers: 1"), 15, "    trainer: 1");
  auto c = LoadLaunchConfig(Write(text), {});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("cluster.yaml:12: unknown key 'hosts.1.trainer'"));
  EXPECT_THAT(c.status().message(), HasSubstr("known here: name, address"));

  auto top = LoadLaunchConfig(Write(std::string(kTwoHosts) + "colour: blue\n"), {});
  ASSERT_FALSE(top.ok());
  EXPECT_THAT(top.status().message(), HasSubstr(":16: unknown key 'colour'"));
}

TEST_F(ConfigTest, BadValueNamesKeyAndLine) {
  std::string text = kTwoHosts;
  text.replace(text.find("trainers: 2"), 11, "trainers: two");
  auto c = LoadLaunchConfig(Write(text), {});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("cluster.yaml:7: bad value 'two' for 'hosts.0.trainers' (expected an "
                        "integer)"));
}

TEST_F(ConfigTest, SyntaxErrorAndMissingFile) {
  auto bad = LoadLaunchConfig(Write("hosts: [\n"), {});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("YAML syntax error"));
  auto missing = LoadLaunchConfig(dir_.File("nope.yaml"), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
}

TEST_F(ConfigTest, OverridesByIndexByNameAndAppend) {
  auto c = LoadLaunchConfig(
      Write(kTwoHosts),
      {"hosts.0.trainers=4", "hosts.b.stores=[1, 2]", "hosts.2.name=c", "hosts.c.trainers=3",
       "timeouts.heartbeat_s=2.5", "train.train.epochs=7", "train.extra.new_key=x"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->hosts.size(), 3u);
  EXPECT_EQ(c->hosts[0].trainers, 4);
  EXPECT_EQ(c->hosts[1].stores, (std::vector<int>{1, 2}));
  EXPECT_EQ(c->hosts[2].name, "c");
  EXPECT_EQ(c->hosts[2].trainers, 3);
  EXPECT_EQ(c->hosts[2].address, "127.0.0.1");
  EXPECT_EQ(c->timeouts.heartbeat_s, 2.5);
  EXPECT_THAT(c->train_yaml, HasSubstr("epochs: 7"));
  EXPECT_THAT(c->train_yaml, HasSubstr("new_key: x"));
  // The override, not the file, is named as the origin (a host named by index).
  EXPECT_EQ(c->Where("hosts.1.stores"), "--set 'hosts.b.stores=[1, 2]': ");
  EXPECT_EQ(c->Where("hosts.0.name"), c->config_path + ":5: ");
}

TEST_F(ConfigTest, OverrideErrorsNameTheOverride) {
  const std::string path = Write(kTwoHosts);
  auto bad_value = LoadLaunchConfig(path, {"hosts.b.trainers=x"});
  ASSERT_FALSE(bad_value.ok());
  EXPECT_THAT(bad_value.status().message(),
              HasSubstr("--set 'hosts.b.trainers=x': bad value 'x' for 'hosts.1.trainers'"));
  auto unknown = LoadLaunchConfig(path, {"hosts.0.trainer=1"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown key 'hosts.0.trainer'"));
  auto no_host = LoadLaunchConfig(path, {"hosts.zz.trainers=1"});
  ASSERT_FALSE(no_host.ok());
  EXPECT_THAT(no_host.status().message(), HasSubstr("'hosts' has no element named 'zz'"));
  auto range = LoadLaunchConfig(path, {"hosts.5.trainers=1"});
  ASSERT_FALSE(range.ok());
  EXPECT_THAT(range.status().message(), HasSubstr("index 5 out of range"));
  auto scalar = LoadLaunchConfig(path, {"output_dir.x=1"});
  ASSERT_FALSE(scalar.ok());
  EXPECT_THAT(scalar.status().message(), HasSubstr("'output_dir' is a value, not a section"));
  auto below_scalar = LoadLaunchConfig(path, {"hosts.0.stores.x.y=1"});
  EXPECT_FALSE(below_scalar.ok());
  auto list_key = LoadLaunchConfig(Write("? [1, 2]\n: x\n", "odd.yaml"), {});
  EXPECT_FALSE(list_key.ok());
  auto form = LoadLaunchConfig(path, {"trainers"});
  ASSERT_FALSE(form.ok());
  EXPECT_THAT(form.status().message(), HasSubstr("not of the form key=value"));
}

TEST_F(ConfigTest, ValidationErrors) {
  const std::string path = Write(kTwoHosts);
  struct Case {
    std::vector<std::string> overrides;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"hosts.1.name=a"}, "two hosts are named 'a'"},
      {{"hosts.1.name=b c"}, "hosts.1.name must be a non-empty name"},
      {{"hosts.0.exec=rsh"}, "hosts.0.exec must be local, ssh or prefix, got 'rsh'"},
      {{"hosts.0.exec=prefix"}, "host a has exec: prefix but no prefix template"},
      {{"hosts.0.exec=prefix", "hosts.0.prefix=run {hots}"}, "unknown placeholder '{hots}'"},
      {{"hosts.0.gpus=[0]"}, "host a lists 1 gpus for 2 trainers"},
      {{"hosts.0.trainers=-1"}, "hosts.0.trainers must be >= 0"},
      {{"timeouts.store_ready_s=0"}, "timeouts.store_ready_s must be > 0"},
      {{"coordinator.host=zz"}, "coordinator.host 'zz' is not one of the hosts"},
      {{"coordinator.port=70000"}, "coordinator.port must be in [0, 65535]"},
      {{"store.threads=0"}, "store.threads must be >= 1"},
      {{"hosts=[]"}, "no hosts"},
      {{"train=3"}, "'train' must be a map"},
  };
  for (const Case& c : cases) {
    auto r = LoadLaunchConfig(path, c.overrides);
    ASSERT_FALSE(r.ok()) << c.overrides[0];
    EXPECT_THAT(r.status().message(), HasSubstr(c.expected)) << c.overrides[0];
    EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  }
}

TEST_F(ConfigTest, PsSectionDefaultsOverridesAndResolution) {
  auto none = LoadLaunchConfig(Write(kTwoHosts), {});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->ps.shards, 0);  // no parameter server unless asked for
  EXPECT_TRUE(none->ps.hosts.empty());
  EXPECT_EQ(none->ps.threads, 8);
  EXPECT_EQ(none->ps.snapshot_dir, "");
  ASSERT_TRUE(ResolveLaunchConfig(&none.value(), "/opt/halo/bin").ok());
  EXPECT_EQ(none->ps_binary, "/opt/halo/bin/halo-ps");
  EXPECT_EQ(none->ps.snapshot_dir, none->output_dir + "/ps-snapshots");

  std::string text = kTwoHosts;
  text += "ps:\n  shards: 3\n  hosts: [b]\n  threads: 4\n  snapshot_dir: snaps\n";  // 16-20
  text += "ps_binary: tools/my-ps\n";                                               // 21
  auto c = LoadLaunchConfig(Write(text), {"ps.shards=2", "ps.hosts=[b, a]"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ps.shards, 2);
  EXPECT_EQ(c->ps.hosts, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(c->ps.threads, 4);
  EXPECT_EQ(c->Where("ps.shards"), "--set 'ps.shards=2': ");
  EXPECT_EQ(c->Where("ps.threads"), c->config_path + ":19: ");
  ASSERT_TRUE(ResolveLaunchConfig(&c.value(), "/opt/halo/bin").ok());
  EXPECT_EQ(c->ps.snapshot_dir[0], '/');
  EXPECT_THAT(c->ps.snapshot_dir, ::testing::EndsWith("/snaps"));
  EXPECT_EQ(c->ps_binary[0], '/');
  EXPECT_THAT(c->ps_binary, ::testing::EndsWith("/tools/my-ps"));

  // The resolved YAML keeps the section.
  const std::string path = dir_.File("launch.yaml");
  WriteTextFile(path, LaunchConfigToYaml(c.value()));
  auto back = LoadLaunchConfig(path, {});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ps.shards, 2);
  EXPECT_EQ(back->ps.hosts, c->ps.hosts);
  EXPECT_EQ(back->ps.threads, 4);
  EXPECT_EQ(back->ps.snapshot_dir, c->ps.snapshot_dir);
  EXPECT_EQ(back->ps_binary, c->ps_binary);
}

TEST_F(ConfigTest, PsSectionErrors) {
  std::string text = kTwoHosts;
  text += "ps:\n  shards: 2\n  hosts: [a, zz]\n";  // lines 16-18
  auto bad_host = LoadLaunchConfig(Write(text), {});
  ASSERT_FALSE(bad_host.ok());
  EXPECT_EQ(bad_host.status().message(),
            dir_.File("cluster.yaml") + ":18: ps.hosts.1 'zz' is not one of the hosts (a, b)");
  const std::string path = Write(kTwoHosts, "two.yaml");
  struct Case {
    std::string override;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"ps.shards=-1", "--set 'ps.shards=-1': ps.shards must be >= 0 (0 = no parameter server)"},
      {"ps.shards=x", "--set 'ps.shards=x': bad value 'x' for 'ps.shards' (expected an integer)"},
      {"ps.threads=2", "--set 'ps.threads=2': ps.threads must be >= 3"},
      {"ps.hosts=[c]", "--set 'ps.hosts=[c]': ps.hosts.0 'c' is not one of the hosts (a, b)"},
      {"ps.shard=1", "unknown key 'ps.shard' (known here: shards, hosts, threads, snapshot_dir)"},
      {"ps=3", "'ps' must be a map"},
  };
  for (const Case& c : cases) {
    auto r = LoadLaunchConfig(path, {c.override});
    ASSERT_FALSE(r.ok()) << c.override;
    EXPECT_THAT(r.status().message(), HasSubstr(c.expected)) << c.override;
    EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  }
}

TEST_F(ConfigTest, ResolveMakesPathsAbsoluteAndFillsDefaults) {
  auto c = LoadLaunchConfig(Write(kTwoHosts), {});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(ResolveLaunchConfig(&c.value(), "/opt/halo/bin").ok());
  EXPECT_EQ(c->partition_dir[0], '/');
  EXPECT_THAT(c->partition_dir, ::testing::EndsWith("/out/p"));
  EXPECT_EQ(c->bin_dir, "/opt/halo/bin");
  EXPECT_EQ(c->store_binary, "/opt/halo/bin/halo-store");
  EXPECT_EQ(c->trainer_binary, "/opt/halo/bin/halo-train");
  EXPECT_EQ(c->hosts[1].ssh, "10.0.0.2");  // ssh target defaults to the address
  EXPECT_EQ(c->coordinator_host, "a");     // the first host

  auto no_partition = LoadLaunchConfig(Write("hosts: [{name: a, trainers: 1}]\n"), {});
  ASSERT_TRUE(no_partition.ok());
  core::Status s = ResolveLaunchConfig(&no_partition.value(), "/bin");
  EXPECT_THAT(s.message(), HasSubstr("partition_dir is not set"));
}

TEST_F(ConfigTest, ResolvedYamlLoadsBackToTheSameConfig) {
  auto c = LoadLaunchConfig(Write(kTwoHosts), {"hosts.1.ssh_options=[-p, '2222']",
                                               "hosts.0.gpus=[0, 1]", "coordinator.port=7100"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(ResolveLaunchConfig(&c.value(), "/opt/halo/bin").ok());
  const std::string yaml = LaunchConfigToYaml(c.value());
  const std::string path = dir_.File("launch.yaml");
  WriteTextFile(path, yaml);
  auto back = LoadLaunchConfig(path, {});
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << yaml;
  EXPECT_EQ(back->partition_dir, c->partition_dir);
  EXPECT_EQ(back->store_binary, c->store_binary);
  EXPECT_EQ(back->coordinator_host, "a");
  EXPECT_EQ(back->coordinator_port, 7100);
  ASSERT_EQ(back->hosts.size(), 2u);
  EXPECT_EQ(back->hosts[0].gpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(back->hosts[1].ssh_options, (std::vector<std::string>{"-p", "2222"}));
  EXPECT_EQ(back->hosts[1].ssh, "10.0.0.2");
  EXPECT_EQ(back->hosts[1].stores, std::vector<int>{1});
  EXPECT_EQ(LaunchConfigToYaml(back.value()), yaml);
}

TEST_F(ConfigTest, TrainConfigSetsPartitionAndOutputDirs) {
  std::string text = kTwoHosts;
  text += "  dataset: {partition_dir: elsewhere, normalize_features: false}\n";
  auto c = LoadLaunchConfig(Write(text), {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(ResolveLaunchConfig(&c.value(), "/bin").ok());
  std::vector<std::string> warnings;
  auto train = TrainConfigYaml(c.value(), &warnings);
  ASSERT_TRUE(train.ok());
  EXPECT_THAT(train.value(), HasSubstr("partition_dir: " + c->partition_dir));
  EXPECT_THAT(train.value(), HasSubstr("output_dir: " + c->output_dir));
  EXPECT_THAT(train.value(), HasSubstr("normalize_features: false"));
  EXPECT_THAT(train.value(), HasSubstr("hidden: 16"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("train.dataset.partition_dir 'elsewhere' replaced"));
}

}  // namespace
}  // namespace halo::launch
