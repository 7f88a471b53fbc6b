#include "trainer/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace halo::trainer {
namespace {

using ::testing::HasSubstr;

TEST(TrainConfigTest, FileThenOverridesInOrder) {
  halo::testing::TempDir dir;
  halo::testing::WriteTextFile(dir.File("c.yaml"),
                               "dataset:\n  partition_dir: /p\nmodel:\n  type: gat\n  hidden: 8\n"
                               "train:\n  fanouts: [5, 3]\n  lr: 0.1\n");
  auto c = LoadTrainConfig(dir.File("c.yaml"), {"model.hidden=32", "train.fanouts=[10,5,2]",
                                                "model.num_layers=3", "model.hidden=33"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->dataset.partition_dir, "/p");
  EXPECT_EQ(c->model.type, "gat");
  EXPECT_EQ(c->model.hidden, 33);  // the last override wins
  EXPECT_EQ(c->train.fanouts, (std::vector<int64_t>{10, 5, 2}));
  EXPECT_FLOAT_EQ(c->train.lr, 0.1f);
  EXPECT_EQ(c->model.num_layers, 3);
  EXPECT_TRUE(ValidateTrainConfig(c.value()).ok());
}

TEST(TrainConfigTest, UnknownKeyNamesFileAndLine) {
  halo::testing::TempDir dir;
  halo::testing::WriteTextFile(dir.File("c.yaml"), "model:\n  type: gcn\n  hiden: 16\n");
  auto c = LoadTrainConfig(dir.File("c.yaml"), {});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("c.yaml:3"));
  EXPECT_THAT(c.status().message(), HasSubstr("unknown config key 'model.hiden'"));
}

TEST(TrainConfigTest, BadValuesAndSyntax) {
  halo::testing::TempDir dir;
  halo::testing::WriteTextFile(dir.File("v.yaml"), "train:\n  epochs: many\n");
  auto bad_value = LoadTrainConfig(dir.File("v.yaml"), {});
  ASSERT_FALSE(bad_value.ok());
  EXPECT_THAT(bad_value.status().message(), HasSubstr("v.yaml:2"));
  EXPECT_THAT(bad_value.status().message(), HasSubstr("'train.epochs'"));
  halo::testing::WriteTextFile(dir.File("s.yaml"), "model: [unclosed\n");
  EXPECT_THAT(LoadTrainConfig(dir.File("s.yaml"), {}).status().message(),
              HasSubstr("YAML syntax error"));
  EXPECT_EQ(LoadTrainConfig(dir.File("missing.yaml"), {}).status().code(),
            core::StatusCode::kNotFound);
  EXPECT_THAT(LoadTrainConfig("", {"nokey"}).status().message(), HasSubstr("key=value"));
  EXPECT_THAT(LoadTrainConfig("", {"train.nope=1"}).status().message(),
              HasSubstr("unknown config key 'train.nope'"));
}

TEST(TrainConfigTest, ValidationNamesTheKey) {
  auto c = LoadTrainConfig("", {"dataset.partition_dir=/p", "model.type=mlp"});
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(ValidateTrainConfig(c.value()).message(), HasSubstr("model.type"));
  c = LoadTrainConfig("", {"dataset.partition_dir=/p", "train.fanouts=[5]"});
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(ValidateTrainConfig(c.value()).message(), HasSubstr("train.fanouts"));
  c = LoadTrainConfig("", {});
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(ValidateTrainConfig(c.value()).message(), HasSubstr("dataset.partition_dir"));
}

TEST(TrainConfigTest, ResolvedYamlRoundTrips) {
  auto c = LoadTrainConfig(
      "", {"dataset.partition_dir=/p", "model.heads=4", "train.fanouts=[7,3]", "output_dir=/o"});
  ASSERT_TRUE(c.ok());
  halo::testing::TempDir dir;
  halo::testing::WriteTextFile(dir.File("r.yaml"), TrainConfigToYaml(c.value()));
  auto back = LoadTrainConfig(dir.File("r.yaml"), {});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->model.heads, 4);
  EXPECT_EQ(back->train.fanouts, (std::vector<int64_t>{7, 3}));
  EXPECT_EQ(back->output_dir, "/o");
  EXPECT_EQ(TrainConfigToYaml(back.value()), TrainConfigToYaml(c.value()));
}

TEST(TrainConfigTest, ShippedConfigsLoadAndValidate) {
  for (const char* name : {"cora-gcn.yaml", "cora-gat.yaml", "cora-sage.yaml"}) {
    auto c = LoadTrainConfig(halo::testing::SourceDir() + "/configs/" + name, {});
    ASSERT_TRUE(c.ok()) << name << ": " << c.status().ToString();
    EXPECT_TRUE(ValidateTrainConfig(c.value()).ok()) << name;
  }
}

}  // namespace
}  // namespace halo::trainer
