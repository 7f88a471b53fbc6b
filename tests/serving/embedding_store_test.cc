// EmbeddingStoreWriter + EmbeddingStore: round trips in shuffled batches (one run, overlapping
// runs, disjoint runs), duplicates and bad rows rejected atomically, completeness at Finish, the
// node map, ExportNpy, overwrite/staging, and corrupt stores failing clearly at Open.
#include "serving/embedding_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "tests/serving/serving_test_util.h"
#include "tests/test_util.h"

namespace halo::testing {
namespace {

namespace fs = std::filesystem;
using serving::EmbeddingStore;
using serving::EmbeddingStoreOptions;
using serving::EmbeddingStoreWriter;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void ExpectStoreEquals(const EmbeddingStore& s, const EmbeddingData& d) {
  ASSERT_EQ(s.num_nodes(), d.num_nodes);
  ASSERT_EQ(s.dim(), d.dim);
  ASSERT_EQ(s.num_classes(), d.num_classes);
  EXPECT_EQ(s.version(), d.version);
  EXPECT_EQ(s.embeddings(), d.embeddings);  // bit-exact
  for (int64_t id = 0; id < d.num_nodes; ++id) {
    if (d.num_classes > 0) {
      const float* want = d.logits.data() + id * d.num_classes;
      ASSERT_TRUE(std::equal(want, want + d.num_classes, s.logits(id))) << id;
      ASSERT_EQ(s.prediction(id), ArgMax(want, d.num_classes)) << id;
    } else {
      ASSERT_EQ(s.logits(id), nullptr);
      ASSERT_EQ(s.prediction(id), -1);
    }
    const int64_t original = d.node_map.empty() ? id : d.node_map[static_cast<size_t>(id)];
    ASSERT_EQ(s.OriginalId(id), original);
    auto g = s.GlobalId(original);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    ASSERT_EQ(g.value(), id);
  }
}

TEST(EmbeddingStore, RoundTripShuffledBatchesOneRun) {
  TempDir tmp;
  const EmbeddingData d = MakeData(1500, 24, 5, 1);
  WriteStore(tmp.File("emb"), d);
  ASSERT_FALSE(HasFailure());
  auto store = EmbeddingStore::Open(tmp.File("emb"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ExpectStoreEquals(*store.value(), d);
  const serving::EmbeddingManifest& m = store.value()->manifest();
  EXPECT_EQ(m.format_version, serving::kEmbeddingStoreFormatVersion);
  EXPECT_TRUE(m.has_node_map);
  EXPECT_EQ(m.model.at("model"), "test");
  EXPECT_EQ(m.model.at("layers"), "2");
  EXPECT_EQ(m.created.size(), 20u) << m.created;  // 2026-01-01T12:00:00Z
  // Nothing but the store's own files is left: no staging directory, no SST leftovers.
  EXPECT_FALSE(fs::exists(tmp.File("emb/ingest-tmp")));
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    EXPECT_EQ(e.path().filename(), "emb") << e.path();
  }
}

TEST(EmbeddingStore, RoundTripManyOverlappingRuns) {
  // A tiny buffer makes each few batches their own SST run; shuffled IDs make the runs overlap,
  // which takes the ingest-then-compact path.
  TempDir tmp;
  const EmbeddingData d = MakeData(2000, 8, 3, 2);
  WriteStore(tmp.File("emb"), d, false, /*buffer_bytes=*/16384);
  ASSERT_FALSE(HasFailure());
  auto store = EmbeddingStore::Open(tmp.File("emb"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ExpectStoreEquals(*store.value(), d);
}

TEST(EmbeddingStore, RoundTripDisjointRunsWithoutClasses) {
  // Ascending batches (as one part after another would write them): disjoint runs, one ingest.
  TempDir tmp;
  const EmbeddingData d = MakeData(1000, 16, 0, 3, /*node_map=*/false);
  EmbeddingStoreOptions opt;
  opt.dim = d.dim;
  opt.num_nodes = d.num_nodes;
  opt.version = d.version;
  opt.buffer_bytes = 2048;
  auto writer = EmbeddingStoreWriter::Create(tmp.File("emb"), opt);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (int64_t begin = 0; begin < d.num_nodes; begin += 100) {
    std::vector<int64_t> ids(100);
    std::iota(ids.begin(), ids.end(), begin);
    ASSERT_TRUE(writer.value()->Add(ids.data(), ids.size(), d.row(begin)).ok());
  }
  ASSERT_TRUE(writer.value()->Finish().ok());
  auto store = EmbeddingStore::Open(tmp.File("emb"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ExpectStoreEquals(*store.value(), d);
  EXPECT_FALSE(store.value()->has_node_map());
  EXPECT_FALSE(fs::exists(tmp.File("emb/node_map.npy")));
  // Without a node map, original IDs are the global IDs; others are unknown.
  EXPECT_EQ(store.value()->GlobalId(999).value(), 999);
  EXPECT_EQ(store.value()->GlobalId(1000).status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(store.value()->GlobalId(-1).status().code(), core::StatusCode::kNotFound);
}

TEST(EmbeddingStore, DefaultVersionIsTheCreationTime) {
  TempDir tmp;
  EmbeddingStoreOptions opt;
  opt.dim = 2;
  opt.num_nodes = 1;
  auto writer = EmbeddingStoreWriter::Create(tmp.File("emb"), opt);
  ASSERT_TRUE(writer.ok());
  const std::string version = writer.value()->version();
  EXPECT_EQ(version.size(), 16u) << version;  // 20260101T120000Z
  EXPECT_EQ(version.back(), 'Z');
  const int64_t id = 0;
  const float row[2] = {1, 2};
  ASSERT_TRUE(writer.value()->Add(&id, 1, row).ok());
  ASSERT_TRUE(writer.value()->Finish().ok());
  EXPECT_EQ(EmbeddingStore::Open(tmp.File("emb")).value()->version(), version);
}

TEST(EmbeddingStore, DuplicatesAndBadRowsFailTheWholeBatch) {
  TempDir tmp;
  EmbeddingStoreOptions opt;
  opt.dim = 2;
  opt.num_nodes = 4;
  opt.num_classes = 2;
  auto w = EmbeddingStoreWriter::Create(tmp.File("emb"), opt);
  ASSERT_TRUE(w.ok());
  EmbeddingStoreWriter& writer = *w.value();
  const float emb[] = {1, 2, 3, 4, 5, 6};
  const float logits[] = {0, 1, 1, 0, 0.5f, 0.25f};
  const int64_t first[] = {0, 1};
  ASSERT_TRUE(writer.Add(first, 2, emb, logits).ok());

  // 1 again (already added): nothing of this batch is taken, so 2 can still be added later.
  const int64_t again[] = {2, 1};
  core::Status s = writer.Add(again, 2, emb, logits);
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(), "global ID 1 added twice")) << s.ToString();
  // Twice within one batch.
  const int64_t twice[] = {2, 2};
  s = writer.Add(twice, 2, emb, logits);
  EXPECT_TRUE(Contains(s.message(), "global ID 2 added twice")) << s.ToString();
  // Out of range, either side.
  const int64_t out_of_range[] = {4};
  s = writer.Add(out_of_range, 1, emb, logits);
  EXPECT_TRUE(Contains(s.message(), "global ID 4 outside [0, 4)")) << s.ToString();
  const int64_t negative[] = {-1};
  EXPECT_FALSE(writer.Add(negative, 1, emb, logits).ok());
  // Non-finite values, a prediction outside the classes, missing logits.
  const int64_t two[] = {2};
  const float nan_row[] = {std::numeric_limits<float>::quiet_NaN(), 0};
  s = writer.Add(two, 1, nan_row, logits);
  EXPECT_TRUE(Contains(s.message(), "non-finite")) << s.ToString();
  const float inf_logits[] = {std::numeric_limits<float>::infinity(), 0};
  EXPECT_FALSE(writer.Add(two, 1, emb, inf_logits).ok());
  const int64_t bad_pred[] = {2};
  s = writer.Add(two, 1, emb, logits, bad_pred);
  EXPECT_TRUE(Contains(s.message(), "prediction 2")) << s.ToString();
  EXPECT_FALSE(writer.Add(two, 1, emb, nullptr).ok());

  // The rejected batches left 2 and 3 free.
  const int64_t rest[] = {3, 2};
  const int64_t pred[] = {1, 0};
  ASSERT_TRUE(writer.Add(rest, 2, emb + 2, logits + 2, pred).ok());
  ASSERT_TRUE(writer.Finish().ok());
  auto store = EmbeddingStore::Open(tmp.File("emb"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(store.value()->embedding(3)[0], 3);
  EXPECT_EQ(store.value()->embedding(2)[0], 5);
  EXPECT_EQ(store.value()->prediction(0), 1);  // argmax of {0, 1}
  EXPECT_EQ(store.value()->prediction(1), 0);  // argmax of {1, 0}
  EXPECT_EQ(store.value()->prediction(3), 1);  // given
  EXPECT_EQ(store.value()->prediction(2), 0);  // given
}

TEST(EmbeddingStore, FinishNeedsEveryIdAndLeavesNothingOnFailure) {
  TempDir tmp;
  EmbeddingStoreOptions opt;
  opt.dim = 1;
  opt.num_nodes = 5;
  auto writer = EmbeddingStoreWriter::Create(tmp.File("emb"), opt);
  ASSERT_TRUE(writer.ok());
  const int64_t ids[] = {0, 1, 3, 4};
  const float emb[] = {0, 1, 3, 4};
  ASSERT_TRUE(writer.value()->Add(ids, 4, emb).ok());
  core::Status s = writer.value()->Finish();
  EXPECT_EQ(s.code(), core::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(s.message(), "1 of 5 global IDs were never added (first: 2)"))
      << s.ToString();
  EXPECT_FALSE(writer.value()->Finish().ok());  // unusable afterwards
  writer.value().reset();
  EXPECT_FALSE(fs::exists(tmp.File("emb")));
  EXPECT_TRUE(fs::is_empty(tmp.path()));  // the staging directory is gone too
}

TEST(EmbeddingStore, AbandonedWriterLeavesNothing) {
  TempDir tmp;
  {
    EmbeddingStoreOptions opt;
    opt.dim = 4;
    opt.num_nodes = 10;
    auto writer = EmbeddingStoreWriter::Create(tmp.File("emb"), opt);
    ASSERT_TRUE(writer.ok());
  }
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(EmbeddingStore, BadOptionsAndExistingDirectory) {
  TempDir tmp;
  EmbeddingStoreOptions opt;
  opt.dim = 0;
  opt.num_nodes = 3;
  EXPECT_EQ(EmbeddingStoreWriter::Create(tmp.File("a"), opt).status().code(),
            core::StatusCode::kInvalidArgument);
  opt.dim = 3;
  opt.num_nodes = 0;
  EXPECT_FALSE(EmbeddingStoreWriter::Create(tmp.File("a"), opt).ok());

  const EmbeddingData v1 = MakeData(50, 4, 0, 10);
  WriteStore(tmp.File("emb"), v1);
  opt.num_nodes = 50;
  opt.dim = 4;
  auto again = EmbeddingStoreWriter::Create(tmp.File("emb"), opt);
  EXPECT_EQ(again.status().code(), core::StatusCode::kAlreadyExists);
  // overwrite: the old store stays readable until the new one is finished.
  EmbeddingData v2 = MakeData(60, 4, 2, 11);
  WriteStore(tmp.File("emb"), v2, /*overwrite=*/true);
  ASSERT_FALSE(HasFailure());
  auto store = EmbeddingStore::Open(tmp.File("emb"));
  ASSERT_TRUE(store.ok());
  ExpectStoreEquals(*store.value(), v2);
}

TEST(EmbeddingStore, NodeMapMustBeABijection) {
  TempDir tmp;
  EmbeddingStoreOptions opt;
  opt.dim = 1;
  opt.num_nodes = 3;
  auto writer = EmbeddingStoreWriter::Create(tmp.File("emb"), opt);
  ASSERT_TRUE(writer.ok());
  core::Status s = writer.value()->SetNodeMap({5, 6});
  EXPECT_TRUE(Contains(s.message(), "node map has 2 entries")) << s.ToString();
  s = writer.value()->SetNodeMap({5, 6, 5});
  EXPECT_TRUE(Contains(s.message(), "original ID 5 appears twice")) << s.ToString();
  ASSERT_TRUE(writer.value()->SetNodeMap({50, -7, 12}).ok());
  const int64_t ids[] = {2, 0, 1};
  const float emb[] = {2, 0, 1};
  ASSERT_TRUE(writer.value()->Add(ids, 3, emb).ok());
  ASSERT_TRUE(writer.value()->Finish().ok());
  auto store = EmbeddingStore::Open(tmp.File("emb"));
  ASSERT_TRUE(store.ok());
  const EmbeddingStore& st = *store.value();
  EXPECT_EQ(st.GlobalId(-7).value(), 1);
  EXPECT_EQ(st.GlobalId(12).value(), 2);
  EXPECT_EQ(st.GlobalId(50).value(), 0);
  EXPECT_EQ(st.GlobalId(0).status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(st.OriginalId(1), -7);
  auto rows = st.Get({st.GlobalId(12).value(), 0});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows.value(), (std::vector<float>{2, 0}));
  EXPECT_EQ(st.Get({0, 3}).status().code(), core::StatusCode::kNotFound);
}

TEST(EmbeddingStore, ExportNpy) {
  TempDir tmp;
  const EmbeddingData d = MakeData(300, 6, 4, 5);
  WriteStore(tmp.File("emb"), d);
  ASSERT_FALSE(HasFailure());
  auto store = EmbeddingStore::Open(tmp.File("emb"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store.value()->ExportNpy(tmp.File("npy/out")).ok());
  std::vector<int64_t> shape;
  auto emb = core::ReadNpyAs<float>(tmp.File("npy/out/embeddings.npy"), &shape);
  ASSERT_TRUE(emb.ok()) << emb.status().ToString();
  EXPECT_EQ(shape, (std::vector<int64_t>{300, 6}));
  EXPECT_EQ(emb.value(), d.embeddings);
  auto logits = core::ReadNpyAs<float>(tmp.File("npy/out/logits.npy"), &shape);
  ASSERT_TRUE(logits.ok());
  EXPECT_EQ(shape, (std::vector<int64_t>{300, 4}));
  EXPECT_EQ(logits.value(), d.logits);
  auto pred = core::ReadNpyAs<int64_t>(tmp.File("npy/out/predictions.npy"), &shape);
  ASSERT_TRUE(pred.ok());
  ASSERT_EQ(pred.value().size(), 300u);
  for (int64_t i = 0; i < 300; ++i) {
    EXPECT_EQ(pred.value()[static_cast<size_t>(i)], ArgMax(d.logits.data() + i * 4, 4));
  }
  auto map = core::ReadNpyAs<int64_t>(tmp.File("npy/out/node_map.npy"));
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map.value(), d.node_map);
}

TEST(EmbeddingStore, CorruptStoresFailAtOpen) {
  TempDir tmp;
  EXPECT_EQ(EmbeddingStore::Open(tmp.File("missing")).status().code(), core::StatusCode::kNotFound);
  const EmbeddingData d = MakeData(100, 4, 0, 6);
  WriteStore(tmp.File("emb"), d);
  ASSERT_FALSE(HasFailure());
  const std::string manifest_path = tmp.File("emb/manifest.json");
  std::ifstream in(manifest_path);
  const nlohmann::json good = nlohmann::json::parse(in);

  auto open_with = [&](const nlohmann::json& m) {
    WriteTextFile(manifest_path, m.dump());
    return EmbeddingStore::Open(tmp.File("emb")).status();
  };
  nlohmann::json m = good;
  m["dim"] = 5;  // rows are 16 bytes, not 20
  core::Status s = open_with(m);
  EXPECT_EQ(s.code(), core::StatusCode::kCorruption);
  EXPECT_TRUE(Contains(s.message(), "global ID 0 has 16 bytes, expected 20")) << s.ToString();
  m = good;
  m["num_nodes"] = 101;
  s = open_with(m);
  EXPECT_TRUE(Contains(s.message(), "100 rows, expected 101")) << s.ToString();
  m = good;
  m["num_nodes"] = 99;
  s = open_with(m);
  EXPECT_TRUE(Contains(s.message(), "unexpected global ID 99")) << s.ToString();
  m = good;
  m["format_version"] = 2;
  EXPECT_EQ(open_with(m).code(), core::StatusCode::kCorruption);
  m = good;
  m.erase("version");
  EXPECT_EQ(open_with(m).code(), core::StatusCode::kCorruption);
  WriteTextFile(manifest_path, "{not json");
  EXPECT_EQ(EmbeddingStore::Open(tmp.File("emb")).status().code(), core::StatusCode::kCorruption);
  // A node map of the wrong length.
  m = good;
  WriteTextFile(manifest_path, m.dump());
  const std::vector<int64_t> short_map = {1, 2, 3};
  ASSERT_TRUE(core::WriteNpy(tmp.File("emb/node_map.npy"), short_map).ok());
  s = EmbeddingStore::Open(tmp.File("emb")).status();
  EXPECT_TRUE(Contains(s.message(), "3 entries, expected 100")) << s.ToString();
  // The good manifest and map again: opens.
  ASSERT_TRUE(core::WriteNpy(tmp.File("emb/node_map.npy"), d.node_map).ok());
  EXPECT_TRUE(EmbeddingStore::Open(tmp.File("emb")).ok());
}

}  // namespace
}  // namespace halo::testing
