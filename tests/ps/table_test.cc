// Tables, routing, specs and server-side optimizers, without the network: each checked against a
// naive reference (tests/ps/ps_test_util.h) or an exhaustive enumeration.
#include "ps/table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "core/random.h"
#include "ps/protocol.h"
#include "ps/shard.h"
#include "ps/shard_map.h"
#include "ps/snapshot.h"
#include "ps/table_spec.h"
#include "tests/ps/ps_test_util.h"
#include "tests/test_util.h"

namespace halo::ps {
namespace {

using testing::RefTable;

TableSpec MakeSpec(OptimizerKind kind, int64_t rows, int64_t dim) {
  TableSpec spec;
  spec.name = "t";
  spec.num_rows = rows;
  spec.dim = dim;
  spec.init = {InitKind::kUniform, -0.5f, 0.5f, 11};
  spec.optimizer.kind = kind;
  spec.optimizer.lr = 0.05f;
  spec.optimizer.weight_decay = 0.01f;
  spec.optimizer.initial_accumulator = 0.1f;
  spec.staleness = 1;
  return spec;
}

// Every row has exactly one (shard, local index), and each shard's local indices are 0..n-1.
void ExpectBijection(const ShardMap& map) {
  std::vector<std::set<int64_t>> seen(static_cast<size_t>(map.num_shards()));
  for (int64_t r = 0; r < map.num_rows(); ++r) {
    const int s = map.Shard(r);
    ASSERT_GE(s, 0);
    ASSERT_LT(s, map.num_shards());
    const int64_t slot = map.LocalIndex(r);
    EXPECT_TRUE(seen[static_cast<size_t>(s)].insert(slot).second) << "row " << r;
    EXPECT_LT(slot, map.NumLocalRows(s));
  }
  int64_t total = 0;
  for (int s = 0; s < map.num_shards(); ++s) {
    EXPECT_EQ(static_cast<int64_t>(seen[static_cast<size_t>(s)].size()), map.NumLocalRows(s));
    const std::vector<int64_t> rows = map.LocalRows(s);
    ASSERT_EQ(static_cast<int64_t>(rows.size()), map.NumLocalRows(s));
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(map.Shard(rows[i]), s);
      EXPECT_EQ(map.LocalIndex(rows[i]), static_cast<int64_t>(i));
    }
    total += map.NumLocalRows(s);
  }
  EXPECT_EQ(total, map.num_rows());
}

TEST(ShardMapTest, ModuloIsABijection) {
  for (int shards : {1, 2, 3, 7}) {
    for (int64_t rows : {1, 5, 100}) ExpectBijection(ShardMap(Routing::Modulo(), rows, shards));
  }
  ShardMap m(Routing::Modulo(), 10, 3);
  EXPECT_EQ(m.Shard(7), 1);
  EXPECT_EQ(m.LocalIndex(7), 2);
}

TEST(ShardMapTest, PartitionBookPutsAPartOnShardPartModShards) {
  core::PartitionBook book({0, 10, 10, 25, 40, 41});  // part 1 is empty
  for (int shards : {1, 2, 3, 5, 6}) {
    ShardMap m(Routing::ByPartition(book), book.num_nodes(), shards);
    ExpectBijection(m);
    for (int64_t r = 0; r < book.num_nodes(); ++r) EXPECT_EQ(m.Shard(r), book.Owner(r) % shards);
  }
}

TEST(ShardMapTest, ContiguousRanges) {
  ShardMap m(Routing::Contiguous(10, 3), 10, 3);
  ExpectBijection(m);
  EXPECT_EQ(m.Shard(0), 0);
  EXPECT_EQ(m.Shard(9), 2);
  EXPECT_EQ(m.LocalIndex(3), 0);  // ranges [0,3) [3,6) [6,10)
}

TEST(TableSpecTest, JsonRoundTripAndEquality) {
  TableSpec spec = MakeSpec(OptimizerKind::kAdam, 40, 3);
  spec.routing = Routing::ByPartition(core::PartitionBook({0, 15, 40}));
  spec.init = {InitKind::kNormal, 0.25f, 0.125f, 0xFFFFFFFFFFFFFFF1ULL};
  spec.optimizer.beta1 = 0.8f;
  auto parsed = ParseTableSpec(TableSpecToJson(spec));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(*parsed == spec);
  TableSpec other = spec;
  other.optimizer.lr *= 2;
  EXPECT_FALSE(other == spec);
  other = spec;
  other.staleness = 2;
  EXPECT_FALSE(other == spec);
  TableSpec async1 = spec, async2 = spec;
  async1.staleness = -1;
  async2.staleness = -7;
  EXPECT_TRUE(async1 == async2);  // every negative bound is ASP
}

TEST(TableSpecTest, ValidationNamesTheProblem) {
  TableSpec spec = MakeSpec(OptimizerKind::kSgd, 10, 4);
  EXPECT_TRUE(ValidateTableSpec(spec).ok());
  auto expect_bad = [](TableSpec s, const std::string& needle) {
    core::Status st = ValidateTableSpec(s);
    EXPECT_EQ(st.code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
  };
  TableSpec s = spec;
  s.name = "";
  expect_bad(s, "name");
  s = spec;
  s.dim = 0;
  expect_bad(s, "dim");
  s = spec;
  s.routing = Routing::Contiguous(9, 2);
  expect_bad(s, "offsets");
  s = spec;
  s.optimizer.lr = -1;
  expect_bad(s, "lr");
  s = spec;
  s.optimizer.kind = OptimizerKind::kAdam;
  s.optimizer.beta2 = 1.0f;
  expect_bad(s, "beta2");
  EXPECT_FALSE(ParseTableSpec("{\"name\": 3}").ok());
  EXPECT_FALSE(ParseTableSpec("not json").ok());
}

TEST(TableSpecTest, InitIsPerRowAndHasTheRightDistribution) {
  const int64_t dim = 16, rows = 4000;
  std::vector<float> a(dim), b(dim);
  InitSpec uniform{InitKind::kUniform, -2.0f, 3.0f, 5};
  InitRow(uniform, 17, dim, a.data());
  InitRow(uniform, 17, dim, b.data());
  EXPECT_EQ(a, b);  // deterministic per (seed, row)
  InitRow(uniform, 18, dim, b.data());
  EXPECT_NE(a, b);
  double sum = 0, sum_sq = 0;
  InitSpec normal{InitKind::kNormal, 1.5f, 0.5f, 9};
  for (int64_t r = 0; r < rows; ++r) {
    InitRow(uniform, r, dim, a.data());
    for (float x : a) {
      EXPECT_GE(x, -2.0f);
      EXPECT_LE(x, 3.0f);
    }
    InitRow(normal, r, dim, b.data());
    for (float x : b) sum += x, sum_sq += static_cast<double>(x) * x;
  }
  const double n = static_cast<double>(rows * dim);
  const double mean = sum / n;
  const double stddev = std::sqrt(sum_sq / n - mean * mean);
  EXPECT_NEAR(mean, 1.5, 0.01);  // 64k samples: standard error 0.002
  EXPECT_NEAR(stddev, 0.5, 0.01);
  InitRow(InitSpec{}, 3, dim, a.data());
  for (float x : a) EXPECT_EQ(x, 0.0f);
}

// Random pushes with many duplicate IDs, against the reference applying summed gradients.
TEST(TableTest, OptimizersWithDuplicatesMatchTheReference) {
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdagrad, OptimizerKind::kAdam}) {
    SCOPED_TRACE(OptimizerName(kind));
    const TableSpec spec = MakeSpec(kind, 30, 5);
    // Two shards: each holds its rows; the reference holds all.
    Table t0(spec, 0, 2), t1(spec, 1, 2);
    RefTable ref(spec);
    core::Rng rng(123);
    for (int step = 0; step < 40; ++step) {
      std::vector<int64_t> ids;
      std::vector<float> grads;
      const int n = 1 + static_cast<int>(rng.Uniform(25));
      for (int i = 0; i < n; ++i) {
        ids.push_back(static_cast<int64_t>(rng.Uniform(12)));  // few rows: many duplicates
        for (int j = 0; j < spec.dim; ++j)
          grads.push_back(static_cast<float>(rng.UniformDouble() - 0.4));
      }
      ref.Apply(ids, grads);
      for (Table* t : {&t0, &t1}) {
        std::vector<int64_t> mine;
        std::vector<float> g;
        for (size_t i = 0; i < ids.size(); ++i) {
          if (t->map().Shard(ids[i]) != t->shard()) continue;
          mine.push_back(ids[i]);
          g.insert(g.end(), grads.begin() + static_cast<long>(i * 5),
                   grads.begin() + static_cast<long>(i * 5 + 5));
        }
        ASSERT_TRUE(t->CheckOwned(mine.data(), mine.size()).ok());
        t->ApplyGradients(mine.data(), mine.size(), g.data());
      }
    }
    for (int64_t r = 0; r < spec.num_rows; ++r) {
      Table& t = t0.map().Shard(r) == 0 ? t0 : t1;
      std::vector<float> row(5);
      t.Gather(&r, 1, row.data());
      for (int j = 0; j < 5; ++j) {
        EXPECT_NEAR(row[static_cast<size_t>(j)], ref.value(r, j), 1e-5) << "row " << r;
      }
    }
    // Per-row Adam steps: the exported step counts equal the reference's.
    for (Table* t : {&t0, &t1}) {
      TableRows rows = t->Export();
      for (size_t i = 0; i < rows.rows.size(); ++i) {
        EXPECT_EQ(rows.steps[i], ref.row(rows.rows[i]).step);
      }
    }
  }
}

