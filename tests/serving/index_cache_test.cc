// The persistent IVF index cache of SimilarityIndex::Open: a second open reads the index written
// by the first and answers exactly as the freshly built one; a changed store version, rows,
// metric or nlist is never served from a stale file; a corrupt or incomplete cache is rebuilt
// (with a warning naming the file) and rewritten; an unwritable cache directory and flat indexes
// leave nothing behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "serving/similarity_index.h"
#include "tests/serving/serving_test_util.h"
#include "tests/test_util.h"

namespace halo::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using serving::IndexCacheOptions;
using serving::IndexSource;
using serving::IndexType;
using serving::Metric;
using serving::Neighbor;
using serving::SimilarityIndex;
using serving::SimilarityOptions;

constexpr int64_t kNodes = 20000, kDim = 32, kNlist = 141;  // round(sqrt(20000))

class IndexCache : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new EmbeddingData(MakeData(kNodes, kDim, 0, 61, false, /*clusters=*/200, 1.0f));
  }
  static void TearDownTestSuite() { delete data_; }

  IndexCacheOptions Cache() const {
    return IndexCacheOptions{tmp_.File("cache"), data_->version, "2026-01-01T00:00:00Z"};
  }
  static SimilarityOptions Ivf(Metric metric = Metric::kCosine) {
    SimilarityOptions opt;
    opt.metric = metric;
    opt.type = IndexType::kIvf;
    opt.nprobe = 8;
    return opt;
  }
  std::string IndexFile(const std::string& stem = "ivf-cosine-141") const {
    return tmp_.File("cache/" + stem + ".faiss");
  }
  std::string Sidecar(const std::string& stem = "ivf-cosine-141") const {
    return tmp_.File("cache/" + stem + ".json");
  }
  static std::unique_ptr<SimilarityIndex> Open(const SimilarityOptions& opt,
                                               const IndexCacheOptions& cache,
                                               const EmbeddingData& d = *data_) {
    auto index = SimilarityIndex::Open(d.embeddings.data(), d.num_nodes, d.dim, opt, cache);
    EXPECT_TRUE(index.ok()) << index.status().ToString();
    return index.ok() ? std::move(index).value() : nullptr;
  }
  // Open with stderr captured into *log.
  static std::unique_ptr<SimilarityIndex> OpenLogged(const SimilarityOptions& opt,
                                                     const IndexCacheOptions& cache,
                                                     std::string* log) {
    ::testing::internal::CaptureStderr();
    auto index = Open(opt, cache);
    *log = ::testing::internal::GetCapturedStderr();
    return index;
  }
  // Asserts that `a` and `b` answer the same queries with exactly the same IDs and scores.
  static void ExpectSameAnswers(const SimilarityIndex& a, const SimilarityIndex& b) {
    for (int64_t q = 0; q < kNodes; q += 397) {
      std::vector<Neighbor> x, y;
      ASSERT_TRUE(a.SearchById(q, 10, &x).ok());
      ASSERT_TRUE(b.SearchById(q, 10, &y).ok());
      ASSERT_EQ(x.size(), y.size()) << "query " << q;
      for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_EQ(x[i].id, y[i].id) << "query " << q << " rank " << i;
        EXPECT_EQ(x[i].score, y[i].score) << "query " << q << " rank " << i;
      }
    }
  }
  static bool Contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
  }

  TempDir tmp_;
  static EmbeddingData* data_;
};

EmbeddingData* IndexCache::data_ = nullptr;

