// Real halo-ps processes on loopback: snapshot, kill -9 a shard, restore onto 2 and onto 3 shards
// (rows re-routed), and check that the restored state is identical (rows, optimizer state, step
// counts, clocks) and that training continues exactly as it would have; a dead shard is named in
// the client's errors within the deadline; SIGTERM exits 0; CLI errors.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "core/random.h"
#include "ps/snapshot.h"
#include "tests/integration/process.h"
#include "tests/ps/ps_test_util.h"
#include "tests/test_util.h"

namespace halo::ps {
namespace {

using halo::testing::Process;
using halo::testing::TempDir;
using testing::AllRows;
using testing::PullNow;

constexpr int kWorkers = 2;
constexpr int64_t kRows = 30;
constexpr int64_t kDim = 4;

std::vector<TableSpec> Specs() {
  TableSpec emb;
  emb.name = "emb";
  emb.num_rows = kRows;
  emb.dim = kDim;
  emb.init = {InitKind::kNormal, 0.0f, 0.5f, 3};
  emb.optimizer.kind = OptimizerKind::kAdam;
  emb.optimizer.lr = 0.02f;
  emb.staleness = 0;
  emb.routing = Routing::ByPartition(core::PartitionBook({0, 7, 15, 22, 30}));
  TableSpec dense = emb;
  dense.name = "dense";
  dense.num_rows = 3;
  dense.init = {InitKind::kUniform, -0.5f, 0.5f, 4};
  dense.optimizer.kind = OptimizerKind::kSgd;
  dense.optimizer.lr = 0.1f;
  dense.routing = Routing::Modulo();
  TableSpec ssp = emb;
  ssp.name = "ssp";
  ssp.optimizer.kind = OptimizerKind::kAdagrad;
  ssp.optimizer.initial_accumulator = 0.1f;
  ssp.staleness = 1;
  ssp.routing = Routing::Modulo();
  return {emb, dense, ssp};
}

std::vector<int64_t> StepIds(int w, int64_t t) {
  core::Rng rng(core::DeriveSeed(static_cast<uint64_t>(w * 1000 + t), 5));
  std::vector<int64_t> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(static_cast<int64_t>(rng.Uniform(kRows)));
  return ids;
}

// One training step of worker w at clock t: gradients depend on what was pulled (BSP tables);
// only worker 0 pushes to the SSP table, with gradients that do not, so every run is the same.
void Step(Client& c, int w, int64_t t) {
  const std::vector<int64_t> ids = StepIds(w, t);
  std::vector<float> e, d, s;
  const Client::Handle h1 = c.Pull("emb", ids, &e);
  const Client::Handle h2 = c.Pull("dense", {0, 1, 2}, &d);
  const Client::Handle h3 = c.Pull("ssp", ids, &s);
  ASSERT_TRUE(c.Wait(h1).ok());
  ASSERT_TRUE(c.Wait(h2).ok());
  ASSERT_TRUE(c.Wait(h3).ok());
  std::vector<float> ge(e.size()), gd(d.size(), 0.0f), gs(e.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t j = 0; j < kDim; ++j) {
      const float x = e[i * kDim + j];
      ge[i * kDim + j] = x * d[(i % 3) * kDim + j] + 0.1f * static_cast<float>(w + 1);
      gd[(i % 3) * kDim + j] += 0.5f * x;
      gs[i * kDim + j] = 0.01f * static_cast<float>((t + 1) * (j + 1)) - 0.02f;
    }
  }
  c.Push("emb", ids, ge);
  c.Push("dense", {0, 1, 2}, gd);
  if (w == 0) c.Push("ssp", ids, gs);
  ASSERT_TRUE(c.Clock().ok());
}

ClientOptions FastOptions() {
  ClientOptions opt;
  opt.rpc_deadline = std::chrono::milliseconds(2000);
  opt.park = std::chrono::milliseconds(200);
  opt.wait_deadline = std::chrono::milliseconds(60000);
  return opt;
}

// Both workers (threads) connect, check their clock, run clocks [from, to), and optionally take
// a collective snapshot at `to`.
void RunSteps(const std::vector<std::string>& endpoints, int64_t from, int64_t to, bool snapshot) {
  auto worker = [&](int w) {
    ClientOptions opt = FastOptions();
    opt.worker = w;
    auto c = Client::Connect(endpoints, opt);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ((*c)->clock(), from);
    for (const TableSpec& spec : Specs()) ASSERT_TRUE((*c)->CreateTable(spec).ok());
    for (int64_t t = from; t < to; ++t) Step(**c, w, t);
    if (snapshot) {
      core::Status s = (*c)->Snapshot();
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  };
  std::thread t0(worker, 0), t1(worker, 1);
  t0.join();
  t1.join();
}

// Every row of every table, pulled by a fresh worker-0 client at its current clock.
std::map<std::string, std::vector<float>> PullAll(const std::vector<std::string>& endpoints) {
  ClientOptions opt = FastOptions();
  auto c = Client::Connect(endpoints, opt);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  std::map<std::string, std::vector<float>> out;
  if (!c.ok()) return out;
  for (const TableSpec& spec : Specs()) {
    EXPECT_TRUE((*c)->CreateTable(spec).ok());
    out[spec.name] = PullNow(**c, spec.name, AllRows(spec.num_rows));
  }
  return out;
}

struct RowState {
  std::vector<float> values, state;
  int64_t step = 0;
  bool operator==(const RowState& o) const {
    return values == o.values && state == o.state && step == o.step;
  }
};
// Table -> row -> state, merged over every shard file of a snapshot; also the clocks.
struct State {
  std::map<std::string, std::map<int64_t, RowState>> tables;
  std::vector<int64_t> clocks;
};

State LoadSnapshot(const std::string& dir, int64_t clock, int num_shards) {
  State state;
  for (int s = 0; s < num_shards; ++s) {
    auto snap = ReadShardSnapshot(ShardSnapshotPath(dir, clock, s, num_shards));
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    if (!snap.ok()) return state;
    state.clocks = snap->clocks;
    for (size_t t = 0; t < snap->specs.size(); ++t) {
      const size_t d = static_cast<size_t>(snap->specs[t].dim);
      const size_t k =
          static_cast<size_t>(StateFloatsPerRow(snap->specs[t].optimizer, snap->specs[t].dim));
      const TableRows& rows = snap->tables[t];
      for (size_t i = 0; i < rows.rows.size(); ++i) {
        RowState r;
        r.values.assign(rows.values.begin() + static_cast<long>(i * d),
                        rows.values.begin() + static_cast<long>((i + 1) * d));
        r.state.assign(rows.state.begin() + static_cast<long>(i * k),
                       rows.state.begin() + static_cast<long>((i + 1) * k));
        r.step = rows.steps[i];
        EXPECT_TRUE(state.tables[snap->specs[t].name].emplace(rows.rows[i], r).second);
      }
    }
  }
  return state;
}

// halo-ps shards as processes.
class Shards {
 public:
  Shards(int n, const std::string& snapshot_dir, bool restore) {
    for (int s = 0; s < n; ++s) {
      std::vector<std::string> argv = {halo::testing::BinDir() + "/halo-ps",
                                       "--shard=" + std::to_string(s),
                                       "--num_shards=" + std::to_string(n),
                                       "--num_workers=" + std::to_string(kWorkers),
                                       "--threads=4",
                                       "--snapshot_dir=" + snapshot_dir};
      if (restore) argv.push_back("--restore");
      procs_.push_back(std::make_unique<Process>(argv));
      const std::string prefix = "halo-ps: shard " + std::to_string(s) + " serving on ";
      auto line = procs_.back()->WaitForLine(prefix, std::chrono::seconds(30));
      EXPECT_TRUE(line.has_value()) << "shard " << s << " did not start";
      endpoints_.push_back(line ? line->substr(prefix.size()) : "");
    }
  }
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  Process& proc(int s) { return *procs_[static_cast<size_t>(s)]; }
  // SIGTERM every shard still running; each must exit 0.
  void Terminate() {
    for (auto& p : procs_) {
      if (!running(p.get())) continue;
      p->Signal(SIGTERM);
      EXPECT_EQ(p->Wait(std::chrono::seconds(30)), 0);
    }
  }
  void Kill(int s) {
    proc(s).Signal(SIGKILL);
    EXPECT_EQ(proc(s).Wait(std::chrono::seconds(30)), -SIGKILL);
    killed_.push_back(&proc(s));
  }

 private:
  bool running(Process* p) const {
    return std::find(killed_.begin(), killed_.end(), p) == killed_.end();
  }
  std::vector<std::unique_ptr<Process>> procs_;
  std::vector<std::string> endpoints_;
  std::vector<Process*> killed_;
};

TEST(PsProcessTest, SnapshotKillRestoreOnto2And3Shards) {
  TempDir tmp;
  const std::string dir = tmp.File("snap");
  const std::string dir3 = tmp.File("snap3");
  constexpr int64_t K = 3, M = 2, M2 = 2;

  // Run 1: K clocks, snapshot, M more; then shard 1 dies.
  std::map<std::string, std::vector<float>> at_k_plus_m;
  {
    Shards shards(2, dir, false);
    RunSteps(shards.endpoints(), 0, K, /*snapshot=*/true);
    RunSteps(shards.endpoints(), K, K + M, false);
    at_k_plus_m = PullAll(shards.endpoints());
    shards.Kill(1);

    // The dead shard is named, with its endpoint, within the deadline.
    ClientOptions opt = FastOptions();
    auto c = Client::Connect({shards.endpoints()[0]}, opt);
    EXPECT_FALSE(c.ok());  // one endpoint for a 2-shard server: refused
    auto start = std::chrono::steady_clock::now();
    auto dead = Client::Connect(shards.endpoints(), opt);
    ASSERT_FALSE(dead.ok());
    const std::string shard1 = "ps shard 1 (" + shards.endpoints()[1] + ")";
    EXPECT_NE(dead.status().message().find(shard1), std::string::npos) << dead.status().ToString();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    shards.Terminate();  // shard 0: SIGTERM, exit 0
  }

  // Run 2: restore 2 shards from clock K; the state there is the snapshot's, and continuing
  // reproduces run 1 exactly.
  std::map<std::string, std::vector<float>> at_k_plus_m_plus_m2;
  {
    const State snap_k = LoadSnapshot(dir, K, 2);
    ASSERT_EQ(snap_k.clocks, std::vector<int64_t>(kWorkers, K));
    Shards shards(2, dir, true);
    const auto restored = PullAll(shards.endpoints());
    for (const TableSpec& spec : Specs()) {
      for (int64_t r = 0; r < spec.num_rows; ++r) {
        const std::vector<float>& got = restored.at(spec.name);
        const std::vector<float> row(got.begin() + r * kDim, got.begin() + (r + 1) * kDim);
        EXPECT_EQ(row, snap_k.tables.at(spec.name).at(r).values) << spec.name << " row " << r;
      }
    }
    RunSteps(shards.endpoints(), K, K + M, /*snapshot=*/true);
    const auto again = PullAll(shards.endpoints());
    for (const std::string name : {"emb", "dense", "ssp"}) {
      EXPECT_EQ(again.at(name), at_k_plus_m.at(name)) << name;
    }
    std::filesystem::copy(dir, dir3, std::filesystem::copy_options::recursive);
    RunSteps(shards.endpoints(), K + M, K + M + M2, /*snapshot=*/true);
    at_k_plus_m_plus_m2 = PullAll(shards.endpoints());

    shards.Terminate();
  }

  // Run 3: restore the clock K+M snapshot onto 3 shards: same state, same continuation.
  {
    Shards shards(3, dir3, true);
    RunSteps(shards.endpoints(), K + M, K + M + M2, /*snapshot=*/true);
    const auto got = PullAll(shards.endpoints());
    for (const std::string name : {"emb", "dense", "ssp"}) {
      EXPECT_EQ(got.at(name), at_k_plus_m_plus_m2.at(name)) << name;
    }
    shards.Terminate();
    // Identical state, optimizer state and step counts included, whatever the shard count.
    const State two = LoadSnapshot(dir, K + M + M2, 2);
    const State three = LoadSnapshot(dir3, K + M + M2, 3);
    EXPECT_EQ(two.clocks, three.clocks);
    ASSERT_EQ(two.tables.size(), 3u);
    for (const auto& [name, rows] : two.tables) {
      ASSERT_EQ(rows.size(), three.tables.at(name).size()) << name;
      for (const auto& [row, state] : rows) {
        EXPECT_TRUE(state == three.tables.at(name).at(row)) << name << " row " << row;
      }
    }
  }
}

TEST(PsProcessTest, DeadShardIsNamedWithinTheDeadline) {
  TempDir tmp;
  Shards shards(2, tmp.File("snap"), false);
  ClientOptions opt = FastOptions();
  opt.rpc_deadline = std::chrono::milliseconds(1000);
  opt.park = std::chrono::milliseconds(100);
  opt.max_cache_rows = 0;                             // every pull goes to the shards
  auto c = Client::Connect(shards.endpoints(), opt);  // worker 0 of 2
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  TableSpec spec = Specs()[2];  // SSP, s = 1: worker 0 alone may pull at clocks 0 and 1
  ASSERT_TRUE((*c)->CreateTable(spec).ok());
  PullNow(**c, "ssp", AllRows(kRows));
  shards.Kill(1);
  const std::string shard1 = "ps shard 1 (" + shards.endpoints()[1] + ")";
  auto start = std::chrono::steady_clock::now();
  std::vector<float> rows;
  core::Status s = (*c)->Wait((*c)->Pull("ssp", AllRows(kRows), &rows));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.code() == core::StatusCode::kUnavailable ||
              s.code() == core::StatusCode::kDeadlineExceeded)
      << s.ToString();
  EXPECT_NE(s.message().find(shard1), std::string::npos) << s.ToString();
  // Deadline: rpc_deadline + park (1.1 s), with room for a loaded machine.
  EXPECT_LT(took, std::chrono::seconds(5));
  std::printf(
      "after %lld ms: %s\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
      s.ToString().c_str());
  s = (*c)->Clock();
  EXPECT_NE(s.message().find(shard1), std::string::npos) << s.ToString();
  shards.Terminate();
}

TEST(PsProcessTest, CliErrors) {
  const std::string bin = halo::testing::BinDir() + "/halo-ps";
  auto r = halo::testing::RunCommand({bin});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("halo-ps: error: --shard is required"), std::string::npos) << r.output;
  r = halo::testing::RunCommand({bin, "--shard=2", "--num_shards=2"});
  EXPECT_EQ(r.exit_code, 1);
  r = halo::testing::RunCommand({bin, "--shard=0", "--restore"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--restore needs --snapshot_dir"), std::string::npos) << r.output;
  TempDir tmp;
  r = halo::testing::RunCommand({bin, "--shard=0", "--restore", "--snapshot_dir=" + tmp.path()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("no complete snapshot"), std::string::npos) << r.output;
  r = halo::testing::RunCommand({bin, "--shard=0", "--threads=2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("at least 3 threads"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace halo::ps
