// Accuracy on bundled Cora with the standard Planetoid split (140/500/1000), mean over 10 seeds,
// with the shipped configs: the bar the literature sets for each model.
#include <gtest/gtest.h>

#include <cstdio>
#include <numeric>

#include "core/logging.h"
#include "partition/pipeline.h"
#include "tests/test_util.h"
#include "trainer/config.h"
#include "trainer/trainer.h"

namespace halo::trainer {
namespace {

class CoraAccuracyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    core::SetMinLogLevel(core::LogLevel::kWarning);
    dir_ = new halo::testing::TempDir();
    partition::PartitionOptions options;
    options.num_parts = 1;
    options.output = dir_->File("cora-1part");
    auto report = partition::RunPartition(halo::testing::DataPath("cora/planetoid_txt"),
                                          "planetoid-txt", options);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
  }
  static void TearDownTestSuite() {
    delete dir_;
    core::SetMinLogLevel(core::LogLevel::kInfo);
  }

  // Mean test accuracy (at the best validation epoch) over `seeds` runs of `config_file`.
  static double MeanAccuracy(const std::string& config_file, int seeds,
                             const std::vector<std::string>& extra = {}) {
    std::vector<double> accs;
    for (int seed = 0; seed < seeds; ++seed) {
      std::vector<std::string> overrides = {
          "dataset.partition_dir=" + dir_->File("cora-1part"),
          "output_dir=" + dir_->File("run-" + config_file + "-" + std::to_string(seed)),
          "train.seed=" + std::to_string(seed)};
      overrides.insert(overrides.end(), extra.begin(), extra.end());
      auto config =
          LoadTrainConfig(halo::testing::SourceDir() + "/configs/" + config_file, overrides);
      EXPECT_TRUE(config.ok()) << config.status().ToString();
      if (!config.ok()) return 0.0;
      auto trainer = Trainer::Create(config.value());
      EXPECT_TRUE(trainer.ok()) << trainer.status().ToString();
      if (!trainer.ok()) return 0.0;
      auto result = trainer.value()->Run();
      EXPECT_TRUE(result.ok()) << result.status().ToString();
      if (!result.ok()) return 0.0;
      accs.push_back(result.value().test_acc);
      std::printf("%s seed %d: test %.4f (val %.4f, epoch %d)\n", config_file.c_str(), seed,
                  result.value().test_acc, result.value().val_acc, result.value().best_epoch);
    }
    const double mean = std::accumulate(accs.begin(), accs.end(), 0.0) / accs.size();
    std::printf("%s: mean test accuracy over %d seeds: %.4f\n", config_file.c_str(), seeds, mean);
    return mean;
  }

  static halo::testing::TempDir* dir_;
};

halo::testing::TempDir* CoraAccuracyTest::dir_ = nullptr;

TEST_F(CoraAccuracyTest, Gcn) { EXPECT_GE(MeanAccuracy("cora-gcn.yaml", 10), 0.810); }

TEST_F(CoraAccuracyTest, Gat) { EXPECT_GE(MeanAccuracy("cora-gat.yaml", 10), 0.825); }

TEST_F(CoraAccuracyTest, SampledSage) { EXPECT_GE(MeanAccuracy("cora-sage.yaml", 10), 0.800); }

}  // namespace
}  // namespace halo::trainer
