#include "serving/similarity_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/utils/distances.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <numeric>
#include <random>

namespace halo::serving {

using core::Result;
using core::Status;

const char* MetricName(Metric metric) {
  switch (metric) {
    case Metric::kCosine:
      return "cosine";
    case Metric::kInnerProduct:
      return "ip";
    case Metric::kL2:
      return "l2";
  }
  return "?";
}

const char* IndexTypeName(IndexType type) {
  switch (type) {
    case IndexType::kAuto:
      return "auto";
    case IndexType::kFlat:
      return "flat";
    case IndexType::kIvf:
      return "ivf";
  }
  return "?";
}

Result<Metric> ParseMetric(const std::string& name) {
  for (Metric m : {Metric::kCosine, Metric::kInnerProduct, Metric::kL2}) {
    if (name == MetricName(m)) return m;
  }
  return Status::InvalidArgument("unknown metric '" + name + "' (cosine, ip or l2)");
}

Result<IndexType> ParseIndexType(const std::string& name) {
  for (IndexType t : {IndexType::kAuto, IndexType::kFlat, IndexType::kIvf}) {
    if (name == IndexTypeName(t)) return t;
  }
  return Status::InvalidArgument("unknown index type '" + name + "' (auto, flat or ivf)");
}

SimilarityIndex::~SimilarityIndex() = default;

Result<std::unique_ptr<SimilarityIndex>> SimilarityIndex::Build(const float* rows, int64_t n,
                                                                int64_t dim,
                                                                const SimilarityOptions& options) {
  if (rows == nullptr || n < 1 || dim < 1) {
    return Status::InvalidArgument("similarity index needs at least one row of width >= 1");
  }
  if (options.nprobe < 1 || options.nlist < 0 || options.train_points < 0) {
    return Status::InvalidArgument(
        "similarity index: nprobe must be >= 1, nlist and "
        "train_points >= 0");
  }
  std::unique_ptr<SimilarityIndex> s(new SimilarityIndex());
  s->rows_ = rows;
  s->n_ = n;
  s->dim_ = dim;
  s->metric_ = options.metric;
  s->type_ = options.type;
  if (s->type_ == IndexType::kAuto) {
    s->type_ = n >= options.ivf_threshold ? IndexType::kIvf : IndexType::kFlat;
  }
  const faiss::MetricType faiss_metric =
      options.metric == Metric::kL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
  const bool normalize = options.metric == Metric::kCosine;
  const size_t d = static_cast<size_t>(dim);
  try {
    if (s->type_ == IndexType::kFlat) {
      s->index_ = std::make_unique<faiss::IndexFlat>(dim, faiss_metric);
    } else {
      s->nlist_ = options.nlist > 0
                      ? options.nlist
                      : std::max<int64_t>(1, std::llround(std::sqrt(static_cast<double>(n))));
      s->nlist_ = std::min(s->nlist_, n);
      s->nprobe_ = std::min(options.nprobe, s->nlist_);
      auto* quantizer = new faiss::IndexFlat(dim, faiss_metric);
      auto ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer, d, static_cast<size_t>(s->nlist_),
                                                       faiss_metric);
      ivf->own_fields = true;
      ivf->nprobe = static_cast<size_t>(s->nprobe_);
      ivf->cp.seed = static_cast<int>(options.seed);
      // Training takes the sample as given (FAISS would otherwise subsample it again).
      const int64_t train =
          std::min(n, options.train_points > 0 ? options.train_points : 64 * s->nlist_);
      ivf->cp.max_points_per_centroid =
          static_cast<int>(std::max<int64_t>(1, (train + s->nlist_ - 1) / s->nlist_));
      // A random sample: embeddings are often stored in an order that correlates with locality.
      std::vector<int64_t> pick(static_cast<size_t>(n));
      std::iota(pick.begin(), pick.end(), int64_t{0});
      std::mt19937_64 rng(options.seed);
      for (int64_t i = 0; i < train; ++i) {
        std::uniform_int_distribution<int64_t> u(i, n - 1);
        std::swap(pick[static_cast<size_t>(i)], pick[static_cast<size_t>(u(rng))]);
      }
      std::vector<float> sample(static_cast<size_t>(train) * d);
      for (int64_t i = 0; i < train; ++i) {
        std::memcpy(&sample[static_cast<size_t>(i) * d],
                    rows + static_cast<size_t>(pick[static_cast<size_t>(i)]) * d,
                    d * sizeof(float));
      }
      if (normalize) faiss::fvec_renorm_L2(d, static_cast<size_t>(train), sample.data());
      ivf->train(train, sample.data());
      s->index_ = std::move(ivf);
    }
    // Added in chunks so that cosine needs only a chunk of normalized copies at a time.
    constexpr int64_t kChunk = 65536;
    std::vector<float> chunk;
    for (int64_t begin = 0; begin < n; begin += kChunk) {
      const int64_t rows_here = std::min(kChunk, n - begin);
      const float* src = rows + static_cast<size_t>(begin) * d;
      if (normalize) {
        chunk.assign(src, src + static_cast<size_t>(rows_here) * d);
        faiss::fvec_renorm_L2(d, static_cast<size_t>(rows_here), chunk.data());
        src = chunk.data();
      }
      s->index_->add(rows_here, src);
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("building the FAISS ") + IndexTypeName(s->type_) +
                            " index: " + e.what());
  }
  return s;
}

Status SimilarityIndex::Search(const float* query, int64_t k, int64_t exclude,
                               std::vector<Neighbor>* out) const {
  if (k < 1) return Status::InvalidArgument("k must be >= 1, got " + std::to_string(k));
  out->clear();
  // One more than asked, so that the excluded row (usually its own best match) can be dropped.
  const int64_t want = std::min(n_, k + (exclude >= 0 ? 1 : 0));
  std::vector<float> q(query, query + dim_);
  if (metric_ == Metric::kCosine) faiss::fvec_renorm_L2(static_cast<size_t>(dim_), 1, q.data());
  std::vector<float> scores(static_cast<size_t>(want));
  std::vector<faiss::Index::idx_t> labels(static_cast<size_t>(want));
  try {
    index_->search(1, q.data(), want, scores.data(), labels.data());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("FAISS search: ") + e.what());
  }
  for (int64_t i = 0; i < want && static_cast<int64_t>(out->size()) < k; ++i) {
    const int64_t id = labels[static_cast<size_t>(i)];
    if (id < 0 || id == exclude) continue;  // -1: the probed IVF cells ran out of rows
    out->push_back({id, scores[static_cast<size_t>(i)]});
  }
  return Status::OK();
}

Status SimilarityIndex::SearchById(int64_t id, int64_t k, std::vector<Neighbor>* out) const {
  if (id < 0 || id >= n_) {
    return Status::NotFound("unknown global ID " + std::to_string(id) + " (the index holds [0, " +
                            std::to_string(n_) + "))");
  }
  return Search(rows_ + static_cast<size_t>(id) * static_cast<size_t>(dim_), k, id, out);
}

}  // namespace halo::serving
