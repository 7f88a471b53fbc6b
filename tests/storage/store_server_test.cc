// StoreServer and StoreClient in one process, over loopback, on a small synthetic partition:
// protocol checks, request validation, routing with a part served in-process, concurrency,
// and failures (down store, out-of-range IDs) that must come back fast and name the part.
#include "storage/store_server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "core/partition_book.h"
#include "net/client.h"
#include "storage/part_arrays.h"
#include "storage/part_store_writer.h"
#include "storage/store_client.h"
#include "storage/store_protocol.h"
#include "tests/storage/synthetic_partition.h"
#include "tests/test_util.h"

namespace halo::storage {
namespace {

using core::StatusCode;
using std::chrono::milliseconds;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(StoreProtocol, RequestsAreCheckedCompletely) {
  net::Message ok = MakeIdsRequest(kGetLabels, {1, 2});
  ASSERT_TRUE(ParseIdsRequest(ok).ok());
  net::Message f32(kGetLabels, {net::Array::FromVector<float>({1.0f})});
  auto r = ParseIdsRequest(f32);
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status().message(), "GetLabels (type 17) request: array 0 (ids) is f32"))
      << r.status().message();
  net::Message two(kGetFeatures,
                   {net::Array::FromVector<int64_t>({1}), net::Array::FromVector<int64_t>({2})});
  EXPECT_EQ(ParseIdsRequest(two).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseIdsRequest(net::Message(kGetMasks)).status().code(), StatusCode::kInvalidArgument);

