// Runs the real `halo-partition` binary: success on the bundled datasets (summary JSON, a
// readable partition directory) and, for every kind of bad input or flag, a non-zero exit with
// an "error" message that names the problem and no output directory (nor staging leftovers).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/partition_book.h"
#include "core/status.h"
#include "partition/part_files.h"
#include "tests/test_util.h"

namespace halo::partition {
namespace {

namespace fs = std::filesystem;
using halo::testing::CommandResult;
using halo::testing::DataPath;
using halo::testing::TempDir;
using halo::testing::WriteTextFile;

// The output directory's name in every test; no fixture file name starts with it.
constexpr char kOutName[] = "part_out";

std::string Binary() { return halo::testing::BinDir() + "/halo-partition"; }

CommandResult RunCli(const std::vector<std::string>& args) {
  std::vector<std::string> argv{Binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return halo::testing::RunCommand(argv, 120);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A small valid directed edge list: two 4-cycles joined by one edge (8 nodes, no split).
constexpr char kSmallEdges[] = "0 1\n1 2\n2 3\n3 0\n4 5\n5 6\n6 7\n7 4\n0 4\n";

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(Binary())) << Binary() << " was not built";
    WriteTextFile(tmp_.File("edges.txt"), kSmallEdges);
  }

  std::string Output() const { return tmp_.File(kOutName); }

  // Flags for a run of the small edge list with `extra` appended (later flags win in gflags).
  std::vector<std::string> SmallArgs(const std::vector<std::string>& extra) const {
    std::vector<std::string> args{"--input=" + tmp_.File("edges.txt"), "--format=edgelist",
                                  "--num_parts=2", "--output=" + Output()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Entries of the temp dir that start with the output's name, other than the output itself.
  std::vector<std::string> Leftovers() const {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(tmp_.path())) {
      const std::string name = entry.path().filename().string();
      if (name != kOutName && name.rfind(kOutName, 0) == 0) found.push_back(name);
    }
    return found;
  }

  // A failed run: non-zero exit (not a crash), "error" and every one of `mentions` in the
  // message, and neither the output directory nor any staging directory left behind.
  void ExpectFailure(const CommandResult& r, const std::vector<std::string>& mentions) {
    EXPECT_GT(r.exit_code, 0) << "expected a clean non-zero exit; output:\n" << r.output;
    EXPECT_NE(r.exit_code, 127) << "the binary did not start:\n" << r.output;
    EXPECT_NE(r.output.find("error"), std::string::npos)
        << "the message should contain \"error\":\n"
        << r.output;
    for (const std::string& m : mentions) {
      EXPECT_NE(r.output.find(m), std::string::npos)
          << "the message should mention \"" << m << "\":\n"
          << r.output;
    }
    EXPECT_FALSE(fs::exists(Output())) << "a failed run left " << Output();
    EXPECT_TRUE(Leftovers().empty()) << "a failed run left " << Leftovers().front();
  }

  // A successful run: exit 0, a readable partition with `num_parts` parts, no leftovers.
  core::PartitionMeta ExpectSuccess(const CommandResult& r, int num_parts) {
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(fs::exists(Output() + "/partition.json")) << r.output;
    EXPECT_TRUE(Leftovers().empty()) << "a successful run left " << Leftovers().front();
    core::Result<core::PartitionMeta> meta = core::ReadPartitionMeta(Output());
    EXPECT_TRUE(meta.ok()) << meta.status().ToString();
    if (!meta.ok()) return core::PartitionMeta{};
    EXPECT_EQ(meta->num_parts, num_parts);
    for (const core::PartInfo& info : meta->parts) {
      core::Result<LocalPart> part = ReadPartFiles(Output(), info);
      EXPECT_TRUE(part.ok()) << "part " << info.id << ": " << part.status().ToString();
    }
    return meta.value();
  }

  // Parses the summary JSON and checks its keys against `meta`.
  void ExpectSummary(const std::string& path, const core::PartitionMeta& meta) {
    ASSERT_TRUE(fs::exists(path)) << "no summary JSON at " << path;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(ReadFile(path));
    } catch (const std::exception& e) {
      FAIL() << "summary JSON does not parse: " << e.what() << "\n" << ReadFile(path);
    }
    ASSERT_TRUE(j.is_object()) << j.dump();
    for (const char* key :
         {"num_nodes", "num_edges", "num_parts", "edge_cut", "phases", "peak_rss_bytes"}) {
      EXPECT_TRUE(j.contains(key)) << "summary lacks \"" << key << "\": " << j.dump();
    }
    if (HasFailure()) return;
    EXPECT_EQ(j["num_nodes"].get<int64_t>(), meta.num_nodes);
    EXPECT_EQ(j["num_edges"].get<int64_t>(), meta.num_edges);
    EXPECT_EQ(j["num_parts"].get<int64_t>(), meta.num_parts);
    EXPECT_EQ(j["edge_cut"].get<int64_t>(), meta.edge_cut);
    EXPECT_GT(j["peak_rss_bytes"].get<int64_t>(), 0);
    const nlohmann::json& phases = j["phases"];
    ASSERT_TRUE(phases.is_object()) << phases.dump();
    for (const char* phase : {"read", "prepare", "partition", "relabel", "halo", "write"}) {
      ASSERT_TRUE(phases.contains(phase)) << "phases lacks \"" << phase << "\": " << phases.dump();
      EXPECT_TRUE(phases[phase].is_number()) << phases.dump();
      EXPECT_GE(phases[phase].get<double>(), 0.0) << phase;
    }
  }

