// SimilarityIndex: top-k most similar rows of an embedding matrix, through FAISS.
//
// Metrics: cosine (default: rows are L2-normalized into the index, which then ranks by inner
// product; score = cosine similarity, higher is closer), inner product (score = dot product,
// higher is closer) and L2 (score = squared Euclidean distance, lower is closer).
// Index types: flat (IndexFlatIP / IndexFlatL2: exact, O(n * dim) per query) and IVF
// (IndexIVFFlat with nlist = round(sqrt(n)) k-means cells trained on a random sample; a query
// scans the nprobe nearest cells: approximate, ~nprobe / nlist of the work). "auto" picks flat
// below `ivf_threshold` rows and IVF from there on.
//
// Persistent cache (Open): training and filling an IVF index takes seconds (12-19 s for
// 1M x 64), reading it back a fraction of that, so Open keeps built IVF indexes in a cache
// directory as "<kind>-<metric>-<nlist>.faiss" (faiss::write_index) plus a JSON sidecar
// "<kind>-<metric>-<nlist>.json" holding the key: the rows' identity (store version and creation
// time, count, width and a 64-bit digest of their bytes), metric, kind, nlist, training sample
// size and seed, FAISS version, and the index file's size and digest. A cached index is used only
// when every key field matches and the file's digest checks out; nprobe is a query-time setting
// and is not part of the key. Flat indexes are not cached (building one is a copy of the rows).
//
// Usage:
//   SimilarityOptions opt;  // cosine, auto
//   HALO_ASSIGN_OR_RETURN(auto index, SimilarityIndex::Build(store->embeddings().data(),
//                                                            store->num_nodes(), store->dim(),
//                                                            opt));
//   std::vector<Neighbor> top;
//   HALO_RETURN_IF_ERROR(index->SearchById(42, 10, &top));  // 42 itself is left out
//
//   IndexCacheOptions cache{"out/emb/index", store->version(), store->manifest().created};
//   HALO_ASSIGN_OR_RETURN(auto cached, SimilarityIndex::Open(rows, n, dim, opt, cache));
//   cached->loaded_from_cache();  // false the first time (built, then written), true next time
//
// The index borrows `rows` (for queries by ID): they must outlive it and not change.
// Errors: Build/Open fail on bad options or a FAISS error while building; searches fail on an
// unknown ID or k < 1. The cache never fails Open: a missing, stale, corrupt or unreadable cache
// file is logged (a warning naming the file, unless simply absent) and the index is built; an
// unwritable cache directory is one warning and no cache.
// Thread-safety: after Build/Open every method is const and safe from many threads at once. Several
// processes (or threads) may share a cache directory: files are written under unique temporary
// names and renamed into place, and a reader that sees a mismatched pair rebuilds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace faiss {
struct Index;
}

namespace halo::serving {

enum class Metric { kCosine, kInnerProduct, kL2 };
enum class IndexType { kAuto, kFlat, kIvf };

const char* MetricName(Metric metric);      // "cosine", "ip", "l2"
const char* IndexTypeName(IndexType type);  // "auto", "flat", "ivf"
core::Result<Metric> ParseMetric(const std::string& name);
core::Result<IndexType> ParseIndexType(const std::string& name);

struct SimilarityOptions {
  Metric metric = Metric::kCosine;
  IndexType type = IndexType::kAuto;
  // kAuto: IVF from this many rows on (a flat query over 100k x 64 takes ~4 ms on one core).
  int64_t ivf_threshold = 100000;
  int64_t nlist = 0;         // IVF cells; 0 = round(sqrt(rows)), at least 1
  int64_t nprobe = 32;       // IVF cells scanned per query (clamped to nlist)
  int64_t train_points = 0;  // IVF k-means sample; 0 = min(rows, 64 * nlist)
  uint64_t seed = 1234;      // of the training sample and k-means
};

// Where Open keeps IVF indexes between runs, and what the rows are.
struct IndexCacheOptions {
  std::string dir;  // the cache directory (created when missing); empty: no cache
  // The identity of the rows, checked against a cached index's sidecar together with the row
  // count, width and a digest of the rows' bytes.
  std::string store_version;
  std::string store_created;
};

enum class IndexSource { kBuilt, kCache };
const char* IndexSourceName(IndexSource source);  // "built", "cache"

struct Neighbor {
  int64_t id = 0;
  float score = 0;  // see the metric above
};

class SimilarityIndex {
 public:
  // Builds an index over rows[n x dim] (row i = ID i). n >= 1, dim >= 1.
  static core::Result<std::unique_ptr<SimilarityIndex>> Build(const float* rows, int64_t n,
                                                              int64_t dim,
                                                              const SimilarityOptions& options);
  // Build, with IVF indexes kept in `cache` (see the top of this file): a cached index whose key
  // matches is read instead of built; otherwise the index is built and written to the cache.
  // Without cache.dir, or for a flat index, the same as Build.
  static core::Result<std::unique_ptr<SimilarityIndex>> Open(const float* rows, int64_t n,
                                                             int64_t dim,
                                                             const SimilarityOptions& options,
                                                             const IndexCacheOptions& cache);
  ~SimilarityIndex();
  SimilarityIndex(const SimilarityIndex&) = delete;
  SimilarityIndex& operator=(const SimilarityIndex&) = delete;

  // The k best rows for `query` (dim floats), best first, without `exclude` (-1: none). Fewer
  // than k only when the index holds fewer rows (or, for IVF, the probed cells do).
  core::Status Search(const float* query, int64_t k, int64_t exclude,
                      std::vector<Neighbor>* out) const;
  // Search with row `id` as the query, leaving `id` out. NotFound for an unknown ID.
  core::Status SearchById(int64_t id, int64_t k, std::vector<Neighbor>* out) const;

  IndexType type() const { return type_; }  // flat or ivf, never auto
  Metric metric() const { return metric_; }
  int64_t size() const { return n_; }
  int64_t nlist() const { return nlist_; }  // 0 for flat
  int64_t nprobe() const { return nprobe_; }
  IndexSource source() const { return source_; }
  bool loaded_from_cache() const { return source_ == IndexSource::kCache; }
  // The cache file this index was read from or written to; empty when none (no cache, flat, or
  // the write failed).
  const std::string& cache_path() const { return cache_path_; }

 private:
  SimilarityIndex() = default;
  const float* rows_ = nullptr;
  int64_t n_ = 0, dim_ = 0, nlist_ = 0, nprobe_ = 0;
  Metric metric_ = Metric::kCosine;
  IndexType type_ = IndexType::kFlat;
  IndexSource source_ = IndexSource::kBuilt;
  std::string cache_path_;
  std::unique_ptr<faiss::Index> index_;
};

}  // namespace halo::serving