  SampleParams sp;
  sp.fanout = 7;
  sp.replace = true;
  sp.seed = ~uint64_t{0};
  auto parsed = ParseSampleParams(MakeSampleRequest({3}, sp));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->fanout, 7);
  EXPECT_TRUE(parsed->replace);
  EXPECT_EQ(parsed->seed, ~uint64_t{0});
  for (const std::vector<int64_t>& bad :
       {std::vector<int64_t>{1, 0}, {1, 2, 0}, {int64_t{1} << 40, 0, 0}}) {
    net::Message m(kSampleNeighbors,
                   {net::Array::FromVector<int64_t>({3}), net::Array::FromVector(bad)});
    EXPECT_EQ(ParseSampleParams(m).status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(StoreProtocol, RepliesMustFitTheRequest) {
  EXPECT_TRUE(ParseFeaturesReply(MakeFeaturesReply(std::vector<float>(6), 3), 2, 3).ok());
  EXPECT_EQ(ParseFeaturesReply(MakeFeaturesReply(std::vector<float>(6), 3), 3, 3).status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(ParseFeaturesReply(MakeFeaturesReply(std::vector<float>(6), 2), 3, 3).status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(ParseLabelsReply(MakeLabelsReply({1, 2}), 3).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ParseMasksReply(MakeMasksReply({1, 0, 1}), 2).status().code(), StatusCode::kCorruption);
  SampledNeighbors good;
  good.offsets = {0, 2, 2};
  good.neighbors = {4, 5};
  EXPECT_TRUE(ParseNeighborsReply(MakeNeighborsReply(kGetNeighbors, good), 2).ok());
  SampledNeighbors bad = good;
  bad.offsets = {0, 3, 2};
  EXPECT_EQ(ParseNeighborsReply(MakeNeighborsReply(kGetNeighbors, bad), 2).status().code(),
            StatusCode::kCorruption);
  bad.offsets = {0, 1, 3};
  EXPECT_EQ(ParseNeighborsReply(MakeNeighborsReply(kGetNeighbors, bad), 2).status().code(),
            StatusCode::kCorruption);
  // A reply of another type.
  EXPECT_EQ(ParseLabelsReply(MakeMasksReply({}), 0).status().code(), StatusCode::kCorruption);
}

// A 3-part synthetic partition with part stores; parts 1 and 2 served over loopback, part 0
// opened in-process.
class StoreServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    part_ = testing::MakeSyntheticPartition(tmp_.path(), {0, 100, 250, 400}, 5, 6, 7);
    for (core::PartInfo& info : part_.meta.parts) {
      auto arrays = ReadPartArrays(tmp_.path(), info);
      ASSERT_TRUE(arrays.ok()) << arrays.status().ToString();
      info.files["store"] = info.dir + "/store";
      ASSERT_TRUE(WritePartStore(tmp_.path() + "/" + info.files["store"], arrays->View()).ok());
    }
    ASSERT_TRUE(core::WritePartitionMeta(tmp_.File("partition.json"), part_.meta).ok());
    for (int p = 1; p <= 2; ++p) {
      StoreServerOptions opt;
      opt.num_threads = 2;
      opt.mem_budget_mb = p == 2 ? 0 : 64;  // part 2 reads every feature from RocksDB
      auto server = StoreServer::Open(tmp_.path(), p, opt);
      ASSERT_TRUE(server.ok()) << server.status().ToString();
      ASSERT_TRUE((*server)->Start("tcp://127.0.0.1:0").ok());
      servers_.push_back(std::move(server).value());
    }
    auto local = StoreServer::Open(tmp_.path(), 0);
    ASSERT_TRUE(local.ok()) << local.status().ToString();
    local_ = std::move(local).value();
    StoreClientOptions opt;
    opt.deadline = milliseconds(20000);
    LocalPartStores mine{0, &local_->features(), &local_->graph()};
    auto client = StoreClient::Create(
        part_.meta, {"", servers_[0]->endpoint(), servers_[1]->endpoint()}, opt, {mine});
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  const testing::SyntheticPart& PartOf(int64_t id) const {
    return part_.parts[static_cast<size_t>(core::PartitionBook::FromMeta(part_.meta).Owner(id))];
  }
  void ExpectRows(const std::vector<int64_t>& ids, const StoreClient* client = nullptr) {
    if (client == nullptr) client = client_.get();
    auto x = client->GetFeatures(ids);
    auto y = client->GetLabels(ids);
    auto m = client->GetMasks(ids);
    auto nb = client->GetNeighbors(ids);
    ASSERT_TRUE(x.ok()) << x.status().ToString();
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_TRUE(nb.ok()) << nb.status().ToString();
    ASSERT_EQ(x->size(), ids.size() * 5);
    ASSERT_EQ(nb->offsets.size(), ids.size() + 1);
    for (size_t i = 0; i < ids.size(); ++i) {
      const testing::SyntheticPart& sp = PartOf(ids[i]);
      const size_t r = static_cast<size_t>(ids[i] - sp.begin);
      ASSERT_EQ(std::memcmp(&(*x)[i * 5], &sp.features[r * 5], 5 * sizeof(float)), 0) << ids[i];
      ASSERT_EQ((*y)[i], sp.labels[r]);
      ASSERT_EQ((*m)[3 * i], sp.train[r]);
      ASSERT_EQ((*m)[3 * i + 1], sp.val[r]);
      ASSERT_EQ((*m)[3 * i + 2], sp.test[r]);
      const std::vector<int64_t> got(nb->neighbors.begin() + nb->offsets[i],
                                     nb->neighbors.begin() + nb->offsets[i + 1]);
      ASSERT_EQ(got, sp.in_neighbors[r]) << ids[i];
    }
  }

  halo::testing::TempDir tmp_;
  testing::SyntheticPartition part_;
  std::vector<std::unique_ptr<StoreServer>> servers_;
  std::unique_ptr<StoreServer> local_;
  std::unique_ptr<StoreClient> client_;
};

TEST_F(StoreServiceTest, RowsAndNeighborsComeBackInRequestOrder) {
  ExpectRows({});
  ExpectRows({399, 0, 399, 120, 0, 0, 250});
  ExpectRows({101, 102, 103});  // one remote part only
  ExpectRows({3, 2, 1});        // the local part only
  std::vector<int64_t> all(400);
  for (int64_t i = 0; i < 400; ++i) all[static_cast<size_t>(i)] = 399 - i;
  ExpectRows(all);
  std::mt19937_64 rng(3);
  std::vector<int64_t> random(1000);
  for (int64_t& id : random) id = static_cast<int64_t>(rng() % 400);
  ExpectRows(random);
  // Requests split into chunks of 64 IDs (the minimum) per part, reassembled in order.
  StoreClientOptions small;
  small.deadline = milliseconds(20000);
  small.target_reply_bytes = 1;
  LocalPartStores mine{0, &local_->features(), &local_->graph()};
  auto chunked = StoreClient::Create(
      part_.meta, {"", servers_[0]->endpoint(), servers_[1]->endpoint()}, small, {mine});
  ASSERT_TRUE(chunked.ok());
  ExpectRows(all, chunked->get());
  ExpectRows(random, chunked->get());
  auto s1 = client_->SampleNeighbors(random, 2, true, 5);
  auto s2 = (*chunked)->SampleNeighbors(random, 2, true, 5);
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_EQ(s1->offsets, s2->offsets);
  EXPECT_EQ(s1->neighbors, s2->neighbors);
  // Part 2 has no hot set: its feature reads were RocksDB misses; the local part's were hits.
  EXPECT_TRUE(Contains(servers_[1]->StatsJson(), "\"hot_rows\":0")) << servers_[1]->StatsJson();
  EXPECT_GT(local_->features().Stats().hits, 0);
  auto stats = client_->Stats(2);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_TRUE(Contains(*stats, "\"node_begin\":250")) << *stats;
  EXPECT_EQ(client_->Stats(0).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(client_->Ping(1).ok());
}

TEST_F(StoreServiceTest, SamplesAreTrueEdgesWithExactCounts) {
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < 400; i += 3) ids.push_back(i);
  ids.push_back(ids[5]);  // a duplicate gets the same sample
  for (bool replace : {false, true}) {
    auto s = client_->SampleNeighbors(ids, 3, replace, 11);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    auto again = client_->SampleNeighbors(ids, 3, replace, 11);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(s->neighbors, again->neighbors);
    for (size_t i = 0; i < ids.size(); ++i) {
      const testing::SyntheticPart& sp = PartOf(ids[i]);
      std::vector<int64_t> truth = sp.in_neighbors[static_cast<size_t>(ids[i] - sp.begin)];
      std::sort(truth.begin(), truth.end());  // CSR (local ID) order is not global order
      std::vector<int64_t> got(s->neighbors.begin() + s->offsets[i],
                               s->neighbors.begin() + s->offsets[i + 1]);
      const size_t want = replace ? (truth.empty() ? 0 : 3) : std::min<size_t>(3, truth.size());
      ASSERT_EQ(got.size(), want) << ids[i];
      for (int64_t u : got) {
        ASSERT_TRUE(std::binary_search(truth.begin(), truth.end(), u)) << ids[i] << " <- " << u;
      }
      if (!replace) {
        std::sort(got.begin(), got.end());
        EXPECT_EQ(std::unique(got.begin(), got.end()), got.end());
      }
    }
    const size_t last = ids.size() - 1;
    EXPECT_TRUE(std::equal(s->neighbors.begin() + s->offsets[last], s->neighbors.end(),
                           s->neighbors.begin() + s->offsets[5]));
  }
}

TEST_F(StoreServiceTest, ConcurrentCallsAgree) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t));
      for (int k = 0; k < 30; ++k) {
        std::vector<int64_t> ids(50);
        for (int64_t& id : ids) id = static_cast<int64_t>(rng() % 400);
        auto x = client_->GetFeatures(ids);
        if (!x.ok()) {
          ++failures;
          continue;
        }
        for (size_t i = 0; i < ids.size(); ++i) {
          const testing::SyntheticPart& sp = PartOf(ids[i]);
          const size_t r = static_cast<size_t>(ids[i] - sp.begin);
          if (std::memcmp(&(*x)[i * 5], &sp.features[r * 5], 5 * sizeof(float)) != 0) ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(StoreServiceTest, OutOfRangeIdsFailBeforeAnyTraffic) {
  for (int64_t bad : {int64_t{-1}, int64_t{400}, int64_t{1} << 40}) {
    auto x = client_->GetFeatures({5, 200, bad});
    ASSERT_EQ(x.status().code(), StatusCode::kOutOfRange);
    EXPECT_TRUE(Contains(x.status().message(), "global ID " + std::to_string(bad)))
        << x.status().message();
    EXPECT_TRUE(Contains(x.status().message(), "[0, 400)")) << x.status().message();
    EXPECT_EQ(client_->SampleNeighbors({bad}, 2, false, 0).status().code(),
              StatusCode::kOutOfRange);
  }
  // No traffic: a client whose stores do not exist still answers at once.
  StoreClientOptions opt;
  opt.deadline = milliseconds(60000);
  auto nowhere = StoreClient::Create(
      part_.meta, {"tcp://127.0.0.1:1", "tcp://127.0.0.1:1", "tcp://127.0.0.1:1"}, opt);
  ASSERT_TRUE(nowhere.ok());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ((*nowhere)->GetLabels({1, 400}).status().code(), StatusCode::kOutOfRange);
  EXPECT_TRUE((*nowhere)->GetLabels(std::vector<int64_t>{}).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(StoreServiceTest, DownStoreFailsWithinTheDeadlineNamingPartAndEndpoint) {
  const std::string endpoint = servers_[1]->endpoint();
  servers_[1]->Stop();
  StoreClientOptions opt;
  opt.deadline = milliseconds(400);
  LocalPartStores mine{0, &local_->features(), &local_->graph()};
  auto client =
      StoreClient::Create(part_.meta, {"", servers_[0]->endpoint(), endpoint}, opt, {mine});
  ASSERT_TRUE(client.ok());
  const auto start = std::chrono::steady_clock::now();
  auto x = (*client)->GetFeatures({1, 300, 120});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(x.ok());
  EXPECT_TRUE(x.status().code() == StatusCode::kUnavailable ||
              x.status().code() == StatusCode::kDeadlineExceeded)
      << x.status().ToString();
  EXPECT_TRUE(Contains(x.status().message(), "part 2 (" + endpoint + ")")) << x.status().message();
  EXPECT_LT(took, milliseconds(400 + 1000));
  // The other parts still answer.
  EXPECT_TRUE((*client)->GetFeatures({1, 120}).ok());
}

TEST_F(StoreServiceTest, ServerValidatesEveryRequest) {
  auto rpc = net::RpcClient::Connect(servers_[0]->endpoint());  // part 1: [100, 250)
  ASSERT_TRUE(rpc.ok());
  auto call = [&](net::Message m) { return (*rpc)->Call(std::move(m), milliseconds(20000)); };
  auto r = call(MakeIdsRequest(kGetFeatures, {100, 260}));
  ASSERT_EQ(r.status().code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(Contains(r.status().message(),
                       "global ID 260 (position 1) is not owned by part 1, which owns [100, 250)"))
      << r.status().message();
  r = call(net::Message(99, {net::Array::FromVector<int64_t>({100})}));
  EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(Contains(r.status().message(), "unknown request type 99")) << r.status().message();
  r = call(net::Message(kGetLabels, {net::Array::FromVector<int32_t>({100})}));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status().message(), "is i32, expected i64")) << r.status().message();
  r = call(net::Message(kStats, {net::Array::FromVector<int64_t>({1})}));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = call(net::Message(kSampleNeighbors, {net::Array::FromVector<int64_t>({100}),
                                           net::Array::FromVector<int64_t>({2, 5, 0})}));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // Still serving.
  r = call(MakeIdsRequest(kGetLabels, {100, 249}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->arrays[0].ToVector<int64_t>(),
            (std::vector<int64_t>{part_.parts[1].labels[0], part_.parts[1].labels[149]}));
  EXPECT_TRUE(Contains(servers_[0]->StatsJson(), "\"errors\":5")) << servers_[0]->StatsJson();
}

TEST_F(StoreServiceTest, OversizedRepliesAreRefusedUpFront) {
  StoreServerOptions opt;
  opt.max_reply_bytes = 100;  // 5 floats x 4 bytes = 20 bytes per row
  auto server = StoreServer::Open(tmp_.path(), 1, opt);
  ASSERT_TRUE(server.ok());
  EXPECT_TRUE((*server)->Handle(MakeIdsRequest(kGetFeatures, {100, 101, 102, 103, 104})).ok());
  auto r = (*server)->Handle(MakeIdsRequest(kGetFeatures, {100, 101, 102, 103, 104, 105}));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status().message(), "reply limit")) << r.status().message();
  // 100 bytes hold 12 int64s: offsets (n + 1) and neighbors together.
  std::vector<int64_t> ids(20, 100);
  r = (*server)->Handle(MakeSampleRequest(ids, SampleParams{5, true, 1}));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status().message(), "SampleNeighbors: the reply to 20 ids"))
      << r.status().message();
}

TEST_F(StoreServiceTest, MissingStoreIsNamed) {
  core::PartitionMeta meta = part_.meta;
  meta.parts[1].files.erase("store");
  ASSERT_TRUE(core::WritePartitionMeta(tmp_.File("partition.json"), meta).ok());
  auto s = StoreServer::Open(tmp_.path(), 1);
  ASSERT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(s.status().message(), "part 1 of")) << s.status().message();
  meta.parts[1].files["store"] = "part1/nothing-here";
  ASSERT_TRUE(core::WritePartitionMeta(tmp_.File("partition.json"), meta).ok());
  s = StoreServer::Open(tmp_.path(), 1);
  ASSERT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(s.status().message(), "part1/nothing-here")) << s.status().message();
  EXPECT_EQ(StoreServer::Open(tmp_.path(), 3).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(StoreServiceTest, ClientChecksItsConfiguration) {
  EXPECT_EQ(StoreClient::Create(part_.meta, {"tcp://127.0.0.1:1"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(StoreClient::Create(part_.meta, {"", "tcp://127.0.0.1:1", "tcp://127.0.0.1:1"})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  // A local store for the wrong part.
  LocalPartStores wrong{1, &local_->features(), nullptr};
  EXPECT_EQ(StoreClient::Create(part_.meta, {"a", "", "b"}, {}, {wrong}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace halo::storage
