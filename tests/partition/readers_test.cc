// Tests of the input readers: exact arrays on small fixtures (plain and gzip), every malformed
// input rejected with a message naming file and line, and the counts of the bundled datasets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/npy.h"
#include "partition/graph_data.h"
#include "partition/readers/reader.h"
#include "tests/test_util.h"

namespace halo::partition {
namespace {

using core::Result;
using core::StatusCode;
using halo::testing::DataPath;
using halo::testing::TempDir;
using halo::testing::WriteTextFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The graph of an OK result; a test failure (and an empty graph) otherwise.
GraphData Ok(Result<GraphData> result) {
  if (!result.ok()) {
    ADD_FAILURE() << result.status().ToString();
    return GraphData();
  }
  return std::move(result).value();
}

// The message of a failed result with `code`; a test failure otherwise.
std::string Error(const Result<GraphData>& result, StatusCode code = StatusCode::kInvalidArgument) {
  if (result.ok()) {
    ADD_FAILURE() << "expected an error, the read succeeded";
    return "";
  }
  EXPECT_EQ(result.status().code(), code) << result.status().ToString();
  return result.status().message();
}

std::vector<int64_t> LabelCounts(const GraphData& g) {
  std::vector<int64_t> counts(static_cast<size_t>(g.num_classes), 0);
  for (int64_t label : g.labels) {
    if (label >= 0) ++counts[static_cast<size_t>(label)];
  }
  return counts;
}

int64_t Count(const std::vector<uint8_t>& mask) {
  return std::count(mask.begin(), mask.end(), uint8_t{1});
}

// ---------------------------------------------------------------------------------------------
// ReadGraph, SupportedFormats, Validate

TEST(ReadGraphTest, SupportedFormats) {
  EXPECT_THAT(SupportedFormats(),
              ElementsAre("edgelist", "linqs", "planetoid-txt", "metis", "ogb", "npy"));
}

TEST(ReadGraphTest, UnknownFormatListsTheSupportedOnes) {
  TempDir dir;
  WriteTextFile(dir.File("g.txt"), "0 1\n");
  const std::string msg = Error(ReadGraph(dir.File("g.txt"), "graphml"));
  EXPECT_THAT(msg, HasSubstr("graphml"));
  for (const auto& format : SupportedFormats()) EXPECT_THAT(msg, HasSubstr(format));
}

TEST(ReadGraphTest, MissingInputIsNotFound) {
  TempDir dir;
  const std::string missing = dir.File("nope");
  for (const auto& format : SupportedFormats()) {
    EXPECT_THAT(Error(ReadGraph(missing, format), StatusCode::kNotFound), HasSubstr(missing));
  }
}

TEST(ReadGraphTest, DispatchesAndValidates) {
  TempDir dir;
  WriteTextFile(dir.File("g.txt"), "0 1\n1 2\n");
  GraphData g = Ok(ReadGraph(dir.File("g.txt"), "edgelist"));
  EXPECT_EQ(g.num_nodes, 3);
  EXPECT_EQ(g.num_edges(), 2);
  // A .gz file is found from its name without the suffix.
  WriteTextFile(dir.File("h.txt.gz"), "0 1\n", /*gzip=*/true);
  EXPECT_EQ(Ok(ReadGraph(dir.File("h.txt"), "edgelist")).num_edges(), 1);
}

TEST(GraphDataTest, ValidateAcceptsAConsistentGraph) {
  GraphData g;
  g.num_nodes = 3;
  g.src = {0, 1};
  g.dst = {1, 2};
  g.edge_weight = {1.0f, 2.0f};
  g.feature_dim = 2;
  g.features.assign(6, 0.5f);
  g.labels = {0, -1, 1};
  g.num_classes = 2;
  g.train_mask = {1, 0, 0};
  g.val_mask = {0, 1, 0};
  g.test_mask = {0, 0, 1};
  EXPECT_TRUE(g.Validate("g").ok());
  g = GraphData();
  EXPECT_TRUE(g.Validate("empty").ok());
}

TEST(GraphDataTest, ValidateRejectsInconsistentGraphs) {
  GraphData base;
  base.num_nodes = 3;
  base.src = {0, 1};
  base.dst = {1, 2};
  auto expect_invalid = [](const GraphData& g, const std::string& what) {
    const core::Status st = g.Validate("mygraph");
    EXPECT_FALSE(st.ok()) << what;
    EXPECT_THAT(st.message(), HasSubstr("mygraph")) << what;
    EXPECT_THAT(st.message(), HasSubstr(what));
  };
  GraphData g = base;
  g.dst[1] = 3;
  expect_invalid(g, "edge 1");
  g = base;
  g.src.push_back(0);
  expect_invalid(g, "destinations");
  g = base;
  g.edge_weight = {1.0f};
  expect_invalid(g, "edge_weight");
  g = base;
  g.original_ids = {5, 6};
  expect_invalid(g, "original_ids");
  g = base;
  g.feature_dim = 2;
  g.features.assign(5, 0.0f);
  expect_invalid(g, "features");
  g = base;
  g.labels = {0, 1, 2};
  g.num_classes = 2;
  expect_invalid(g, "label of node 2");
  g = base;
  g.labels = {0, -2, 0};
  g.num_classes = 1;
  expect_invalid(g, "label of node 1");
  g = base;
  g.train_mask = {1, 0};
  expect_invalid(g, "train_mask");
  g = base;
  g.train_mask = {1, 0, 0};
  g.val_mask = {0, 2, 0};
  g.test_mask = {0, 0, 1};
  expect_invalid(g, "val_mask[1]");
}

// ---------------------------------------------------------------------------------------------
// edgelist

TEST(EdgeListTest, CommaWithHeaderCommentsAndWeights) {
  TempDir dir;
  WriteTextFile(dir.File("g.csv"),
                "# a comment\nsrc,dst,weight\n10,20,0.5\n20, 30 ,1.5\n\n# more\n30,10,2\n");
  GraphData g = Ok(ReadEdgeList(dir.File("g.csv")));
  EXPECT_EQ(g.name, "g");
  EXPECT_TRUE(g.directed);
  EXPECT_EQ(g.num_nodes, 3);
  EXPECT_THAT(g.original_ids, ElementsAre(10, 20, 30));
  EXPECT_THAT(g.src, ElementsAre(0, 1, 2));
  EXPECT_THAT(g.dst, ElementsAre(1, 2, 0));
  EXPECT_THAT(g.edge_weight, ElementsAre(0.5f, 1.5f, 2.0f));
  EXPECT_TRUE(g.labels.empty());
  EXPECT_FALSE(g.has_split());
}

TEST(EdgeListTest, TabGzipAndSparseIds) {
  TempDir dir;
  WriteTextFile(dir.File("t.tsv.gz"), "5\t3\n3\t1000000000000\r\n5\t5\n", /*gzip=*/true);
  GraphData g = Ok(ReadEdgeList(dir.File("t.tsv.gz")));
  EXPECT_EQ(g.name, "t");
  EXPECT_EQ(g.num_nodes, 3);
  EXPECT_THAT(g.original_ids, ElementsAre(3, 5, 1000000000000));
  EXPECT_THAT(g.src, ElementsAre(1, 0, 1));
  EXPECT_THAT(g.dst, ElementsAre(0, 2, 1));  // the self-loop is kept
  EXPECT_TRUE(g.edge_weight.empty());
}

TEST(EdgeListTest, WhitespaceIdentityIdsKeepNoMap) {
  TempDir dir;
  WriteTextFile(dir.File("w.txt"), "0 1\n1   2\n  2\t0  \n2 1");  // no final newline
  GraphData g = Ok(ReadEdgeList(dir.File("w.txt")));
  EXPECT_EQ(g.num_nodes, 3);
  EXPECT_TRUE(g.original_ids.empty());
  EXPECT_THAT(g.src, ElementsAre(0, 1, 2, 2));
  EXPECT_THAT(g.dst, ElementsAre(1, 2, 0, 1));
}

TEST(EdgeListTest, DenseIdsWithGapsAreCompacted) {
  TempDir dir;
  WriteTextFile(dir.File("d.txt"), "4 2\n2 0\n");
  GraphData g = Ok(ReadEdgeList(dir.File("d.txt")));
  EXPECT_EQ(g.num_nodes, 3);
  EXPECT_THAT(g.original_ids, ElementsAre(0, 2, 4));
  EXPECT_THAT(g.src, ElementsAre(2, 1));
  EXPECT_THAT(g.dst, ElementsAre(1, 0));
}

// Many IDs, dense with gaps and sparse 64-bit: compaction keeps the edges and ascending order.
TEST(EdgeListTest, CompactionMatchesTheSourceIds) {
  for (int64_t spread : {int64_t{3}, int64_t{1} << 40}) {
    std::mt19937_64 rng(7);
    std::vector<int64_t> src(5000), dst(5000);
    std::string text;
    for (size_t i = 0; i < src.size(); ++i) {
      src[i] = static_cast<int64_t>(rng() % 3000) * spread;
      dst[i] = static_cast<int64_t>(rng() % 3000) * spread;
      text += std::to_string(src[i]) + " " + std::to_string(dst[i]) + "\n";
    }
    TempDir dir;
    WriteTextFile(dir.File("r.txt"), text);
    GraphData g = Ok(ReadEdgeList(dir.File("r.txt")));
    ASSERT_EQ(g.num_edges(), 5000);
    ASSERT_EQ(static_cast<int64_t>(g.original_ids.size()), g.num_nodes);
    EXPECT_TRUE(std::is_sorted(g.original_ids.begin(), g.original_ids.end()));
    EXPECT_EQ(std::adjacent_find(g.original_ids.begin(), g.original_ids.end()),
              g.original_ids.end());
    for (size_t i = 0; i < src.size(); ++i) {
      ASSERT_EQ(g.original_ids[g.src[i]], src[i]) << i;
      ASSERT_EQ(g.original_ids[g.dst[i]], dst[i]) << i;
    }
  }
}

TEST(EdgeListTest, EmptyFileIsAnEmptyGraph) {
  TempDir dir;
  WriteTextFile(dir.File("e.txt"), "# nothing\n");
  GraphData g = Ok(ReadEdgeList(dir.File("e.txt")));
  EXPECT_EQ(g.num_nodes, 0);
  EXPECT_EQ(g.num_edges(), 0);
}

TEST(EdgeListTest, MalformedLinesNameFileAndLine) {
  TempDir dir;
  struct Case {
    std::string content, where, what;
  };
  const std::vector<Case> cases = {
      {"1,2\n3,4\n5\n", "bad.csv:3:", "got 1"},
      {"1 2\n1 2 3 4\n", "bad.csv:2:", "got 4"},
      {"1,2\n1,x\n", "bad.csv:2:", "'x'"},
      {"1,2\n-1,2\n", "bad.csv:2:", "negative source ID -1"},
      {"1,2\n1,-7\n", "bad.csv:2:", "negative destination ID -7"},
      {"1,2,0.5\n2,3\n", "bad.csv:2:", "weight"},
      {"1,2\n2,3,0.5\n", "bad.csv:2:", "weight"},
      {"1,2,abc\n", "bad.csv:1:", "'abc'"},
      {"1,2,nan\n", "bad.csv:1:", "not finite"},
      {"1,2\na,b\n", "bad.csv:2:", "'a'"},
      {"1,2\n3,99999999999999999999\n", "bad.csv:2:", "99999999999999999999"},
  };
  for (const Case& c : cases) {
    WriteTextFile(dir.File("bad.csv"), c.content);
    const std::string msg = Error(ReadEdgeList(dir.File("bad.csv")));
    EXPECT_THAT(msg, HasSubstr(c.where)) << c.content;
    EXPECT_THAT(msg, HasSubstr(c.what)) << c.content;
  }
  // The same through gzip: line numbers still count from the top.
  WriteTextFile(dir.File("bad.csv.gz"), "1,2\n3,4\n5\n", /*gzip=*/true);
  EXPECT_THAT(Error(ReadEdgeList(dir.File("bad.csv.gz"))), HasSubstr("bad.csv.gz:3:"));
}

TEST(EdgeListTest, MissingFileIsNotFound) {
  TempDir dir;
  EXPECT_THAT(Error(ReadEdgeList(dir.File("none.csv")), StatusCode::kNotFound),
              HasSubstr("none.csv"));
}

// ---------------------------------------------------------------------------------------------
// linqs

constexpr char kTinyContent[] = "31\t1\t0\tB\n7\t0\t1\tA\n100\t1\t1\tB\n";
constexpr char kTinyCites[] = "31\t7\n100\t7\n";

void ExpectTinyLinqs(const GraphData& g) {
  EXPECT_EQ(g.name, "tiny");
  EXPECT_TRUE(g.directed);
  EXPECT_EQ(g.num_nodes, 3);
  EXPECT_THAT(g.original_ids, ElementsAre(31, 7, 100));
  EXPECT_EQ(g.feature_dim, 2);
  EXPECT_THAT(g.features, ElementsAre(1, 0, 0, 1, 1, 1));
  EXPECT_THAT(g.labels, ElementsAre(1, 0, 1));  // A = 0, B = 1
  EXPECT_EQ(g.num_classes, 2);
  // "<cited> <citing>": paper 7 cites 31 and 100.
  EXPECT_THAT(g.src, ElementsAre(1, 1));
  EXPECT_THAT(g.dst, ElementsAre(0, 2));
  EXPECT_FALSE(g.has_split());
}

TEST(LinqsTest, ReadsDirectoryAndContentFile) {
  for (bool gzip : {false, true}) {
    TempDir dir;
    const std::string gz = gzip ? ".gz" : "";
    WriteTextFile(dir.File("tiny.content" + gz), kTinyContent, gzip);
    WriteTextFile(dir.File("tiny.cites" + gz), kTinyCites, gzip);
    WriteTextFile(dir.File("README"), "not data\n");
    ExpectTinyLinqs(Ok(ReadLinqs(dir.path())));
    ExpectTinyLinqs(Ok(ReadLinqs(dir.File("tiny.content" + gz))));
    ExpectTinyLinqs(Ok(ReadLinqs(dir.File("tiny.content"))));  // .gz found from the plain name
    ExpectTinyLinqs(Ok(ReadGraph(dir.path(), "linqs")));
  }
}

TEST(LinqsTest, SpaceSeparatedAndNoFeatures) {
  TempDir dir;
  WriteTextFile(dir.File("x.content"), "1 Zeta\n2 Alpha\n");
  WriteTextFile(dir.File("x.cites"), "1 2\n");
  GraphData g = Ok(ReadLinqs(dir.path()));
  EXPECT_EQ(g.feature_dim, 0);
  EXPECT_TRUE(g.features.empty());
  EXPECT_THAT(g.labels, ElementsAre(1, 0));
  EXPECT_THAT(g.src, ElementsAre(1));
  EXPECT_THAT(g.dst, ElementsAre(0));
}

TEST(LinqsTest, MalformedInputsNameFileAndLine) {
  TempDir dir;
  struct Case {
    std::string content, cites, where, what;
  };
  const std::vector<Case> cases = {
      {kTinyContent, "31\t7\n31\t8\n", "tiny.cites:2:", "paper 8 is not in tiny.content"},
      {kTinyContent, "31\t7\n55\t7\n", "tiny.cites:2:", "paper 55"},
      {kTinyContent, "31\t7\t9\n", "tiny.cites:1:", "got 3"},
      {kTinyContent, "31\tx\n", "tiny.cites:1:", "'x'"},
      {kTinyContent, "31\t-7\n", "tiny.cites:1:", "negative"},
      {"31\t1\t0\tB\n7\t0\tA\n", kTinyCites, "tiny.content:2:", "expected 4 columns like line 1"},
      {"31\t1\t0\tB\nabc\t0\t1\tA\n", kTinyCites, "tiny.content:2:", "'abc'"},
      {"31\t1\t0\tB\n7\t0\tq\tA\n", kTinyCites, "tiny.content:2:", "'q'"},
      {"31\t1\t0\tB\n7\t0\t1\tA\n31\t1\t1\tB\n", kTinyCites,
       "tiny.content:3:", "duplicate node ID 31 (first listed on line 1)"},
      {"31\n", kTinyCites, "tiny.content:1:", "got 1"},
  };
  for (const Case& c : cases) {
    WriteTextFile(dir.File("tiny.content"), c.content);
    WriteTextFile(dir.File("tiny.cites"), c.cites);
    const std::string msg = Error(ReadLinqs(dir.path()));
    EXPECT_THAT(msg, HasSubstr(c.where)) << c.content << "|" << c.cites;
    EXPECT_THAT(msg, HasSubstr(c.what)) << c.content << "|" << c.cites;
  }
}

TEST(LinqsTest, MissingOrAmbiguousFiles) {
  TempDir dir;
  WriteTextFile(dir.File("tiny.content"), kTinyContent);
  EXPECT_THAT(Error(ReadLinqs(dir.path()), StatusCode::kNotFound), HasSubstr(".cites"));
  EXPECT_THAT(Error(ReadLinqs(dir.File("tiny.content")), StatusCode::kNotFound),
              HasSubstr("tiny.cites"));
  WriteTextFile(dir.File("tiny.cites"), kTinyCites);
  WriteTextFile(dir.File("other.content.gz"), kTinyContent, /*gzip=*/true);
  const std::string msg = Error(ReadLinqs(dir.path()));
  EXPECT_THAT(msg, HasSubstr("other.content"));
  EXPECT_THAT(msg, HasSubstr("tiny.content"));
  // The file form still works: its cites file is found by name.
  ExpectTinyLinqs(Ok(ReadLinqs(dir.File("tiny.content"))));
  TempDir empty;
  EXPECT_THAT(Error(ReadLinqs(empty.path()), StatusCode::kNotFound), HasSubstr(".content"));
}

TEST(LinqsTest, BundledCora) {
  GraphData g = Ok(ReadGraph(DataPath("cora/linqs"), "linqs"));
  EXPECT_EQ(g.name, "cora");
  EXPECT_TRUE(g.directed);
  EXPECT_EQ(g.num_nodes, 2708);
  EXPECT_EQ(g.num_edges(), 5429);
  EXPECT_EQ(g.feature_dim, 1433);
  EXPECT_EQ(g.num_classes, 7);
  EXPECT_EQ(static_cast<int64_t>(g.original_ids.size()), 2708);
  EXPECT_EQ(*std::min_element(g.original_ids.begin(), g.original_ids.end()), 35);
  EXPECT_EQ(*std::max_element(g.original_ids.begin(), g.original_ids.end()), 1155073);
  for (int64_t i = 0; i < g.num_edges(); ++i) ASSERT_NE(g.src[i], g.dst[i]) << "edge " << i;
  EXPECT_EQ(std::count(g.features.begin(), g.features.end(), 1.0f), 49216);
  // Classes by sorted name: Case_Based, Genetic_Algorithms, Neural_Networks,
  // Probabilistic_Methods, Reinforcement_Learning, Rule_Learning, Theory.
  EXPECT_THAT(LabelCounts(g), ElementsAre(298, 418, 818, 426, 217, 180, 351));
  EXPECT_FALSE(g.has_split());
  // First line of cora.cites is "35 1033": paper 1033 cites paper 35.
  EXPECT_EQ(g.original_ids[g.src[0]], 1033);
  EXPECT_EQ(g.original_ids[g.dst[0]], 35);
}

// ---------------------------------------------------------------------------------------------
// planetoid-txt

void WritePlanetoid(const TempDir& dir, bool gzip) {
  const std::string gz = gzip ? ".gz" : "";
  WriteTextFile(dir.File("p.content" + gz), "0\t1\t0\t2\n1\t0\t1\t0\n2\t1\t1\t-1\n3\t0\t0.5\t1\n",
                gzip);
  WriteTextFile(dir.File("p.edges" + gz), "0\t1\n1\t3\n2\t2\n", gzip);
  WriteTextFile(dir.File("p.train" + gz), "0\n", gzip);
  WriteTextFile(dir.File("p.val" + gz), "1\n", gzip);
  WriteTextFile(dir.File("p.test" + gz), "3\n2\n", gzip);
}

TEST(PlanetoidTxtTest, ReadsAllFiles) {
  for (bool gzip : {false, true}) {
    TempDir dir;
    WritePlanetoid(dir, gzip);
    GraphData g = Ok(ReadPlanetoidTxt(dir.path()));
    EXPECT_EQ(g.name, "p");
    EXPECT_FALSE(g.directed);
    EXPECT_EQ(g.num_nodes, 4);
    EXPECT_TRUE(g.original_ids.empty());
    // Both directions of each undirected edge; a self-loop once.
    EXPECT_THAT(g.src, ElementsAre(0, 1, 1, 3, 2));
    EXPECT_THAT(g.dst, ElementsAre(1, 0, 3, 1, 2));
    EXPECT_EQ(g.feature_dim, 2);
    EXPECT_THAT(g.features, ElementsAre(1, 0, 0, 1, 1, 1, 0, 0.5f));
    EXPECT_THAT(g.labels, ElementsAre(2, 0, -1, 1));
    EXPECT_EQ(g.num_classes, 3);
    EXPECT_THAT(g.train_mask, ElementsAre(1, 0, 0, 0));
    EXPECT_THAT(g.val_mask, ElementsAre(0, 1, 0, 0));
    EXPECT_THAT(g.test_mask, ElementsAre(0, 0, 1, 1));
  }
}

TEST(PlanetoidTxtTest, NonContiguousIdsAreMapped) {
  TempDir dir;
  WriteTextFile(dir.File("q.content"), "20\t1\t0\n10\t2\t1\n");
  WriteTextFile(dir.File("q.edges"), "10\t20\n");
  WriteTextFile(dir.File("q.train"), "20\n");
  WriteTextFile(dir.File("q.val"), "");
  WriteTextFile(dir.File("q.test"), "10\n");
  GraphData g = Ok(ReadPlanetoidTxt(dir.path()));
  EXPECT_THAT(g.original_ids, ElementsAre(20, 10));
  EXPECT_THAT(g.src, ElementsAre(1, 0));
  EXPECT_THAT(g.dst, ElementsAre(0, 1));
  EXPECT_THAT(g.train_mask, ElementsAre(1, 0));
  EXPECT_THAT(g.val_mask, ElementsAre(0, 0));
  EXPECT_THAT(g.test_mask, ElementsAre(0, 1));
}

TEST(PlanetoidTxtTest, NoSplitFilesMeansNoSplit) {
  TempDir dir;
  WriteTextFile(dir.File("p.content"), "0\t1\t0\n1\t0\t1\n");
  WriteTextFile(dir.File("p.edges"), "0\t1\n");
  GraphData g = Ok(ReadPlanetoidTxt(dir.path()));
  EXPECT_FALSE(g.has_split());
  EXPECT_TRUE(g.val_mask.empty());
}

TEST(PlanetoidTxtTest, MalformedInputsNameFileAndLine) {
  struct Case {
    std::string file, content, where, what;
  };
  const std::vector<Case> cases = {
      {"p.edges", "0\t1\n1\t7\n", "p.edges:2:", "node 7 is not in p.content"},
      {"p.edges", "0\t1\n1\n", "p.edges:2:", "got 1"},
      {"p.edges", "0\t1\n1\ty\n", "p.edges:2:", "'y'"},
      {"p.content", "0\t1\t0\t2\n1\t0\t1\t-2\n", "p.content:2:", "label -2 out of range"},
      {"p.content", "0\t1\t0\t2\n1\t0\t1\tz\n", "p.content:2:", "bad label 'z'"},
      {"p.content", "0\t1\t0\t2\n1\t0\t0\t1\t1\n", "p.content:2:", "got 5"},
      {"p.content", "0\t1\t0\t2\n1\t0\t1\t0\n1\t1\t1\t0\n", "p.content:3:", "duplicate node ID 1"},
      {"p.train", "0\n9\n", "p.train:2:", "unknown node ID 9"},
      {"p.val", "1\n-1\n", "p.val:2:", "negative"},
      {"p.val", "1 2\n", "p.val:1:", "one node ID per line"},
      {"p.test", "3\n0\n", "p.test:2:", "node 0 is already in the train split"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    WritePlanetoid(dir, /*gzip=*/false);
    WriteTextFile(dir.File(c.file), c.content);
    const std::string msg = Error(ReadPlanetoidTxt(dir.path()));
    EXPECT_THAT(msg, HasSubstr(c.where)) << c.file << ": " << c.content;
    EXPECT_THAT(msg, HasSubstr(c.what)) << c.file << ": " << c.content;
  }
}

TEST(PlanetoidTxtTest, MissingFilesAreNamed) {
  for (const std::string missing : {"p.edges", "p.val", "p.train", "p.test"}) {
    TempDir dir;
    WritePlanetoid(dir, /*gzip=*/false);
    std::filesystem::remove(dir.File(missing));
    EXPECT_THAT(Error(ReadPlanetoidTxt(dir.path()), StatusCode::kNotFound), HasSubstr(missing));
  }
  TempDir dir;
  EXPECT_THAT(Error(ReadPlanetoidTxt(dir.path()), StatusCode::kNotFound), HasSubstr(".content"));
  WriteTextFile(dir.File("f.txt"), "");
  EXPECT_THAT(Error(ReadPlanetoidTxt(dir.File("f.txt"))), HasSubstr("expected a directory"));
}

TEST(PlanetoidTxtTest, BundledCora) {
  GraphData g = Ok(ReadGraph(DataPath("cora/planetoid_txt"), "planetoid-txt"));
  EXPECT_EQ(g.name, "cora");
  EXPECT_FALSE(g.directed);
  EXPECT_EQ(g.num_nodes, 2708);
  EXPECT_EQ(g.num_edges(), 10556);
  EXPECT_TRUE(g.original_ids.empty());
  EXPECT_EQ(g.feature_dim, 1433);
  EXPECT_EQ(std::count_if(g.features.begin(), g.features.end(), [](float x) { return x != 0; }),
            49216);
  EXPECT_EQ(g.num_classes, 7);
  EXPECT_THAT(LabelCounts(g), ElementsAre(351, 217, 418, 818, 426, 298, 180));
  EXPECT_EQ(Count(g.train_mask), 140);
  EXPECT_EQ(Count(g.val_mask), 500);
  EXPECT_EQ(Count(g.test_mask), 1000);
  for (int64_t v = 0; v < 140; ++v) ASSERT_EQ(g.train_mask[v], 1) << v;
  for (int64_t v = 140; v < 640; ++v) ASSERT_EQ(g.val_mask[v], 1) << v;
  // Every edge in both directions, no self-loops.
  std::vector<std::pair<NodeId, NodeId>> edges, reversed;
  for (int64_t i = 0; i < g.num_edges(); ++i) {
    ASSERT_NE(g.src[i], g.dst[i]);
    edges.emplace_back(g.src[i], g.dst[i]);
    reversed.emplace_back(g.dst[i], g.src[i]);
  }
  std::sort(edges.begin(), edges.end());
  std::sort(reversed.begin(), reversed.end());
  EXPECT_EQ(edges, reversed);
  EXPECT_EQ(std::unique(edges.begin(), edges.end()) - edges.begin(), 10556);
}

// ---------------------------------------------------------------------------------------------
// metis

TEST(MetisTest, UnweightedWithCommentsSpacesAndNoFinalNewline) {
  TempDir dir;
  WriteTextFile(dir.File("m.graph"), "% a comment\n 4 4 \n2 3\n1 3 4  \n% inside\n 1 2\n2");
  GraphData g = Ok(ReadMetisGraph(dir.File("m.graph")));
  EXPECT_EQ(g.name, "m");
  EXPECT_FALSE(g.directed);
  EXPECT_EQ(g.num_nodes, 4);
  // One edge per adjacency entry, neighbor -> vertex.
  EXPECT_THAT(g.src, ElementsAre(1, 2, 0, 2, 3, 0, 1, 1));
  EXPECT_THAT(g.dst, ElementsAre(0, 0, 1, 1, 1, 2, 2, 3));
  EXPECT_TRUE(g.edge_weight.empty());
  EXPECT_TRUE(g.original_ids.empty());
}

TEST(MetisTest, VertexWeightsAndEdgeWeightsGzip) {
  TempDir dir;
  WriteTextFile(dir.File("w.graph.gz"), "3 2 011 2\n1 1 2 5\n2 2 1 5 3 7\n3 3 2 7\n",
                /*gzip=*/true);
  GraphData g = Ok(ReadMetisGraph(dir.File("w.graph.gz")));
  EXPECT_EQ(g.name, "w");
  EXPECT_EQ(g.num_nodes, 3);
  EXPECT_THAT(g.src, ElementsAre(1, 0, 2, 1));
  EXPECT_THAT(g.dst, ElementsAre(0, 1, 1, 2));
  EXPECT_THAT(g.edge_weight, ElementsAre(5, 5, 7, 7));
}

TEST(MetisTest, VertexSizesAndIsolatedVertices) {
  TempDir dir;
  WriteTextFile(dir.File("s.graph"), "3 1 100\n9 2\n9 1\n9\n");
  GraphData g = Ok(ReadMetisGraph(dir.File("s.graph")));
  EXPECT_EQ(g.num_nodes, 3);
  EXPECT_THAT(g.src, ElementsAre(1, 0));
  EXPECT_THAT(g.dst, ElementsAre(0, 1));
  // Without fmt, an empty line is a vertex without neighbors; blank lines after the last are fine.
  WriteTextFile(dir.File("i.graph"), "3 1\n2\n1\n\n\n");
  g = Ok(ReadMetisGraph(dir.File("i.graph")));
  EXPECT_EQ(g.num_nodes, 3);
  EXPECT_EQ(g.num_edges(), 2);
  // Single vertex weight (fmt 10, ncon defaults to 1).
  WriteTextFile(dir.File("v.graph"), "2 1 10\n4 2\n6 1\n");
  g = Ok(ReadMetisGraph(dir.File("v.graph")));
  EXPECT_THAT(g.src, ElementsAre(1, 0));
}

TEST(MetisTest, MalformedInputsNameFileAndLine) {
  TempDir dir;
  struct Case {
    std::string content, where, what;
  };
  const std::vector<Case> cases = {
      {"3 1\n2\n5\n\n", "bad.graph:3:", "neighbor 5 out of range [1, 3]"},
      {"3 1\n2\n0\n\n", "bad.graph:3:", "neighbor 0 out of range"},
      {"3 1\n2\nx\n\n", "bad.graph:3:", "'x'"},
      {"3 2\n2\n1\n\n", "bad.graph:1:", "2 edges"},
      {"% c\n3 1\n2\n1\n", "bad.graph:2:", "header says 3 vertices, the file has 2"},
      {"2 1\n2\n1\n1\n", "bad.graph:4:", "more vertex lines than the 2"},
      {"2 1 2\n2\n1\n", "bad.graph:1:", "bad fmt '2'"},
      {"2 1 1111\n2\n1\n", "bad.graph:1:", "bad fmt"},
      {"2 1 001 2\n2 1\n1 1\n", "bad.graph:1:", "no vertex weights"},
      {"2 1 010 0\n2\n1\n", "bad.graph:1:", "bad ncon"},
      {"2 1 1\n2\n1 1\n", "bad.graph:2:", "without an edge weight"},
      {"2 1 1\n2 -3\n1 1\n", "bad.graph:2:", "bad edge weight '-3'"},
      {"2 1 010 2\n1\n1 1 1\n", "bad.graph:2:", "expected 2 leading"},
      {"2 1 010 2\n1 q 2\n1 1 1\n", "bad.graph:2:", "bad vertex weight 'q'"},
      {"2\n2\n1\n", "bad.graph:1:", "header"},
      {"a 1\n2\n1\n", "bad.graph:1:", "bad vertex count 'a'"},
      {"2 -1\n2\n1\n", "bad.graph:1:", "bad edge count '-1'"},
  };
  for (const Case& c : cases) {
    WriteTextFile(dir.File("bad.graph"), c.content);
    const std::string msg = Error(ReadMetisGraph(dir.File("bad.graph")));
    EXPECT_THAT(msg, HasSubstr(c.where)) << c.content;
    EXPECT_THAT(msg, HasSubstr(c.what)) << c.content;
  }
  WriteTextFile(dir.File("empty.graph"), "% only a comment\n");
  EXPECT_THAT(Error(ReadMetisGraph(dir.File("empty.graph"))), HasSubstr("empty.graph"));
}

TEST(MetisTest, Bundled4elt) {
  GraphData g = Ok(ReadGraph(DataPath("4elt/4elt.graph.gz"), "metis"));
  EXPECT_EQ(g.name, "4elt");
  EXPECT_FALSE(g.directed);
  EXPECT_EQ(g.num_nodes, 15606);
  EXPECT_EQ(g.num_edges(), 91756);
  // The first line "2 3 6 7" lists vertex 1's neighbors.
  EXPECT_THAT(std::vector<NodeId>(g.src.begin(), g.src.begin() + 4), ElementsAre(1, 2, 5, 6));
  EXPECT_THAT(std::vector<NodeId>(g.dst.begin(), g.dst.begin() + 4), ElementsAre(0, 0, 0, 0));
}

// ---------------------------------------------------------------------------------------------
// ogb

// A 4-node OGB dataset in dir/ogbn-tiny; returns that directory.
std::string WriteOgb(const TempDir& dir, bool gzip) {
  const std::string root = dir.File("ogbn-tiny");
  const std::string gz = gzip ? ".gz" : "";
  WriteTextFile(root + "/raw/edge.csv" + gz, "0,1\n1,2\n2,0\n3,3\n", gzip);
  WriteTextFile(root + "/raw/num-node-list.csv" + gz, "4\n", gzip);
  WriteTextFile(root + "/raw/node-feat.csv" + gz, "0.5,1\n-1,2e3\n0,0\n1,1\n", gzip);
  WriteTextFile(root + "/raw/node-label.csv" + gz, "1\nnan\n\n3\n", gzip);
  WriteTextFile(root + "/raw/edge-feat.csv" + gz, "ignored\n", gzip);
  WriteTextFile(root + "/split/time/train.csv" + gz, "0\n", gzip);
  WriteTextFile(root + "/split/time/valid.csv" + gz, "1\n", gzip);
  WriteTextFile(root + "/split/time/test.csv" + gz, "2\n3\n", gzip);
  return root;
}

TEST(OgbTest, ReadsAllFiles) {
  for (bool gzip : {false, true}) {
    TempDir dir;
    const std::string root = WriteOgb(dir, gzip);
    GraphData g = Ok(ReadOgb(root + "/"));
    EXPECT_EQ(g.name, "ogbn-tiny");
    EXPECT_TRUE(g.directed);
    EXPECT_EQ(g.num_nodes, 4);
    EXPECT_THAT(g.src, ElementsAre(0, 1, 2, 3));
    EXPECT_THAT(g.dst, ElementsAre(1, 2, 0, 3));
    EXPECT_EQ(g.feature_dim, 2);
    EXPECT_THAT(g.features, ElementsAre(0.5f, 1, -1, 2000, 0, 0, 1, 1));
    EXPECT_THAT(g.labels, ElementsAre(1, -1, -1, 3));
    EXPECT_EQ(g.num_classes, 4);
    EXPECT_THAT(g.train_mask, ElementsAre(1, 0, 0, 0));
    EXPECT_THAT(g.val_mask, ElementsAre(0, 1, 0, 0));
    EXPECT_THAT(g.test_mask, ElementsAre(0, 0, 1, 1));
  }
}

TEST(OgbTest, OptionalFilesMayBeAbsent) {
  TempDir dir;
  const std::string root = WriteOgb(dir, /*gzip=*/false);
  std::filesystem::remove(root + "/raw/node-feat.csv");
  std::filesystem::remove(root + "/raw/node-label.csv");
  std::filesystem::remove_all(root + "/split");
  GraphData g = Ok(ReadGraph(root, "ogb"));
  EXPECT_EQ(g.num_nodes, 4);
  EXPECT_EQ(g.feature_dim, 0);
  EXPECT_TRUE(g.labels.empty());
  EXPECT_FALSE(g.has_split());
}

TEST(OgbTest, MalformedInputsNameFileAndLine) {
  struct Case {
    std::string file, content, where, what;
  };
  const std::vector<Case> cases = {
      {"raw/edge.csv", "0,1\n1,2\n2,4\n", "edge.csv:3:", "node ID 4 out of range [0, 4)"},
      {"raw/edge.csv", "0,1\n1\n", "edge.csv:2:", "got 1"},
      {"raw/edge.csv", "0,1\n1,2,3\n", "edge.csv:2:", "got 3"},
      {"raw/edge.csv", "0,1\n1,-2\n", "edge.csv:2:", "negative"},
      {"raw/edge.csv", "0,1\nx,2\n", "edge.csv:2:", "'x'"},
      {"raw/num-node-list.csv", "4\n5\n", "num-node-list.csv:2:", "more than one graph"},
      {"raw/num-node-list.csv", "four\n", "num-node-list.csv:1:", "'four'"},
      {"raw/node-feat.csv", "0.5,1\n-1\n0,0\n1,1\n", "node-feat.csv:2:", "expected 2 features"},
      {"raw/node-feat.csv", "0.5,1\n-1,w\n0,0\n1,1\n", "node-feat.csv:2:", "'w'"},
      {"raw/node-feat.csv", "0.5,1\n-1,1\n0,0\n1,1\n2,2\n", "node-feat.csv:5:", "more rows"},
      {"raw/node-feat.csv", "0.5,1\n-1,1\n0,0\n", "node-feat.csv: 3 rows", "one per node (4)"},
      {"raw/node-label.csv", "1\ncat\n0\n0\n", "node-label.csv:2:", "bad label 'cat'"},
      {"raw/node-label.csv", "1\n-3\n0\n0\n", "node-label.csv:2:", "negative label -3"},
      {"raw/node-label.csv", "1\n2\n0\n0\n0\n", "node-label.csv:5:", "more rows"},
      {"raw/node-label.csv", "1\n2\n", "node-label.csv: 2 rows", "one per node"},
      {"split/time/train.csv", "0\n4\n", "train.csv:2:", "unknown node ID 4"},
      {"split/time/test.csv", "2\n1\n", "test.csv:2:", "already in the val split"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    const std::string root = WriteOgb(dir, /*gzip=*/false);
    WriteTextFile(root + "/" + c.file, c.content);
    const std::string msg = Error(ReadOgb(root));
    EXPECT_THAT(msg, HasSubstr(c.where)) << c.file << ": " << c.content;
    EXPECT_THAT(msg, HasSubstr(c.what)) << c.file << ": " << c.content;
  }
}

TEST(OgbTest, MissingAndAmbiguousFilesAreNamed) {
  for (const std::string missing :
       {"raw/edge.csv", "raw/num-node-list.csv", "split/time/valid.csv"}) {
    TempDir dir;
    const std::string root = WriteOgb(dir, /*gzip=*/false);
    std::filesystem::remove(root + "/" + missing);
    EXPECT_THAT(Error(ReadOgb(root), StatusCode::kNotFound), HasSubstr(missing));
  }
  TempDir dir;
  const std::string root = WriteOgb(dir, /*gzip=*/false);
  WriteTextFile(root + "/split/random/train.csv", "0\n");
  const std::string msg = Error(ReadOgb(root));
  EXPECT_THAT(msg, HasSubstr("random"));
  EXPECT_THAT(msg, HasSubstr("time"));
}

// ---------------------------------------------------------------------------------------------
// npy

template <typename T>
void Write(const TempDir& dir, const std::string& name, const std::vector<T>& values) {
  ASSERT_TRUE(core::WriteNpy(dir.File(name), values).ok()) << name;
}

void WriteBool(const TempDir& dir, const std::string& name, const std::vector<uint8_t>& values) {
  ASSERT_TRUE(core::WriteNpyBool(dir.File(name), values).ok()) << name;
}

// A 4-node COO graph with every optional array.
void WriteNpyGraph(const TempDir& dir) {
  Write<int64_t>(dir, "src.npy", {0, 1, 2});
  Write<int32_t>(dir, "dst.npy", {1, 2, 0});
  Write<int64_t>(dir, "num_nodes.npy", {4});
  Write<float>(dir, "edge_weight.npy", {0.5f, 1.0f, 2.0f});
  const std::vector<float> feat = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(core::WriteNpy(dir.File("feat.npy"), feat.data(), {4, 2}).ok());
  Write<int64_t>(dir, "label.npy", {0, 1, -1, 2});
  WriteBool(dir, "train_mask.npy", {1, 0, 0, 0});
  WriteBool(dir, "val_mask.npy", {0, 1, 0, 0});
  Write<uint8_t>(dir, "test_mask.npy", {0, 0, 1, 1});
}

TEST(NpyDirTest, CooWithAllArrays) {
  TempDir dir;
  WriteNpyGraph(dir);
  GraphData g = Ok(ReadNpyDir(dir.path()));
  EXPECT_EQ(g.name, std::filesystem::path(dir.path()).filename().string());
  EXPECT_TRUE(g.directed);
  EXPECT_EQ(g.num_nodes, 4);
  EXPECT_THAT(g.src, ElementsAre(0, 1, 2));
  EXPECT_THAT(g.dst, ElementsAre(1, 2, 0));
  EXPECT_THAT(g.edge_weight, ElementsAre(0.5f, 1.0f, 2.0f));
  EXPECT_EQ(g.feature_dim, 2);
  EXPECT_THAT(g.features, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
  EXPECT_THAT(g.labels, ElementsAre(0, 1, -1, 2));
  EXPECT_EQ(g.num_classes, 3);
  EXPECT_THAT(g.train_mask, ElementsAre(1, 0, 0, 0));
  EXPECT_THAT(g.val_mask, ElementsAre(0, 1, 0, 0));
  EXPECT_THAT(g.test_mask, ElementsAre(0, 0, 1, 1));
}

TEST(NpyDirTest, CsrAndDefaultNodeCount) {
  TempDir dir;
  Write<int64_t>(dir, "indptr.npy", {0, 2, 2, 3});
  Write<int64_t>(dir, "indices.npy", {1, 2, 0});
  GraphData g = Ok(ReadGraph(dir.path(), "npy"));
  EXPECT_EQ(g.num_nodes, 3);
  EXPECT_THAT(g.src, ElementsAre(0, 0, 2));
  EXPECT_THAT(g.dst, ElementsAre(1, 2, 0));

  TempDir coo;
  Write<int64_t>(coo, "src.npy", {5, 1});
  Write<int64_t>(coo, "dst.npy", {2, 0});
  EXPECT_EQ(Ok(ReadNpyDir(coo.path())).num_nodes, 6);
}

TEST(NpyDirTest, InconsistentArraysNameTheFile) {
  struct Case {
    std::function<void(const TempDir&)> change;
    std::string where, what;
  };
  const std::vector<Case> cases = {
      {[](const TempDir& d) {
         Write<int64_t>(d, "dst.npy", {1, 2});
       },
       "dst.npy", "2 elements, expected 3"},
      {[](const TempDir& d) {
         Write<int64_t>(d, "src.npy", {0, -1, 2});
       },
       "src.npy", "element 1 = -1 is negative"},
      {[](const TempDir& d) {
         Write<int64_t>(d, "dst.npy", {1, 4, 0});
       },
       "dst.npy", "element 1 = 4 out of range [0, 4)"},
      {[](const TempDir& d) {
         Write<float>(d, "src.npy", {0, 1, 2});
       },
       "src.npy", "float32"},
      {[](const TempDir& d) {
         Write<int64_t>(d, "num_nodes.npy", {4, 5});
       },
       "num_nodes.npy", "expected 1 element"},
      {[](const TempDir& d) {
         Write<float>(d, "edge_weight.npy", {1, 2});
       },
       "edge_weight.npy", "one per edge"},
      {[](const TempDir& d) {
         Write<float>(d, "feat.npy", {1, 2, 3});
       },
       "feat.npy", "3 rows, expected 4"},
      {[](const TempDir& d) {
         Write<int64_t>(d, "label.npy", {0, 1, 2});
       },
       "label.npy", "3 elements, expected 4"},
      {[](const TempDir& d) {
         Write<int64_t>(d, "label.npy", {0, 1, -2, 0});
       },
       "label.npy", "element 2 = -2 out of range"},
      {[](const TempDir& d) {
         Write<float>(d, "label.npy", {0, 1, 2, 0});
       },
       "label.npy", "float32"},
      {[](const TempDir& d) {
         Write<uint8_t>(d, "val_mask.npy", {0, 2, 0, 0});
       },
       "val_mask.npy", "element 1 = 2"},
      {[](const TempDir& d) {
         WriteBool(d, "val_mask.npy", {0, 1, 0});
       },
       "val_mask.npy", "3 elements, expected 4"},
      {[](const TempDir& d) {
         WriteBool(d, "val_mask.npy", {1, 1, 0, 0});
       },
       "node 0", "more than one"},
      {[](const TempDir& d) {
         const std::vector<int64_t> m = {0, 1, 2, 3};
         ASSERT_TRUE(core::WriteNpy(d.File("src.npy"), m.data(), {2, 2}).ok());
       },
       "src.npy", "1-D"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    TempDir dir;
    WriteNpyGraph(dir);
    cases[i].change(dir);
    const std::string msg = Error(ReadNpyDir(dir.path()));
    EXPECT_THAT(msg, HasSubstr(cases[i].where)) << "case " << i;
    EXPECT_THAT(msg, HasSubstr(cases[i].what)) << "case " << i;
  }
}

TEST(NpyDirTest, InconsistentCsrNamesTheFile) {
  struct Case {
    std::vector<int64_t> indptr, indices;
    std::string where, what;
  };
  const std::vector<Case> cases = {
      {{1, 2, 3}, {0, 1, 2}, "indptr.npy", "start with 0"},
      {{}, {}, "indptr.npy", "start with 0"},
      {{0, 2, 1, 3}, {0, 1, 2}, "indptr.npy", "decreases at element 2"},
      {{0, 1, 2}, {0, 1, 1}, "indptr.npy", "ends at 2 but indices.npy has 3"},
      {{0, 1, 3}, {0, 1, 2}, "indices.npy", "element 2 = 2 out of range [0, 2)"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    Write<int64_t>(dir, "indptr.npy", c.indptr);
    Write<int64_t>(dir, "indices.npy", c.indices);
    const std::string msg = Error(ReadNpyDir(dir.path()));
    EXPECT_THAT(msg, HasSubstr(c.where)) << c.what;
    EXPECT_THAT(msg, HasSubstr(c.what));
  }
  TempDir dir;
  Write<int64_t>(dir, "indptr.npy", {0, 1, 1});
  Write<int64_t>(dir, "indices.npy", {1});
  Write<int64_t>(dir, "num_nodes.npy", {3});
  EXPECT_THAT(Error(ReadNpyDir(dir.path())), HasSubstr("num_nodes.npy says 3"));
}

TEST(NpyDirTest, MissingFilesAreNamed) {
  struct Case {
    std::vector<std::string> files;  // removed from the full COO graph
    std::string what;
    StatusCode code;
  };
  const std::vector<Case> cases = {
      {{"dst.npy"}, "dst.npy", StatusCode::kNotFound},
      {{"src.npy", "dst.npy"}, "src.npy + dst.npy", StatusCode::kNotFound},
      {{"val_mask.npy"}, "val_mask.npy", StatusCode::kNotFound},
      {{"train_mask.npy", "test_mask.npy"}, "test_mask.npy", StatusCode::kNotFound},
  };
  for (const Case& c : cases) {
    TempDir dir;
    WriteNpyGraph(dir);
    for (const auto& f : c.files) std::filesystem::remove(dir.File(f));
    EXPECT_THAT(Error(ReadNpyDir(dir.path()), c.code), HasSubstr(c.what));
  }
  TempDir both;
  WriteNpyGraph(both);
  Write<int64_t>(both, "indptr.npy", {0, 0, 0, 0, 0});
  Write<int64_t>(both, "indices.npy", {});
  EXPECT_THAT(Error(ReadNpyDir(both.path())), HasSubstr("both"));
  // Without num_nodes.npy an isolated last node makes the node arrays too long: say why.
  TempDir isolated;
  WriteNpyGraph(isolated);
  std::filesystem::remove(isolated.File("num_nodes.npy"));
  EXPECT_THAT(Error(ReadNpyDir(isolated.path())), HasSubstr("add num_nodes.npy"));
}

}  // namespace
}  // namespace halo::partition
