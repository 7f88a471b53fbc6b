// Checkpoints: a round trip restores parameters, optimizer state and position exactly; only the
// newest `keep` remain; half-written (staging) directories are ignored; mismatched models are
// refused with the file named.
#include "trainer/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/fs.h"
#include "tests/test_util.h"
#include "trainer/model.h"

namespace halo::trainer {
namespace {

std::unique_ptr<Model> MakeModel(const std::string& type, uint64_t seed) {
  ModelConfig mc;
  mc.type = type;
  mc.hidden = 8;
  auto m = Model::Create(mc, 5, 3, core::Device::kCpu, seed);
  EXPECT_TRUE(m.ok());
  return std::move(m).value();
}

void FillGrads(Model* model, float value) {
  for (Parameter* p : model->parameters()) {
    std::vector<float> g(static_cast<size_t>(p->grad.numel()), value);
    p->grad = core::Tensor::FromVector(g, p->grad.rows(), p->grad.cols());
  }
}

TEST(CheckpointTest, RoundTripRestoresParametersOptimizerAndPosition) {
  testing::TempDir dir;
  auto a = MakeModel("sage", 1);
  auto opt_a = Optimizer::Create({}, a->parameters());
  ASSERT_TRUE(opt_a.ok());
  FillGrads(a.get(), 0.25f);
  opt_a.value()->Step();
  opt_a.value()->Step();
  CheckpointState state;
  state.epoch = 4;
  state.batch_in_epoch = 2;
  state.step = 17;
  state.extra_json = R"({"best_val_acc":0.5})";
  auto path = WriteCheckpoint(dir.path(), a->parameters(), opt_a.value().get(), state, 2);
  ASSERT_TRUE(path.ok()) << path.status().ToString();

  auto b = MakeModel("sage", 99);  // different initial values
  auto opt_b = Optimizer::Create({}, b->parameters());
  ASSERT_TRUE(opt_b.ok());
  auto latest = FindLatestCheckpoint(dir.path());
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ(**latest, *path);
  auto loaded = LoadCheckpoint(**latest, b->parameters(), opt_b.value().get());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->epoch, 4);
  EXPECT_EQ(loaded->batch_in_epoch, 2);
  EXPECT_EQ(loaded->step, 17);
  EXPECT_NE(loaded->extra_json.find("best_val_acc"), std::string::npos);
  EXPECT_EQ(opt_b.value()->step(), 2);
  for (size_t i = 0; i < a->parameters().size(); ++i) {
    EXPECT_EQ(a->parameters()[i]->value.ToVector(), b->parameters()[i]->value.ToVector());
  }
  const auto sa = opt_a.value()->state();
  const auto sb = opt_b.value()->state();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) EXPECT_EQ(sa[i]->ToVector(), sb[i]->ToVector());
  // The same next update on both: identical values.
  FillGrads(a.get(), -0.5f);
  FillGrads(b.get(), -0.5f);
  opt_a.value()->Step();
  opt_b.value()->Step();
  for (size_t i = 0; i < a->parameters().size(); ++i) {
    EXPECT_EQ(a->parameters()[i]->value.ToVector(), b->parameters()[i]->value.ToVector());
  }
}

TEST(CheckpointTest, KeepsNewestAndIgnoresStagingDirectories) {
  testing::TempDir dir;
  auto m = MakeModel("gcn", 1);
  auto opt = Optimizer::Create({}, m->parameters());
  ASSERT_TRUE(opt.ok());
  for (int64_t step : {5, 10, 15, 20}) {
    CheckpointState s;
    s.step = step;
    ASSERT_TRUE(WriteCheckpoint(dir.path(), m->parameters(), opt.value().get(), s, 2).ok());
  }
  int count = 0;
  for (const auto& e : std::filesystem::directory_iterator(CheckpointDir(dir.path()))) {
    (void)e;
    ++count;
  }
  EXPECT_EQ(count, 2);
  // A crash mid-write leaves a staging directory: never taken for a checkpoint.
  ASSERT_TRUE(core::MakeDirs(CheckpointDir(dir.path()) + "/ckpt-000000000999.tmp-1234").ok());
  auto latest = FindLatestCheckpoint(dir.path());
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_NE(latest->value().find("ckpt-000000000020"), std::string::npos) << **latest;
}

TEST(CheckpointTest, NoCheckpointIsNotAnError) {
  testing::TempDir dir;
  auto latest = FindLatestCheckpoint(dir.path());
  ASSERT_TRUE(latest.ok());
  EXPECT_FALSE(latest->has_value());
}

TEST(CheckpointTest, MismatchedModelIsRefusedNamingTheFile) {
  testing::TempDir dir;
  auto sage = MakeModel("sage", 1);
  auto opt = Optimizer::Create({}, sage->parameters());
  ASSERT_TRUE(opt.ok());
  auto path = WriteCheckpoint(dir.path(), sage->parameters(), opt.value().get(), {}, 1);
  ASSERT_TRUE(path.ok());
  auto gcn = MakeModel("gcn", 1);
  auto loaded = LoadCheckpoint(*path, gcn->parameters(), nullptr);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("state.json"), std::string::npos)
      << loaded.status().ToString();
  // A different hidden size: the tensor file is named.
  ModelConfig wide;
  wide.type = "sage";
  wide.hidden = 16;
  auto other = Model::Create(wide, 5, 3, core::Device::kCpu, 1);
  ASSERT_TRUE(other.ok());
  loaded = LoadCheckpoint(*path, other.value()->parameters(), nullptr);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(".npy"), std::string::npos)
      << loaded.status().ToString();
}

}  // namespace
}  // namespace halo::trainer