TEST_F(IndexCache, SecondOpenReadsTheCacheAndAnswersTheSame) {
  auto built = Open(Ivf(), Cache());
  ASSERT_TRUE(built);
  EXPECT_EQ(built->source(), IndexSource::kBuilt);
  EXPECT_FALSE(built->loaded_from_cache());
  EXPECT_EQ(built->cache_path(), IndexFile());
  ASSERT_TRUE(fs::exists(IndexFile()));
  ASSERT_TRUE(fs::exists(Sidecar()));
  std::ifstream in(Sidecar());
  const Json sidecar = Json::parse(in);
  EXPECT_EQ(sidecar["store_version"], data_->version);
  EXPECT_EQ(sidecar["num_nodes"], kNodes);
  EXPECT_EQ(sidecar["dim"], kDim);
  EXPECT_EQ(sidecar["metric"], "cosine");
  EXPECT_EQ(sidecar["index"], "ivf");
  EXPECT_EQ(sidecar["nlist"], kNlist);
  EXPECT_EQ(sidecar["index_bytes"], fs::file_size(IndexFile()));
  EXPECT_FALSE(sidecar.contains("nprobe"));
  // No temporary files are left.
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_.File("cache")), fs::directory_iterator()), 2);

  auto cached = Open(Ivf(), Cache());
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->source(), IndexSource::kCache);
  EXPECT_TRUE(cached->loaded_from_cache());
  EXPECT_EQ(cached->cache_path(), IndexFile());
  EXPECT_EQ(cached->type(), IndexType::kIvf);
  EXPECT_EQ(cached->nlist(), kNlist);
  EXPECT_EQ(cached->nprobe(), 8);
  EXPECT_EQ(cached->size(), kNodes);
  ExpectSameAnswers(*built, *cached);

  // nprobe is a query-time setting: another one still reads the cache, and takes effect
  // (probing every cell is exact).
  SimilarityOptions all_cells = Ivf();
  all_cells.nprobe = kNlist;
  auto exact = Open(all_cells, Cache());
  ASSERT_TRUE(exact);
  EXPECT_TRUE(exact->loaded_from_cache());
  EXPECT_EQ(exact->nprobe(), kNlist);
  for (int64_t q : {3, 4321, 19999}) {
    std::vector<Neighbor> top;
    ASSERT_TRUE(exact->SearchById(q, 10, &top).ok());
    std::vector<int64_t> got;
    for (const Neighbor& n : top) got.push_back(n.id);
    ExpectSameTopK(*data_, q, got, NaiveTopK(*data_, q, 10, Metric::kCosine), Metric::kCosine);
  }
}

TEST_F(IndexCache, StaleKeysAreRebuiltNotServed) {
  ASSERT_TRUE(Open(Ivf(), Cache()));
  ASSERT_TRUE(Open(Ivf(), Cache())->loaded_from_cache());

  // Another store version with the same rows: rebuilt, and the cache now holds that version.
  IndexCacheOptions v2 = Cache();
  v2.store_version = "v2";
  std::string log;
  auto index = OpenLogged(Ivf(), v2, &log);
  ASSERT_TRUE(index);
  EXPECT_FALSE(index->loaded_from_cache());
  EXPECT_TRUE(Contains(log, Sidecar())) << log;
  EXPECT_TRUE(Contains(log, "store_version: cached \"v-seed61\", wanted \"v2\"")) << log;
  EXPECT_TRUE(Open(Ivf(), v2)->loaded_from_cache());
  EXPECT_FALSE(Open(Ivf(), Cache())->loaded_from_cache());  // back to the first version

  // The same version string over other rows (a store rewritten under the same name).
  const EmbeddingData other = MakeData(kNodes, kDim, 0, 62, false, 200, 1.0f);
  index = Open(Ivf(), Cache(), other);
  ASSERT_TRUE(index);
  EXPECT_FALSE(index->loaded_from_cache());
  auto fresh = SimilarityIndex::Build(other.embeddings.data(), kNodes, kDim, Ivf());
  ASSERT_TRUE(fresh.ok());
  ExpectSameAnswers(*fresh.value(), *index);
  ASSERT_TRUE(Open(Ivf(), Cache()));  // the first rows again in the cache

  // Another metric or nlist is another file, built on its own.
  index = Open(Ivf(Metric::kL2), Cache());
  ASSERT_TRUE(index);
  EXPECT_FALSE(index->loaded_from_cache());
  EXPECT_TRUE(fs::exists(IndexFile("ivf-l2-141")));
  SimilarityOptions nlist50 = Ivf();
  nlist50.nlist = 50;
  index = Open(nlist50, Cache());
  ASSERT_TRUE(index);
  EXPECT_FALSE(index->loaded_from_cache());
  EXPECT_TRUE(fs::exists(IndexFile("ivf-cosine-50")));
  EXPECT_TRUE(Open(Ivf(), Cache())->loaded_from_cache());  // the others are untouched

  // A cosine index under the inner-product name: its sidecar says so, and it is not served.
  fs::copy_file(IndexFile(), IndexFile("ivf-ip-141"));
  fs::copy_file(Sidecar(), Sidecar("ivf-ip-141"));
  index = OpenLogged(Ivf(Metric::kInnerProduct), Cache(), &log);
  ASSERT_TRUE(index);
  EXPECT_FALSE(index->loaded_from_cache());
  EXPECT_TRUE(Contains(log, "metric: cached \"cosine\", wanted \"ip\"")) << log;
  EXPECT_EQ(index->metric(), Metric::kInnerProduct);
  EXPECT_TRUE(Open(Ivf(Metric::kInnerProduct), Cache())->loaded_from_cache());  // rewritten
}

