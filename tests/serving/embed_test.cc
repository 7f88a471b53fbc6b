// halo-embed: layer-wise inference over the parts of a partitioned Cora equals a single-process
// forward over the whole graph (trainer::Model::Forward on one full-graph block), for GCN, SAGE
// and GAT; the halo-embed binary writes that result into an embedding store; bad runs fail
// clearly.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "core/fs.h"
#include "core/npy.h"
#include "sampler/full_graph.h"
#include "serving/embedding_store.h"
#include "serving/layerwise_inference.h"
#include "tests/integration/cora_cluster.h"
#include "tests/test_util.h"
#include "trainer/checkpoint.h"
#include "trainer/config.h"
#include "trainer/dataset.h"
#include "trainer/model.h"
#include "trainer/optim.h"

namespace halo {
namespace {

using testing::TempDir;

trainer::ModelConfig ModelOf(const std::string& type) {
  trainer::ModelConfig m;
  m.type = type;
  m.hidden = 16;
  m.heads = 2;
  m.num_layers = 2;
  return m;
}

// Logits of every node by original ID: one forward over the whole (1-part) graph.
std::map<int64_t, std::vector<float>> ReferenceLogits(trainer::Model* model,
                                                      const std::string& one_part_dir) {
  auto data = trainer::LoadTrainingData(one_part_dir, 0, /*normalize_features=*/true);
  EXPECT_TRUE(data.ok()) << data.status().ToString();
  const auto x = core::Tensor::FromVector(data->features, data->num_local, data->feature_dim);
  const trainer::GraphBlock block = trainer::MakeGraphBlock(
      sampler::FullGraphBlock(data->csr), model->block_options(), core::Device::kCpu);
  std::vector<const trainer::GraphBlock*> blocks(static_cast<size_t>(model->num_layers()), &block);
  const std::vector<float> logits = model->Forward(blocks, x, false, 0).ToVector();
  auto map = core::ReadNpyAs<int64_t>(one_part_dir + "/" + data->meta.node_map_file);
  EXPECT_TRUE(map.ok());
  std::map<int64_t, std::vector<float>> out;
  const auto c = static_cast<size_t>(data->num_classes);
  for (size_t g = 0; g < map->size(); ++g) {
    out[(*map)[g]] = std::vector<float>(logits.begin() + g * c, logits.begin() + (g + 1) * c);
  }
  return out;
}

class EmbedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    one_part_ = testing::PartitionCora(dir_->File("cora-1"), 1).meta;
    three_parts_ = testing::PartitionCora(dir_->File("cora-3"), 3).meta;
  }
  static void TearDownTestSuite() { delete dir_; }
  static TempDir* dir_;
  static core::PartitionMeta one_part_, three_parts_;
};
TempDir* EmbedTest::dir_ = nullptr;
core::PartitionMeta EmbedTest::one_part_;
core::PartitionMeta EmbedTest::three_parts_;

class EmbedModelTest : public EmbedTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(EmbedModelTest, LayerwiseOverPartsEqualsWholeGraphForward) {
  auto model = trainer::Model::Create(ModelOf(GetParam()), one_part_.feature_dim,
                                      one_part_.num_classes, core::Device::kCpu, 7);
  ASSERT_TRUE(model.ok());
  const auto reference = ReferenceLogits(model->get(), dir_->File("cora-1"));
  auto result =
      serving::LayerwiseInference(model->get(), dir_->File("cora-3"), true, core::Device::kCpu);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->num_nodes, three_parts_.num_nodes);
  EXPECT_EQ(result->dim, GetParam() == "gat" ? 16 * 2 : 16);
  auto map = core::ReadNpyAs<int64_t>(dir_->File("cora-3") + "/" + three_parts_.node_map_file);
  ASSERT_TRUE(map.ok());
  const auto c = static_cast<size_t>(result->num_classes);
  ASSERT_EQ(result->num_classes, one_part_.num_classes);
  double worst = 0;
  for (size_t g = 0; g < map->size(); ++g) {
    const std::vector<float>& want = reference.at((*map)[g]);
    for (size_t k = 0; k < c; ++k) {
      worst = std::max(worst, std::fabs(double{result->logits[g * c + k]} - want[k]));
    }
  }
  EXPECT_LE(worst, 1e-4) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Models, EmbedModelTest, ::testing::Values("gcn", "sage", "gat"));

