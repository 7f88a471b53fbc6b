// The command lines: halo-query against running stores (JSON out, errors with non-zero exit
// within the deadline), halo-store --verify on a good and a corrupted store, the ready file,
// clean exits on SIGTERM/SIGINT, and a clear failure when the port is taken.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/integration/cora_cluster.h"
#include "tests/test_util.h"

namespace halo::testing {
namespace {

using Clock = std::chrono::steady_clock;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

TEST(StoreCli, QueryPrintsRowsInTheOrderAsked) {
  TempDir tmp;
  CoraPartition cora = PartitionCora(tmp.File("cora"), 2);
  ASSERT_EQ(cora.meta.num_parts, 2);
  std::vector<std::unique_ptr<StoreProcess>> stores = StartStores(cora.dir, 2);
  ASSERT_FALSE(HasFailure());
  const std::string query = BinDir() + "/halo-query";
  const std::string endpoints = Join(Endpoints(stores));
  // Original IDs of a few nodes of both parts, with a repeat.
  const std::vector<int64_t> globals = {2707, 0, cora.meta.parts[1].node_begin, 0};
  std::string ids;
  for (int64_t g : globals) {
    ids += (ids.empty() ? "" : ",") + std::to_string(cora.node_map[static_cast<size_t>(g)]);
  }
  CommandResult r = RunCommand({query, "--partition_dir=" + cora.dir, "--endpoints=" + endpoints,
                                "features", "--ids=" + ids, "--original_ids"},
                               60);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json out = nlohmann::json::parse(r.output);
  ASSERT_EQ(out["rows"].size(), globals.size());
  const std::vector<float> want = cora.Features(globals);
  for (size_t i = 0; i < globals.size(); ++i) {
    const nlohmann::json& row = out["rows"][i];
    EXPECT_EQ(row["id"], globals[i]);
    EXPECT_EQ(row["original_id"], cora.node_map[static_cast<size_t>(globals[i])]);
    EXPECT_EQ(row["part"], globals[i] < cora.meta.parts[1].node_begin ? 0 : 1);
    const std::vector<float> got = row["features"].get<std::vector<float>>();
    ASSERT_EQ(got.size(), 1433u);
    EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin() + i * 1433));
  }

  r = RunCommand({query, "--partition_dir=" + cora.dir, "--endpoints=" + endpoints, "neighbors",
                  "--ids=5,2000"},
                 60);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json nb = nlohmann::json::parse(r.output);
  for (size_t i = 0; i < 2; ++i) {
    std::vector<int64_t> got = nb["rows"][i]["neighbors"].get<std::vector<int64_t>>();
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, cora.InNeighbors(nb["rows"][i]["id"].get<int64_t>()));
  }
  r = RunCommand(
      {query, "--partition_dir=" + cora.dir, "--endpoints=" + endpoints, "labels", "--ids=1,2708"},
      60);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.output, "global ID 2708")) << r.output;
  r = RunCommand({query, "--partition_dir=" + cora.dir, "--endpoints=" + endpoints, "stats"}, 60);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["parts"].size(), 2u);
}

TEST(StoreCli, QueryErrorsExitNonZeroWithinTheDeadline) {
  TempDir tmp;
  CoraPartition cora = PartitionCora(tmp.File("cora"), 2);
  ASSERT_EQ(cora.meta.num_parts, 2);
  const std::string query = BinDir() + "/halo-query";
  const std::string dir = "--partition_dir=" + cora.dir;
  // Nothing listens on port 1.
  const std::string nowhere = "--endpoints=tcp://127.0.0.1:1,tcp://127.0.0.1:1";
  CommandResult r = RunCommand({query, dir, nowhere, "frobnicate", "--ids=1"}, 60);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.output, "unknown command 'frobnicate'")) << r.output;
  r = RunCommand({query, dir, nowhere, "labels", "--ids=1,x2,3"}, 60);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.output, "\"x2\" is not an integer")) << r.output;
  r = RunCommand({query, dir, "--endpoints=tcp://127.0.0.1:1", "labels", "--ids=1"}, 60);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.output, "1 endpoints")) << r.output;
  r = RunCommand({query, dir, nowhere, "labels", "--ids=999999", "--original_ids"}, 60);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.output, "original ID 999999")) << r.output;
  const auto start = Clock::now();
  r = RunCommand({query, dir, nowhere, "features", "--ids=1,2000", "--deadline_ms=500"}, 60);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(Contains(r.output, "part 0 (tcp://127.0.0.1:1)")) << r.output;
}

