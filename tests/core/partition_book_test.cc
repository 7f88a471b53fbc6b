#include "core/partition_book.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/file_reader.h"
#include "tests/test_util.h"

namespace halo::core {
namespace {

using ::testing::HasSubstr;

PartitionMeta SampleMeta() {
  PartitionMeta m;
  m.graph_name = "g";
  m.num_nodes = 10;
  m.num_edges = 30;
  m.num_parts = 3;
  m.method = "metis";
  m.objective = "cut";
  m.balance = {"nodes", "train"};
  m.halo_hops = 2;
  m.edge_cut = 4;
  m.feature_dim = 8;
  m.num_classes = 3;
  m.node_map_file = "node_map.npy";
  const NodeId ranges[4] = {0, 4, 4, 10};  // part 1 is empty
  for (int p = 0; p < 3; ++p) {
    PartInfo info;
    info.id = p;
    info.node_begin = ranges[p];
    info.node_end = ranges[p + 1];
    info.num_inner = ranges[p + 1] - ranges[p];
    info.num_halo = p;
    info.num_local_edges = 10 + p;
    info.dir = "part" + std::to_string(p);
    info.files = {{"indptr", info.dir + "/indptr.npy"}};
    m.parts.push_back(info);
  }
  return m;
}

TEST(PartitionBookTest, OwnerIsABinarySearchOverRanges) {
  PartitionBook book = PartitionBook::FromMeta(SampleMeta());
  EXPECT_EQ(book.num_parts(), 3);
  EXPECT_EQ(book.num_nodes(), 10);
  for (NodeId id = 0; id < 10; ++id) {
    const PartId expected = id < 4 ? 0 : 2;  // naive scan: the empty part owns nothing
    EXPECT_EQ(book.Owner(id), expected) << id;
  }
  EXPECT_EQ(book.Owner(-1), -1);
  EXPECT_EQ(book.Owner(10), -1);
}

TEST(PartitionBookTest, MetaRoundTrips) {
  halo::testing::TempDir dir;
  const PartitionMeta m = SampleMeta();
  ASSERT_TRUE(WritePartitionMeta(dir.File("partition.json"), m).ok());
  auto back = ReadPartitionMeta(dir.path());  // the directory works too
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->balance, m.balance);
  EXPECT_EQ(back->edge_cut, 4);
  EXPECT_EQ(back->parts.size(), 3u);
  EXPECT_EQ(back->parts[2].node_begin, 4);
  EXPECT_EQ(back->parts[2].files.at("indptr"), "part2/indptr.npy");
  EXPECT_EQ(back->Offsets(), (std::vector<NodeId>{0, 4, 4, 10}));
}

TEST(PartitionBookTest, RejectsInconsistentMeta) {
  halo::testing::TempDir dir;
  PartitionMeta m = SampleMeta();
  m.parts[2].node_begin = 5;  // gap between parts 1 and 2
  m.parts[2].num_inner = 5;
  ASSERT_TRUE(WritePartitionMeta(dir.File("partition.json"), m).ok());
  auto r = ReadPartitionMeta(dir.File("partition.json"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("contiguous"));

  m = SampleMeta();
  m.format_version = 99;
  ASSERT_TRUE(WritePartitionMeta(dir.File("partition.json"), m).ok());
  EXPECT_THAT(ReadPartitionMeta(dir.path()).status().message(), HasSubstr("format_version 99"));

  halo::testing::WriteTextFile(dir.File("partition.json"), "{\"num_nodes\": 3");
  auto bad = ReadPartitionMeta(dir.path());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(bad.status().message(), HasSubstr("partition.json"));
}

}  // namespace
}  // namespace halo::core