TEST_F(EmbedTest, LearnedInputEmbeddingsAreAppendedToTheFeatures) {
  const int64_t e = 4;
  auto model = trainer::Model::Create(ModelOf("sage"), one_part_.feature_dim + e,
                                      one_part_.num_classes, core::Device::kCpu, 5);
  ASSERT_TRUE(model.ok());
  // One embedding row per node, a function of its original ID, laid out per partition.
  auto rows_for = [&](const std::string& dir, const core::PartitionMeta& meta) {
    auto map = core::ReadNpyAs<int64_t>(dir + "/" + meta.node_map_file);
    EXPECT_TRUE(map.ok());
    serving::InputEmbedding emb;
    emb.dim = e;
    for (int64_t original : *map) {
      for (int64_t k = 0; k < e; ++k) emb.rows.push_back(std::sin(0.37 * original + k));
    }
    return emb;
  };
  const serving::InputEmbedding emb1 = rows_for(dir_->File("cora-1"), one_part_);
  const serving::InputEmbedding emb3 = rows_for(dir_->File("cora-3"), three_parts_);
  // Reference: the whole graph with [features | embedding] as input.
  auto data = trainer::LoadTrainingData(dir_->File("cora-1"), 0, true);
  ASSERT_TRUE(data.ok());
  const int64_t f = data->feature_dim;
  std::vector<float> x(static_cast<size_t>(data->num_local * (f + e)));
  for (int64_t r = 0; r < data->num_local; ++r) {
    std::copy_n(data->features.begin() + r * f, f, x.begin() + r * (f + e));
    std::copy_n(emb1.rows.begin() + r * e, e, x.begin() + r * (f + e) + f);
  }
  const trainer::GraphBlock block = trainer::MakeGraphBlock(
      sampler::FullGraphBlock(data->csr), model.value()->block_options(), core::Device::kCpu);
  std::vector<const trainer::GraphBlock*> blocks(2, &block);
  const std::vector<float> want =
      model.value()
          ->Forward(blocks, core::Tensor::FromVector(x, data->num_local, f + e), false, 0)
          .ToVector();
  auto got = serving::LayerwiseInference(model->get(), dir_->File("cora-3"), true,
                                         core::Device::kCpu, nullptr, &emb3);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  auto map1 = core::ReadNpyAs<int64_t>(dir_->File("cora-1") + "/" + one_part_.node_map_file);
  auto map3 = core::ReadNpyAs<int64_t>(dir_->File("cora-3") + "/" + three_parts_.node_map_file);
  ASSERT_TRUE(map1.ok() && map3.ok());
  std::map<int64_t, size_t> row_of;
  for (size_t g = 0; g < map1->size(); ++g) row_of[(*map1)[g]] = g;
  const auto c = static_cast<size_t>(got->num_classes);
  double worst = 0;
  for (size_t g = 0; g < map3->size(); ++g) {
    const size_t r = row_of.at((*map3)[g]);
    for (size_t k = 0; k < c; ++k) {
      worst = std::max(worst, std::fabs(double{got->logits[g * c + k]} - want[r * c + k]));
    }
  }
  EXPECT_LE(worst, 1e-4);
}

// A training run directory as halo-train leaves it: config.yaml and a checkpoint.
void WriteRun(const std::string& run_dir, const std::string& partition_dir, trainer::Model* model,
              const trainer::ModelConfig& mc) {
  trainer::TrainConfig config;
  config.dataset.partition_dir = partition_dir;
  config.model = mc;
  config.output_dir = run_dir;
  ASSERT_TRUE(core::MakeDirs(run_dir).ok());
  ASSERT_TRUE(
      core::WriteFileAtomic(run_dir + "/config.yaml", trainer::TrainConfigToYaml(config)).ok());
  auto optimizer = trainer::Optimizer::Create({}, model->parameters());
  ASSERT_TRUE(optimizer.ok());
  trainer::CheckpointState state;
  state.step = 3;
  ASSERT_TRUE(
      trainer::WriteCheckpoint(run_dir, model->parameters(), optimizer->get(), state, 2).ok());
}

TEST_F(EmbedTest, BinaryWritesAStoreOfTheForwardResult) {
  const trainer::ModelConfig mc = ModelOf("sage");
  auto model = trainer::Model::Create(mc, one_part_.feature_dim, one_part_.num_classes,
                                      core::Device::kCpu, 11);
  ASSERT_TRUE(model.ok());
  const std::string run = dir_->File("run-sage");
  WriteRun(run, dir_->File("cora-3"), model->get(), mc);
  const std::string out = dir_->File("emb-sage");
  const auto r = testing::RunCommand({testing::BinDir() + "/halo-embed", "--run_dir=" + run,
                                      "--output=" + out, "--export_npy=" + out + "-npy"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("halo-embed: wrote 2708 embeddings (dim 16"), std::string::npos)
      << r.output;
  auto store = serving::EmbeddingStore::Open(out);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE(store->get()->has_logits());
  const auto reference = ReferenceLogits(model->get(), dir_->File("cora-1"));
  double worst = 0;
  int64_t agree = 0;
  for (int64_t g = 0; g < store->get()->num_nodes(); ++g) {
    const std::vector<float>& want = reference.at(store->get()->OriginalId(g));
    const float* got = store->get()->logits(g);
    int64_t argmax = 0;
    for (size_t k = 0; k < want.size(); ++k) {
      worst = std::max(worst, std::fabs(double{got[k]} - want[k]));
      if (want[k] > want[static_cast<size_t>(argmax)]) argmax = static_cast<int64_t>(k);
    }
    agree += store->get()->prediction(g) == argmax;
  }
  EXPECT_LE(worst, 1e-4);
  EXPECT_EQ(agree, store->get()->num_nodes());
  auto exported = core::ReadNpyAs<float>(out + "-npy/embeddings.npy");
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ(exported->size(), static_cast<size_t>(2708 * 16));
}

TEST_F(EmbedTest, RunWithoutCheckpointFailsClearly) {
  const std::string run = dir_->File("run-empty");
  ASSERT_TRUE(core::MakeDirs(run).ok());
  trainer::TrainConfig config;
  config.dataset.partition_dir = dir_->File("cora-3");
  ASSERT_TRUE(core::WriteFileAtomic(run + "/config.yaml", trainer::TrainConfigToYaml(config)).ok());
  const auto r = testing::RunCommand(
      {testing::BinDir() + "/halo-embed", "--run_dir=" + run, "--output=" + dir_->File("never")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("has no checkpoint"), std::string::npos) << r.output;
  const auto missing =
      testing::RunCommand({testing::BinDir() + "/halo-embed", "--run_dir=" + dir_->File("nope"),
                           "--output=" + dir_->File("never")});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("not a training run"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace halo
