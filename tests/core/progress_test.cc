#include "core/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace halo::core {
namespace {

using ::testing::HasSubstr;

TEST(ProgressTest, PlainModeLogsDecilesOnce) {
  Progress::ForceInteractive(false);
  ::testing::internal::CaptureStderr();
  {
    Progress p("work", 100);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&p] {
        for (int i = 0; i < 25; ++i) p.Add(1);
      });
    }
    for (auto& t : threads) t.join();
  }
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(out, HasSubstr("work: started (100)"));
  EXPECT_THAT(out, HasSubstr("work: 50%"));
  EXPECT_THAT(out, HasSubstr("work: done in"));
  // Each decile at most once, no terminal control codes in plain mode.
  size_t count = 0;
  for (size_t pos = out.find("work: 30%"); pos != std::string::npos;
       pos = out.find("work: 30%", pos + 1))
    ++count;
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(out.find('\r'), std::string::npos);
}

TEST(ProgressTest, InteractiveModeRedrawsOneLine) {
  Progress::ForceInteractive(true);
  ::testing::internal::CaptureStderr();
  {
    Progress p("epoch", 10);
    p.Add(10);
    p.Finish();
  }
  const std::string out = ::testing::internal::GetCapturedStderr();
  Progress::ForceInteractive(false);
  EXPECT_THAT(out, HasSubstr("\r\033[K[epoch]"));
  EXPECT_THAT(out, HasSubstr("epoch: done in"));
}

}  // namespace
}  // namespace halo::core
