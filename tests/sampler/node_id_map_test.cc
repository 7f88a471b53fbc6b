#include "sampler/node_id_map.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace halo::sampler {
namespace {

TEST(NodeIdMapTest, AssignsLocalIdsInFirstSeenOrder) {
  NodeIdMap map;
  EXPECT_EQ(map.Insert(42), 0);
  EXPECT_EQ(map.Insert(7), 1);
  EXPECT_EQ(map.Insert(42), 0);
  EXPECT_EQ(map.Insert(0), 2);
  EXPECT_EQ(map.size(), 3);
  EXPECT_EQ(map.ids(), (std::vector<NodeId>{42, 7, 0}));
  EXPECT_EQ(map.Find(7), 1);
  EXPECT_EQ(map.Find(8), -1);
  EXPECT_EQ(map.Find(-3), -1);
  EXPECT_EQ(map.TakeIds(), (std::vector<NodeId>{42, 7, 0}));
}

TEST(NodeIdMapTest, MatchesUnorderedMapThroughGrowth) {
  // Small initial size so the table grows many times; IDs both clustered and spread out.
  NodeIdMap map(1);
  std::unordered_map<NodeId, int64_t> reference;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200000; ++i) {
    const NodeId id =
        (i % 2 == 0) ? static_cast<NodeId>(rng() % 50000) : static_cast<NodeId>(rng() >> 2);
    const auto [it, inserted] = reference.emplace(id, static_cast<int64_t>(reference.size()));
    ASSERT_EQ(map.Insert(id), it->second) << "id " << id << " inserted " << inserted;
  }
  ASSERT_EQ(map.size(), static_cast<int64_t>(reference.size()));
  for (const auto& [id, local] : reference) {
    ASSERT_EQ(map.Find(id), local);
    ASSERT_EQ(map.ids()[local], id);
  }
}

}  // namespace
}  // namespace halo::sampler