TEST_F(IndexCache, CorruptOrIncompleteCacheIsRebuilt) {
  auto built = Open(Ivf(), Cache());
  ASSERT_TRUE(built);
  const uintmax_t size = fs::file_size(IndexFile());
  ASSERT_GT(size, static_cast<uintmax_t>(kNodes * kDim * 4));

  // One flipped byte in the middle of the vectors.
  {
    std::fstream f(IndexFile(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(size / 2));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x40);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.write(&c, 1);
  }
  std::string log;
  auto index = OpenLogged(Ivf(), Cache(), &log);
  ASSERT_TRUE(index);
  EXPECT_FALSE(index->loaded_from_cache());
  EXPECT_TRUE(Contains(log, IndexFile() + ": corrupt")) << log;
  ExpectSameAnswers(*built, *index);
  EXPECT_TRUE(Open(Ivf(), Cache())->loaded_from_cache());  // rewritten intact

  // Truncated.
  fs::resize_file(IndexFile(), size / 3);
  index = OpenLogged(Ivf(), Cache(), &log);
  ASSERT_TRUE(index);
  EXPECT_FALSE(index->loaded_from_cache());
  EXPECT_TRUE(Contains(log, IndexFile())) << log;
  ExpectSameAnswers(*built, *index);

  // A sidecar that is not JSON, and one that is missing.
  WriteTextFile(Sidecar(), "{\"store_version\": ");
  index = OpenLogged(Ivf(), Cache(), &log);
  ASSERT_TRUE(index);
  EXPECT_FALSE(index->loaded_from_cache());
  EXPECT_TRUE(Contains(log, Sidecar())) << log;
  fs::remove(Sidecar());
  index = OpenLogged(Ivf(), Cache(), &log);
  ASSERT_TRUE(index);
  EXPECT_FALSE(index->loaded_from_cache());
  EXPECT_TRUE(Contains(log, Sidecar() + ": missing")) << log;

  // An index file replaced by something else: it no longer matches its sidecar.
  WriteTextFile(IndexFile(), "not an index");
  index = OpenLogged(Ivf(), Cache(), &log);
  ASSERT_TRUE(index);
  EXPECT_FALSE(index->loaded_from_cache());
  EXPECT_TRUE(Contains(log, IndexFile())) << log;
  ExpectSameAnswers(*built, *index);
  EXPECT_TRUE(Open(Ivf(), Cache())->loaded_from_cache());
}

TEST_F(IndexCache, UnwritableDirectoryMeansNoCache) {
  // A directory below a regular file cannot be created (even by root).
  WriteTextFile(tmp_.File("file"), "x");
  IndexCacheOptions cache = Cache();
  cache.dir = tmp_.File("file/cache");
  std::string log;
  auto index = OpenLogged(Ivf(), cache, &log);
  ASSERT_TRUE(index);
  EXPECT_FALSE(index->loaded_from_cache());
  EXPECT_EQ(index->cache_path(), "");
  EXPECT_TRUE(Contains(log, "cannot cache the similarity index in " + cache.dir)) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;  // "no cache yet" + the warning
  auto again = Open(Ivf(), cache);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->loaded_from_cache());
  ExpectSameAnswers(*index, *again);
}

TEST_F(IndexCache, FlatIndexesAndNoCacheDirWriteNothing) {
  SimilarityOptions flat = Ivf();
  flat.type = IndexType::kFlat;
  auto index = Open(flat, Cache());
  ASSERT_TRUE(index);
  EXPECT_FALSE(index->loaded_from_cache());
  EXPECT_EQ(index->cache_path(), "");
  EXPECT_FALSE(fs::exists(tmp_.File("cache")));
  IndexCacheOptions none = Cache();
  none.dir.clear();
  index = Open(Ivf(), none);
  ASSERT_TRUE(index);
  EXPECT_EQ(index->cache_path(), "");
  EXPECT_FALSE(fs::exists(tmp_.File("cache")));
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_.path()), fs::directory_iterator()), 0);
}

}  // namespace
}  // namespace halo::testing