TEST(TableTest, OwnershipErrorsNameTheRowAndShard) {
  const TableSpec spec = MakeSpec(OptimizerKind::kSgd, 10, 2);
  Table t(spec, 1, 2);
  int64_t bad[] = {1, 3, 4};
  core::Status s = t.CheckOwned(bad, 3);
  EXPECT_EQ(s.code(), core::StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("row 4 (position 2) lives on shard 0"), std::string::npos)
      << s.message();
  int64_t out_of_range[] = {11};
  s = t.CheckOwned(out_of_range, 1);
  EXPECT_NE(s.message().find("out of range [0, 10)"), std::string::npos) << s.message();
}

TEST(TableTest, PendingSumsApplyOncePerRow) {
  TableSpec spec = MakeSpec(OptimizerKind::kAdam, 6, 3);
  spec.staleness = 0;
  Table t(spec, 0, 1);
  RefTable ref(spec);
  // Three "workers" push at clock 0, overlapping: one Adam step per row with the sum.
  std::vector<int64_t> all_ids;
  std::vector<float> all_grads;
  for (int w = 0; w < 3; ++w) {
    std::vector<int64_t> ids = {static_cast<int64_t>(w), 4, 4};
    std::vector<float> grads;
    for (size_t i = 0; i < ids.size() * 3; ++i) grads.push_back(0.1f * static_cast<float>(w + i));
    t.Accumulate(0, w, ids.data(), ids.size(), grads.data());
    all_ids.insert(all_ids.end(), ids.begin(), ids.end());
    all_grads.insert(all_grads.end(), grads.begin(), grads.end());
  }
  EXPECT_EQ(t.PendingClocks(), std::vector<int64_t>{0});
  std::vector<float> before(18);
  std::vector<int64_t> ids = testing::AllRows(6);
  t.Gather(ids.data(), 6, before.data());
  t.ApplyPending(0);
  EXPECT_TRUE(t.PendingClocks().empty());
  ref.Apply(all_ids, all_grads);
  std::vector<float> after(18);
  t.Gather(ids.data(), 6, after.data());
  for (int64_t r = 0; r < 6; ++r) {
    EXPECT_EQ(ref.row(r).step, r == 3 || r == 5 ? 0 : 1);
    for (int j = 0; j < 3; ++j) {
      EXPECT_NEAR(after[static_cast<size_t>(r * 3 + j)], ref.value(r, j), 1e-6);
    }
  }
}

}  // namespace
}  // namespace halo::ps

