#include "core/file_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace halo::core {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> ReadAllLines(const std::string& path) {
  auto reader = LineReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<std::string> lines;
  std::string_view line;
  while (reader.value()->Next(&line)) lines.emplace_back(line);
  EXPECT_TRUE(reader.value()->status().ok());
  return lines;
}

TEST(LineReaderTest, PlainAndGzipGiveTheSameLines) {
  halo::testing::TempDir dir;
  const std::string text = "a b\r\n\nthird line\nno newline at end";
  halo::testing::WriteTextFile(dir.File("plain.txt"), text);
  halo::testing::WriteTextFile(dir.File("packed.txt.gz"), text, /*gzip=*/true);
  const std::vector<std::string> expected = {"a b", "", "third line", "no newline at end"};
  EXPECT_EQ(ReadAllLines(dir.File("plain.txt")), expected);
  EXPECT_EQ(ReadAllLines(dir.File("packed.txt.gz")), expected);
}

TEST(LineReaderTest, LinesLongerThanTheBuffer) {
  halo::testing::TempDir dir;
  std::string long_line(3 << 20, 'x');  // 3 MiB, spans several 1 MiB refills
  halo::testing::WriteTextFile(dir.File("long.txt"), "head\n" + long_line + "\ntail\n", true);
  auto lines = ReadAllLines(dir.File("long.txt"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "head");
  EXPECT_EQ(lines[1], long_line);
  EXPECT_EQ(lines[2], "tail");
}

TEST(LineReaderTest, ErrorNamesFileAndLine) {
  halo::testing::TempDir dir;
  halo::testing::WriteTextFile(dir.File("e.csv"), "1,2\n3,x\n");
  auto reader = LineReader::Open(dir.File("e.csv"));
  ASSERT_TRUE(reader.ok());
  std::string_view line;
  ASSERT_TRUE(reader.value()->Next(&line));
  ASSERT_TRUE(reader.value()->Next(&line));
  Status err = reader.value()->Error("bad id 'x'");
  EXPECT_EQ(err.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(err.message(), HasSubstr("e.csv:2: bad id 'x'"));
}

TEST(LineReaderTest, MissingFileAndDirectory) {
  halo::testing::TempDir dir;
  auto missing = LineReader::Open(dir.File("nope.txt"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.txt"));
  auto is_dir = LineReader::Open(dir.path());
  ASSERT_FALSE(is_dir.ok());
  EXPECT_THAT(is_dir.status().message(), HasSubstr("is a directory"));
}

TEST(ResolveMaybeGzTest, FindsPlainThenGz) {
  halo::testing::TempDir dir;
  halo::testing::WriteTextFile(dir.File("a.csv.gz"), "1\n", true);
  auto r = ResolveMaybeGz(dir.File("a.csv"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), dir.File("a.csv.gz"));
  halo::testing::WriteTextFile(dir.File("a.csv"), "1\n");
  EXPECT_EQ(ResolveMaybeGz(dir.File("a.csv")).value(), dir.File("a.csv"));
  EXPECT_EQ(ResolveMaybeGz(dir.File("b.csv")).status().code(), StatusCode::kNotFound);
}

TEST(ReadFileToStringTest, ReadsGzipTransparently) {
  halo::testing::TempDir dir;
  std::string payload;
  for (int i = 0; i < 100000; ++i) payload += std::to_string(i) + "\n";
  halo::testing::WriteTextFile(dir.File("p.gz"), payload, true);
  auto r = ReadFileToString(dir.File("p.gz"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), payload);
}

TEST(SplitFieldsTest, DelimitersAndWhitespace) {
  std::vector<std::string_view> f;
  EXPECT_EQ(SplitFields("1, 2 ,3", ',', &f), 3u);
  EXPECT_EQ(f[1], "2");
  EXPECT_EQ(SplitFields("a\t\tb", '\t', &f), 3u);  // empty middle field is kept
  EXPECT_EQ(f[1], "");
  EXPECT_EQ(SplitFields("  x  y\tz ", ' ', &f), 3u);  // runs of blanks split once
  EXPECT_EQ(f[0], "x");
  EXPECT_EQ(f[2], "z");
  EXPECT_EQ(SplitFields("   ", ' ', &f), 0u);
}

TEST(ParseTest, StrictNumbers) {
  int64_t i;
  EXPECT_TRUE(ParseInt64(" 42 ", &i));
  EXPECT_EQ(i, 42);
  EXPECT_TRUE(ParseInt64("-7", &i));
  EXPECT_EQ(i, -7);
  EXPECT_TRUE(ParseInt64("+9223372036854775807", &i));
  EXPECT_EQ(i, INT64_MAX);
  EXPECT_FALSE(ParseInt64("9223372036854775808", &i));  // overflow
  EXPECT_FALSE(ParseInt64("12a", &i));
  EXPECT_FALSE(ParseInt64("", &i));
  EXPECT_FALSE(ParseInt64("1.5", &i));
  float f;
  EXPECT_TRUE(ParseFloat("1.5e-3", &f));
  EXPECT_FLOAT_EQ(f, 1.5e-3f);
  EXPECT_TRUE(ParseFloat("-2", &f));
  EXPECT_FLOAT_EQ(f, -2.0f);
  EXPECT_FALSE(ParseFloat("abc", &f));
  EXPECT_FALSE(ParseFloat("1.0x", &f));
}

}  // namespace
}  // namespace halo::core
