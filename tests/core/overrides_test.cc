#include "core/overrides.h"

#include <gtest/gtest.h>

namespace halo::core {
namespace {

TEST(SplitOverridesTest, KeepsCommasInsideBracketsAndBraces) {
  EXPECT_EQ(
      SplitOverrides("a=1,train.fanouts=[10,5],c={x: 1, y: [2, 3]},d=z"),
      (std::vector<std::string>{"a=1", "train.fanouts=[10,5]", "c={x: 1, y: [2, 3]}", "d=z"}));
  EXPECT_TRUE(SplitOverrides("").empty());
  EXPECT_EQ(SplitOverrides("a=1,,b=2"), (std::vector<std::string>{"a=1", "b=2"}));
}

}  // namespace
}  // namespace halo::core
