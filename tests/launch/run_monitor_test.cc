// RunMonitor: halo-progress / halo-result lines, the status line, and result.json.
#include "launch/run_monitor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace halo::launch {
namespace {

using ::testing::HasSubstr;

LaunchPlan TwoRanks() {
  LaunchPlan plan;
  plan.num_parts = 2;
  plan.world_size = 2;
  for (int r = 0; r < 2; ++r) {
    ProcessSpec t;
    t.rank = r;
    t.part = r;
    t.host_name = r == 0 ? "a" : "b";
    t.part_rank = 0;
    t.part_trainers = 1;
    plan.trainers.push_back(t);
  }
  return plan;
}

TEST(RunMonitorTest, ClassifiesLines) {
  RunMonitor m(TwoRanks());
  EXPECT_EQ(m.OnLine(0, "epoch 1 loss 0.3").value(), RunMonitor::LineKind::kOther);
  EXPECT_EQ(m.OnLine(0, "halo-progress {\"epoch\":1,\"epochs\":5,\"loss\":0.5}").value(),
            RunMonitor::LineKind::kProgress);
  EXPECT_EQ(m.OnLine(1, "halo-result {\"test_acc\":0.8}").value(), RunMonitor::LineKind::kResult);
  auto bad = m.OnLine(1, "halo-progress {epoch: 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("rank 1: malformed halo-progress line"));
  EXPECT_FALSE(m.OnLine(1, "halo-result [1, 2]").ok());
  EXPECT_FALSE(m.OnLine(5, "halo-result {}").ok());
}

TEST(RunMonitorTest, StatusLineShowsTheLeadRanksThroughputAndTheSlowestRank) {
  RunMonitor m(TwoRanks());
  EXPECT_EQ(m.StatusLine(1), "");
  ASSERT_TRUE(m.OnLine(0,
                       "halo-progress {\"rank\":0,\"epoch\":2,\"epochs\":10,\"loss\":0.51234,"
                       "\"epoch_seconds\":0.8,\"seeds_per_second\":1000,\"val_acc\":0.75}")
                  .ok());
  // Epoch 2 (0-based) finished: 3 of 10 done.
  EXPECT_EQ(m.StatusLine(12),
            "epoch 3/10 | loss 0.5123 | 0.80 s/epoch | 1000 seeds/s | val_acc 0.750 | 1/2 ranks "
            "reporting "
            "| 12s");
  ASSERT_TRUE(m.OnLine(1,
                       "halo-progress {\"rank\":1,\"epoch\":0,\"epochs\":10,\"loss\":0.7,"
                       "\"epoch_seconds\":0.9,\"seeds_per_second\":500.4}")
                  .ok());
  EXPECT_EQ(m.StatusLine(75),  // rank 1 is 2 epochs behind
            "epoch 3/10 | loss 0.5123 | 0.80 s/epoch | 1000 seeds/s | val_acc 0.750 | slowest "
            "rank at epoch 1 | 2/2 ranks reporting | 1m15s");
  // One epoch behind is the normal order of reports.
  ASSERT_TRUE(m.OnLine(1, "halo-progress {\"epoch\":1}").ok());
  EXPECT_EQ(m.StatusLine(75),
            "epoch 3/10 | loss 0.5123 | 0.80 s/epoch | 1000 seeds/s | val_acc 0.750 | 2/2 ranks "
            "reporting "
            "| 1m15s");
}

TEST(RunMonitorTest, ResultJsonTakesRankZerosAccuracyAndEveryRanksStats) {
  RunMonitor m(TwoRanks());
  ASSERT_TRUE(m.OnLine(0,
                       "halo-result {\"test_acc\":0.81,\"val_acc\":0.79,\"epoch_seconds\":[1.5,"
                       "1.25],\"seeds_per_second\":100.5}")
                  .ok());
  ASSERT_TRUE(m.OnLine(1, "halo-result {\"test_acc\":0.5,\"seeds_per_second\":50}").ok());
  m.OnExit(0, 0);
  m.OnExit(1, 0);
  EXPECT_TRUE(m.MissingResults().empty());
  const nlohmann::json j = nlohmann::json::parse(m.ResultJson("/runs/r", 12.5));
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["output_dir"], "/runs/r");
  EXPECT_EQ(j["test_acc"], 0.81);
  EXPECT_EQ(j["val_acc"], 0.79);
  EXPECT_EQ(j["epoch_seconds"], nlohmann::json::parse("[1.5, 1.25]"));
  // Each rank reports the whole run's throughput: rank 0's is the run's.
  EXPECT_EQ(j["seeds_per_second"], 100.5);
  EXPECT_EQ(j["wall_seconds"], 12.5);
  EXPECT_EQ(j["world_size"], 2);
  ASSERT_EQ(j["ranks"].size(), 2u);
  EXPECT_EQ(j["ranks"][1]["host"], "b");
  EXPECT_EQ(j["ranks"][1]["part"], 1);
  EXPECT_EQ(j["ranks"][1]["exit_code"], 0);
  EXPECT_EQ(j["ranks"][1]["result"]["test_acc"], 0.5);
}

TEST(RunMonitorTest, MissingResultsAreNull) {
  RunMonitor m(TwoRanks());
  ASSERT_TRUE(m.OnLine(1, "halo-result {\"test_acc\":0.5}").ok());
  EXPECT_EQ(m.MissingResults(), std::vector<int>{0});
  const nlohmann::json j = nlohmann::json::parse(m.ResultJson("/r", 1));
  EXPECT_TRUE(j["test_acc"].is_null());
  EXPECT_TRUE(j["seeds_per_second"].is_null());
  EXPECT_TRUE(j["ranks"][0]["result"].is_null());
}

}  // namespace
}  // namespace halo::launch