// Flips bytes in the middle of the largest file of `dir` (an SST of the features).
void CorruptLargestFile(const std::string& dir) {
  std::string largest;
  uintmax_t size = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file() && e.file_size() > size) {
      size = e.file_size();
      largest = e.path().string();
    }
  }
  ASSERT_FALSE(largest.empty());
  std::fstream f(largest, std::ios::in | std::ios::out | std::ios::binary);
  for (uintmax_t off = size / 3; off < size / 3 + 64; ++off) {
    f.seekg(static_cast<std::streamoff>(off));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(off));
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  ASSERT_TRUE(f.good());
}

TEST(StoreCli, VerifyPassesOnAGoodStoreAndFailsOnACorruptedOne) {
  TempDir tmp;
  CoraPartition cora = PartitionCora(tmp.File("cora"), 2);
  ASSERT_EQ(cora.meta.num_parts, 2);
  const std::string store = BinDir() + "/halo-store";
  for (int p = 0; p < 2; ++p) {
    CommandResult r = RunCommand(
        {store, "--verify", "--partition_dir=" + cora.dir, "--part=" + std::to_string(p)}, 60);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(Contains(r.output, "ok (")) << r.output;
  }
  CorruptLargestFile(cora.dir + "/" + cora.meta.parts[1].files.at("store"));
  CommandResult r = RunCommand({store, "--verify", "--partition_dir=" + cora.dir, "--part=1"}, 60);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(r.output, "halo-store: error:")) << r.output;
  // Part 0 is untouched.
  r = RunCommand({store, "--verify", "--partition_dir=" + cora.dir, "--part=0"}, 60);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // A missing store is named.
  std::filesystem::remove_all(cora.dir + "/" + cora.meta.parts[0].files.at("store"));
  r = RunCommand({store, "--verify", "--partition_dir=" + cora.dir, "--part=0"}, 60);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(r.output, "part0/store")) << r.output;
  r = RunCommand({store, "--partition_dir=" + cora.dir, "--part=0"}, 60);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(r.output, "part0/store")) << r.output;
}

TEST(StoreCli, ReadyFileSignalsAndTakenPort) {
  TempDir tmp;
  CoraPartition cora = PartitionCora(tmp.File("cora"), 2);
  ASSERT_EQ(cora.meta.num_parts, 2);
  const std::string ready = tmp.File("ready/part1.endpoint");  // the parent is created
  StoreProcess store(cora.dir, 1, {"--ready_file=" + ready});
  ASSERT_TRUE(store.WaitReady()) << store.process().output();
  {
    std::ifstream f(ready);
    std::string line;
    ASSERT_TRUE(std::getline(f, line)) << "no ready file";
    EXPECT_EQ(line, store.endpoint());
  }
  // A second store on the same endpoint fails clearly.
  CommandResult taken = RunCommand({BinDir() + "/halo-store", "--partition_dir=" + cora.dir,
                                    "--part=1", "--bind=" + store.endpoint()},
                                   60);
  EXPECT_EQ(taken.exit_code, 1) << taken.output;
  EXPECT_TRUE(Contains(taken.output, "cannot serve on " + store.endpoint())) << taken.output;

  store.process().Signal(SIGTERM);
  EXPECT_EQ(store.process().Wait(std::chrono::seconds(30)), 0);
  StoreProcess again(cora.dir, 0);
  ASSERT_TRUE(again.WaitReady()) << again.process().output();
  again.process().Signal(SIGINT);
  EXPECT_EQ(again.process().Wait(std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace halo::testing