namespace halo::ps {
namespace {

TEST(ShardTest, BadRequestsAreErrorsNotCrashes) {
  ShardOptions opt;
  opt.num_workers = 2;
  auto shard = Shard::Create(opt);
  ASSERT_TRUE(shard.ok());
  Shard& s = **shard;
  TableSpec spec = MakeSpec(OptimizerKind::kSgd, 4, 2);
  ASSERT_TRUE(s.Handle(MakeCreateTableRequest(TableSpecToJson(spec))).ok());
  auto code = [&](const net::Message& m) { return s.Handle(m).status().code(); };
  EXPECT_EQ(code(net::Message(99)), core::StatusCode::kUnimplemented);
  EXPECT_EQ(code(net::Message(kPull)), core::StatusCode::kInvalidArgument);  // no arrays
  EXPECT_EQ(code(MakeCreateTableRequest("{")), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(MakePullRequest("t", 5, 0, 0, {1})), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(MakePullRequest("nope", 0, 0, 0, {1})), core::StatusCode::kNotFound);
  EXPECT_EQ(code(MakePullRequest("t", 0, 0, 0, {9})), core::StatusCode::kOutOfRange);
  EXPECT_EQ(code(MakePullRequest("t", 0, 3, 0, {1})), core::StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(MakePullRequest("t", 0, 0, -1, {1})), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(MakePushRequest("t", 0, 0, {1}, {1.0f})), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(MakePushRequest("t", 0, 1, {1}, {1.0f, 2.0f})),
            core::StatusCode::kFailedPrecondition);  // clock 1, but worker 0 is at 0
  EXPECT_EQ(code(MakeClockRequest(2, 1)), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(MakeSnapshotRequest(0, 0, 0)),
            core::StatusCode::kFailedPrecondition);  // no snapshot directory
  // A pull ahead of the bound with no park time is answered "not ready", with the clocks.
  auto r = s.Handle(MakePullRequest("t", 0, 0, 0, {1, 2}));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(s.Handle(MakeClockRequest(0, 2)).ok());
  r = s.Handle(MakePullRequest("t", 0, 2, 0, {1}));  // s = 1: needs min clock 1, is 0
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto reply = ParsePullReply(*r, 1, 2);
  ASSERT_TRUE(reply.ok());
  EXPECT_FALSE(reply->ready);
  EXPECT_EQ(reply->clocks, (std::vector<int64_t>{2, 0}));
  // A reply that does not fit its request is Corruption on the client side.
  EXPECT_EQ(ParsePullReply(MakePullReply(true, 0, false, {1.0f}, {}), 1, 2).status().code(),
            core::StatusCode::kCorruption);
}

TEST(SnapshotTest, PruningKeepsTheNewestCompleteSets) {
  halo::testing::TempDir tmp;
  TableSpec spec = MakeSpec(OptimizerKind::kSgd, 4, 2);
  Table t(spec, 0, 1);
  for (int64_t clock = 1; clock <= 5; ++clock) {
    for (int shard = 0; shard < 2; ++shard) {
      ShardSnapshot snap;
      snap.shard = shard;
      snap.num_shards = 2;
      snap.num_workers = 1;
      snap.clock = clock;
      snap.clocks = {clock};
      snap.specs = {spec};
      snap.tables = {t.Export()};
      ASSERT_TRUE(WriteShardSnapshot(ShardSnapshotPath(tmp.path(), clock, shard, 2), snap).ok());
    }
  }
  // Shard 0 prunes first: clocks 1..3 then lack shard 0's file and are no complete set any more.
  ASSERT_TRUE(PruneShardSnapshots(tmp.path(), 0, 2, 2).ok());
  EXPECT_FALSE(std::filesystem::exists(ShardSnapshotPath(tmp.path(), 3, 0, 2)));
  EXPECT_TRUE(std::filesystem::exists(ShardSnapshotPath(tmp.path(), 3, 1, 2)));
  ASSERT_TRUE(PruneShardSnapshots(tmp.path(), 1, 2, 2).ok());
  for (int64_t clock = 1; clock <= 3; ++clock) {
    EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/clock-" + std::to_string(clock)));
  }
  auto latest = FindLatestSnapshot(tmp.path());
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->clock, 5);
  EXPECT_TRUE(std::filesystem::exists(ShardSnapshotPath(tmp.path(), 4, 1, 2)));
  // keep <= 0 deletes nothing.
  ASSERT_TRUE(PruneShardSnapshots(tmp.path(), 0, 2, 0).ok());
  EXPECT_TRUE(std::filesystem::exists(ShardSnapshotPath(tmp.path(), 4, 0, 2)));
}

TEST(SnapshotTest, RoundTripCorruptionAndIncompleteSets) {
  halo::testing::TempDir tmp;
  TableSpec spec = MakeSpec(OptimizerKind::kAdam, 9, 3);
  Table t(spec, 1, 2);
  std::vector<int64_t> ids = {1, 3, 3};
  std::vector<float> g(9, 0.25f);
  t.ApplyGradients(ids.data(), ids.size(), g.data());
  ShardSnapshot snap;
  snap.shard = 1;
  snap.num_shards = 2;
  snap.num_workers = 2;
  snap.clock = 4;
  snap.clocks = {4, 4};
  snap.specs = {spec};
  snap.tables = {t.Export()};
  const std::string path = ShardSnapshotPath(tmp.path(), 4, 1, 2);
  ASSERT_TRUE(WriteShardSnapshot(path, snap).ok());
  auto back = ReadShardSnapshot(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->clocks, snap.clocks);
  ASSERT_EQ(back->tables.size(), 1u);
  EXPECT_TRUE(back->specs[0] == spec);
  EXPECT_EQ(back->tables[0].rows, snap.tables[0].rows);
  EXPECT_EQ(back->tables[0].values, snap.tables[0].values);
  EXPECT_EQ(back->tables[0].state, snap.tables[0].state);
  EXPECT_EQ(back->tables[0].steps, snap.tables[0].steps);

  // Only shard 1 of 2 wrote clock 4: not a complete snapshot.
  EXPECT_EQ(FindLatestSnapshot(tmp.path()).status().code(), core::StatusCode::kNotFound);
  snap.shard = 0;
  snap.tables = {Table(spec, 0, 2).Export()};
  ASSERT_TRUE(WriteShardSnapshot(ShardSnapshotPath(tmp.path(), 4, 0, 2), snap).ok());
  ASSERT_TRUE(WriteShardSnapshot(ShardSnapshotPath(tmp.path(), 7, 0, 2), snap).ok());  // alone
  auto set = FindLatestSnapshot(tmp.path());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->clock, 4);
  EXPECT_EQ(set->num_shards, 2);
  ASSERT_EQ(set->files.size(), 2u);
  EXPECT_EQ(set->files[1], path);

  // Every flipped byte and every truncation is detected.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string bad = tmp.File("bad.snap");
  for (size_t pos : {size_t{0}, size_t{9}, size_t{40}, bytes.size() / 2, bytes.size() - 1}) {
    std::string damaged = bytes;
    damaged[pos] ^= 0x20;
    halo::testing::WriteTextFile(bad, damaged);
    EXPECT_EQ(ReadShardSnapshot(bad).status().code(), core::StatusCode::kCorruption) << pos;
  }
  for (size_t len : {size_t{3}, size_t{20}, bytes.size() - 5}) {
    halo::testing::WriteTextFile(bad, bytes.substr(0, len));
    EXPECT_EQ(ReadShardSnapshot(bad).status().code(), core::StatusCode::kCorruption) << len;
  }
  EXPECT_EQ(ReadShardSnapshot(tmp.File("missing")).status().code(), core::StatusCode::kIOError);
}

}  // namespace
}  // namespace halo::ps
