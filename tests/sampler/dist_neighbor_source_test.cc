// DistNeighborSource on Cora cut in 3 parts with a 1-hop halo, the other parts served by real
// StoreServers over loopback: every node's full neighborhood (local or remote) equals the source
// files', samples are distinct subsets of the right size that do not depend on the batch, and
// only rows that are incomplete locally go to the network.
#include "sampler/dist_neighbor_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "partition/part_files.h"
#include "storage/store_server.h"
#include "tests/integration/cora_cluster.h"
#include "tests/test_util.h"

namespace halo::sampler {
namespace {

class DistNeighborSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new halo::testing::TempDir();
    cora_ = new halo::testing::CoraPartition(halo::testing::PartitionCora(dir_->File("c3"), 3));
    std::vector<std::string> endpoints;
    for (int p = 0; p < 3; ++p) {
      auto server = storage::StoreServer::Open(cora_->dir, p);
      ASSERT_TRUE(server.ok()) << server.status().ToString();
      ASSERT_TRUE(server.value()->Start("tcp://127.0.0.1:0").ok());
      endpoints.push_back(server.value()->endpoint());
      servers_.push_back(std::move(server).value());
    }
    auto client = storage::StoreClient::Create(cora_->meta, endpoints);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value().release();
    auto part = partition::ReadPartFiles(cora_->dir, cora_->meta.parts[0]);
    ASSERT_TRUE(part.ok()) << part.status().ToString();
    part_ = new partition::LocalPart(std::move(part).value());
  }
  static void TearDownTestSuite() {
    delete client_;
    servers_.clear();
    delete part_;
    delete cora_;
    delete dir_;
  }
  DistNeighborSource MakeSource(const storage::StoreClient* remote) const {
    return DistNeighborSource(&part_->in_csr, &part_->local_to_global, part_->num_inner,
                              cora_->meta.halo_hops, cora_->meta.num_nodes, remote);
  }
  static halo::testing::TempDir* dir_;
  static halo::testing::CoraPartition* cora_;
  static std::vector<std::unique_ptr<storage::StoreServer>> servers_;
  static storage::StoreClient* client_;
  static partition::LocalPart* part_;
};
halo::testing::TempDir* DistNeighborSourceTest::dir_ = nullptr;
halo::testing::CoraPartition* DistNeighborSourceTest::cora_ = nullptr;
std::vector<std::unique_ptr<storage::StoreServer>> DistNeighborSourceTest::servers_;
storage::StoreClient* DistNeighborSourceTest::client_ = nullptr;
partition::LocalPart* DistNeighborSourceTest::part_ = nullptr;

TEST_F(DistNeighborSourceTest, FullNeighborhoodsOfEveryNodeMatchTheSource) {
  const DistNeighborSource source = MakeSource(client_);
  std::vector<NodeId> all(static_cast<size_t>(cora_->num_nodes()));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<NodeId>(i);
  std::vector<int64_t> offsets;
  std::vector<NodeId> neighbors;
  ASSERT_TRUE(source.SampleInNeighbors(all, -1, false, 1, &offsets, &neighbors, nullptr).ok());
  for (NodeId g : all) {
    std::vector<NodeId> got(neighbors.begin() + offsets[g], neighbors.begin() + offsets[g + 1]);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, cora_->InNeighbors(g)) << "node " << g;
  }
  // Inner nodes (distance 0 < L = 1) are local; every other node went to its owner.
  EXPECT_EQ(source.num_remote_rows(), cora_->num_nodes() - part_->num_inner);
}

TEST_F(DistNeighborSourceTest, SamplesAreDistinctSubsetsIndependentOfTheBatch) {
  const DistNeighborSource source = MakeSource(client_);
  std::vector<NodeId> batch;
  for (NodeId g = 0; g < cora_->num_nodes(); g += 7) batch.push_back(g);
  std::vector<int64_t> offsets;
  std::vector<NodeId> neighbors;
  ASSERT_TRUE(source.SampleInNeighbors(batch, 3, false, 42, &offsets, &neighbors, nullptr).ok());
  for (size_t i = 0; i < batch.size(); ++i) {
    const std::vector<NodeId> truth = cora_->InNeighbors(batch[i]);
    std::vector<NodeId> got(neighbors.begin() + offsets[i], neighbors.begin() + offsets[i + 1]);
    EXPECT_EQ(got.size(), std::min<size_t>(truth.size(), 3)) << "node " << batch[i];
    EXPECT_EQ(std::set<NodeId>(got.begin(), got.end()).size(), got.size());
    for (NodeId u : got) {
      EXPECT_TRUE(std::binary_search(truth.begin(), truth.end(), u)) << batch[i] << " <- " << u;
    }
    // Alone, the node draws the same sample.
    std::vector<int64_t> o1;
    std::vector<NodeId> n1;
    ASSERT_TRUE(source.SampleInNeighbors({batch[i]}, 3, false, 42, &o1, &n1, nullptr).ok());
    EXPECT_EQ(n1, got) << "node " << batch[i];
  }
}

TEST_F(DistNeighborSourceTest, WithoutStoresIncompleteRowsStayLocal) {
  const DistNeighborSource source = MakeSource(nullptr);
  // A halo node at distance L keeps no in-edges in the part: without stores it has none.
  int64_t checked = 0;
  for (int64_t l = part_->num_inner; l < part_->num_local(); ++l) {
    EXPECT_FALSE(source.IsComplete(l));
    const NodeId g = part_->local_to_global[static_cast<size_t>(l)];
    std::vector<int64_t> offsets;
    std::vector<NodeId> neighbors;
    ASSERT_TRUE(source.SampleInNeighbors({g}, -1, false, 1, &offsets, &neighbors, nullptr).ok());
    EXPECT_TRUE(neighbors.empty());
    ++checked;
  }
  EXPECT_GT(checked, 0);
  EXPECT_EQ(source.num_remote_rows(), 0);
  std::vector<int64_t> offsets;
  std::vector<NodeId> neighbors;
  EXPECT_EQ(
      source.SampleInNeighbors({cora_->num_nodes()}, 2, false, 1, &offsets, &neighbors, nullptr)
          .code(),
      core::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace halo::sampler
