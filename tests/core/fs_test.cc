#include "core/fs.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/file_reader.h"
#include "tests/test_util.h"

namespace halo::core {
namespace {

namespace fs = std::filesystem;

TEST(StagingDirTest, CommitMovesIntoPlace) {
  halo::testing::TempDir dir;
  const std::string out = dir.File("out");
  {
    auto staging = StagingDir::Create(out, false);
    ASSERT_TRUE(staging.ok());
    halo::testing::WriteTextFile(staging->path() + "/a.txt", "hello");
    EXPECT_FALSE(fs::exists(out));  // nothing visible before the commit
    ASSERT_TRUE(staging->Commit().ok());
  }
  EXPECT_EQ(ReadFileToString(out + "/a.txt").value(), "hello");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(StagingDirTest, AbandonedStagingLeavesNothing) {
  halo::testing::TempDir dir;
  {
    auto staging = StagingDir::Create(dir.File("out"), false);
    ASSERT_TRUE(staging.ok());
    halo::testing::WriteTextFile(staging->path() + "/a.txt", "half");
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(StagingDirTest, ExistingOutputNeedsOverwrite) {
  halo::testing::TempDir dir;
  const std::string out = dir.File("out");
  halo::testing::WriteTextFile(out + "/old.txt", "old");
  auto refused = StagingDir::Create(out, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(fs::exists(out + "/old.txt"));
  auto staging = StagingDir::Create(out, true);
  ASSERT_TRUE(staging.ok());
  halo::testing::WriteTextFile(staging->path() + "/new.txt", "new");
  EXPECT_TRUE(fs::exists(out + "/old.txt"));  // untouched until commit
  ASSERT_TRUE(staging->Commit().ok());
  EXPECT_FALSE(fs::exists(out + "/old.txt"));
  EXPECT_TRUE(fs::exists(out + "/new.txt"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(WriteFileAtomicTest, ReplacesContent) {
  halo::testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.File("f"), "one").ok());
  ASSERT_TRUE(WriteFileAtomic(dir.File("f"), "two").ok());
  EXPECT_EQ(ReadFileToString(dir.File("f")).value(), "two");
  EXPECT_FALSE(WriteFileAtomic(dir.File("no/such/dir/f"), "x").ok());
}

}  // namespace
}  // namespace halo::core