  TempDir tmp_;
};

// ---------------------------------------------------------------------------------------------
// Success
// ---------------------------------------------------------------------------------------------

TEST_F(CliTest, CoraPlanetoidTwoParts) {
  const std::string summary = tmp_.File("summary.json");
  const CommandResult r = RunCli({"--input=" + DataPath("cora/planetoid_txt"),
                                  "--format=planetoid-txt", "--num_parts=2", "--halo_hops=1",
                                  "--output=" + Output(), "--summary_json=" + summary});
  const core::PartitionMeta meta = ExpectSuccess(r, 2);
  if (HasFailure()) return;
  EXPECT_EQ(meta.num_nodes, 2708);
  EXPECT_EQ(meta.num_edges, 10556);
  EXPECT_EQ(meta.feature_dim, 1433);
  EXPECT_EQ(meta.num_classes, 7);
  EXPECT_EQ(meta.method, "metis");
  EXPECT_GT(meta.edge_cut, 0);
  int64_t train = 0, val = 0, test = 0;
  for (const auto& p : meta.parts) {
    train += p.num_train;
    val += p.num_val;
    test += p.num_test;
  }
  EXPECT_EQ(train, 140);
  EXPECT_EQ(val, 500);
  EXPECT_EQ(test, 1000);
  ExpectSummary(summary, meta);
}

TEST_F(CliTest, FourEltMetisFourParts) {
  const std::string summary = tmp_.File("summary.json");
  const CommandResult r =
      RunCli({"--input=" + DataPath("4elt/4elt.graph.gz"), "--format=metis", "--num_parts=4",
              "--output=" + Output(), "--summary_json=" + summary});
  const core::PartitionMeta meta = ExpectSuccess(r, 4);
  if (HasFailure()) return;
  EXPECT_EQ(meta.num_nodes, 15606);
  EXPECT_EQ(meta.num_edges, 2 * 45878);
  EXPECT_GT(meta.edge_cut, 0);
  ExpectSummary(summary, meta);
}

TEST_F(CliTest, FlagsReachThePartition) {
  const std::string summary = tmp_.File("summary.json");
  const CommandResult r = RunCli(SmallArgs(
      {"--num_parts=3", "--method=random", "--seed=7", "--halo_hops=2", "--symmetrize=false",
       "--self_loops=add", "--balance=nodes", "--summary_json=" + summary}));
  const core::PartitionMeta meta = ExpectSuccess(r, 3);
  if (HasFailure()) return;
  EXPECT_EQ(meta.num_nodes, 8);
  EXPECT_EQ(meta.num_edges, 9 + 8);  // 9 directed edges, not symmetrized, plus 8 self-loops
  EXPECT_EQ(meta.method, "random");
  EXPECT_EQ(meta.seed, 7u);
  EXPECT_EQ(meta.halo_hops, 2);
  EXPECT_FALSE(meta.symmetrized);
  EXPECT_EQ(meta.self_loops, "add");
  ExpectSummary(summary, meta);
}

TEST_F(CliTest, MetisObjectiveVol) {
  const CommandResult r = RunCli(SmallArgs({"--objective=vol", "--halo_hops=0"}));
  const core::PartitionMeta meta = ExpectSuccess(r, 2);
  if (HasFailure()) return;
  EXPECT_EQ(meta.objective, "vol");
  EXPECT_EQ(meta.halo_hops, 0);
}

// ---------------------------------------------------------------------------------------------
// Errors: one TEST each
// ---------------------------------------------------------------------------------------------

TEST_F(CliTest, MissingInputFile) {
  const std::string missing = tmp_.File("no_such_edges.txt");
  const CommandResult r = RunCli(SmallArgs({"--input=" + missing}));
  ExpectFailure(r, {missing});
}

TEST_F(CliTest, UnknownFormatListsSupportedFormats) {
  const CommandResult r = RunCli(SmallArgs({"--format=graphml"}));
  ExpectFailure(r, {"graphml", "edgelist", "linqs", "planetoid-txt", "metis", "ogb", "npy"});
}

TEST_F(CliTest, MalformedEdgeListLineNamesFileAndLine) {
  WriteTextFile(tmp_.File("bad_edges.txt"), "0 1\n1 2\n7\n2 3\n");
  const CommandResult r = RunCli(SmallArgs({"--input=" + tmp_.File("bad_edges.txt")}));
  ExpectFailure(r, {"bad_edges.txt:3"});
}

TEST_F(CliTest, NegativeNodeIdInEdgeList) {
  WriteTextFile(tmp_.File("neg_edges.txt"), "0 1\n-1 2\n2 3\n");
  const CommandResult r = RunCli(SmallArgs({"--input=" + tmp_.File("neg_edges.txt")}));
  ExpectFailure(r, {"neg_edges.txt:2"});
}

TEST_F(CliTest, InconsistentLinqsFeatureWidthNamesFileAndLine) {
  const std::string dir = tmp_.File("linqs_bad");
  WriteTextFile(dir + "/paper.content",
                "11\t1\t0\t1\tAlpha\n"
                "12\t0\t1\tBeta\n"
                "13\t1\t1\t0\tAlpha\n");
  WriteTextFile(dir + "/paper.cites", "11\t12\n13\t11\n");
  const CommandResult r = RunCli(SmallArgs({"--input=" + dir, "--format=linqs"}));
  ExpectFailure(r, {"paper.content:2"});
}

TEST_F(CliTest, MorePartsThanNodes) {
  const CommandResult r = RunCli(SmallArgs({"--num_parts=9"}));
  ExpectFailure(r, {"num_parts"});
}

TEST_F(CliTest, ZeroParts) {
  const CommandResult r = RunCli(SmallArgs({"--num_parts=0"}));
  ExpectFailure(r, {"num_parts"});
}

TEST_F(CliTest, HaloHopsOutOfRange) {
  const CommandResult r = RunCli(SmallArgs({"--halo_hops=4"}));
  ExpectFailure(r, {"halo_hops"});
}

TEST_F(CliTest, UnknownBalanceColumn) {
  const CommandResult r = RunCli(SmallArgs({"--balance=nodes,flops"}));
  ExpectFailure(r, {"flops"});
}

TEST_F(CliTest, TrainBalanceWithoutSplit) {
  const CommandResult r = RunCli(SmallArgs({"--balance=nodes,train"}));
  ExpectFailure(r, {"train"});
}

TEST_F(CliTest, UnknownMethod) {
  const CommandResult r = RunCli(SmallArgs({"--method=spectral"}));
  ExpectFailure(r, {"spectral"});
}

TEST_F(CliTest, UnknownObjective) {
  const CommandResult r = RunCli(SmallArgs({"--objective=latency"}));
  ExpectFailure(r, {"latency"});
}

TEST_F(CliTest, UnknownSelfLoopMode) {
  const CommandResult r = RunCli(SmallArgs({"--self_loops=double"}));
  ExpectFailure(r, {"double"});
}

TEST_F(CliTest, OutputExistsWithoutOverwrite) {
  fs::create_directories(Output());
  WriteTextFile(Output() + "/keep.txt", "precious\n");
  const CommandResult r = RunCli(SmallArgs({}));
  EXPECT_GT(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("error"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("exists"), std::string::npos) << r.output;
  // Untouched: still exactly the one file with its content.
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(Output())) {
    names.push_back(fs::relative(entry.path(), Output()).string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"keep.txt"});
  EXPECT_EQ(ReadFile(Output() + "/keep.txt"), "precious\n");
  EXPECT_TRUE(Leftovers().empty()) << "a failed run left " << Leftovers().front();
}

TEST_F(CliTest, OutputExistsWithOverwriteIsReplaced) {
  fs::create_directories(Output());
  WriteTextFile(Output() + "/keep.txt", "stale\n");
  const CommandResult r = RunCli(SmallArgs({"--overwrite"}));
  ExpectSuccess(r, 2);
  EXPECT_FALSE(fs::exists(Output() + "/keep.txt")) << "the old directory was not replaced";
}

TEST_F(CliTest, OverwriteFalseExplicitly) {
  fs::create_directories(Output());
  const CommandResult r = RunCli(SmallArgs({"--overwrite=false"}));
  EXPECT_GT(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_directory(Output()));
  EXPECT_TRUE(fs::is_empty(Output()));
  EXPECT_TRUE(Leftovers().empty());
}

}  // namespace
}  // namespace halo::partition
