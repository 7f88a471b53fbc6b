#include "serving/similarity_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/utils/distances.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>

#include "core/fs.h"
#include "core/logging.h"

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

const char* IndexSourceName(IndexSource source) {
  return source == IndexSource::kCache ? "cache" : "built";
}

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// A 64-bit streaming digest with xxHash64's construction (four multiply-rotate lanes over 32-byte
// stripes): about memory speed, so digesting 256 MB of rows or index costs tens of milliseconds.
// It detects corruption and mix-ups, not tampering.
class Digest {
 public:
  void Update(const void* data, size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    total_ += size;
    if (buffered_ > 0) {
      const size_t take = std::min(size, sizeof(buf_) - buffered_);
      std::memcpy(buf_ + buffered_, p, take);
      buffered_ += take;
      p += take;
      size -= take;
      if (buffered_ < sizeof(buf_)) return;
      Stripe(buf_);
      buffered_ = 0;
    }
    for (; size >= sizeof(buf_); p += sizeof(buf_), size -= sizeof(buf_)) Stripe(p);
    std::memcpy(buf_, p, size);
    buffered_ = size;
  }

  uint64_t Finish() const {
    uint64_t h = total_ >= sizeof(buf_) ? Rotl(lane_[0], 1) + Rotl(lane_[1], 7) +
                                              Rotl(lane_[2], 12) + Rotl(lane_[3], 18)
                                        : kP5;
    if (total_ >= sizeof(buf_)) {
      for (uint64_t lane : lane_) h = (h ^ Round(0, lane)) * kP1 + kP4;
    }
    h += total_;
    size_t i = 0;
    for (; i + 8 <= buffered_; i += 8) h = Rotl(h ^ Round(0, Load64(buf_ + i)), 27) * kP1 + kP4;
    for (; i < buffered_; ++i) h = Rotl(h ^ (buf_[i] * kP5), 11) * kP1;
    h ^= h >> 33;
    h *= kP2;
    h ^= h >> 29;
    h *= kP3;
    return h ^ (h >> 32);
  }

  std::string Hex() const {
    char text[20];
    std::snprintf(text, sizeof(text), "%016" PRIx64, Finish());
    return text;
  }

 private:
  static constexpr uint64_t kP1 = 11400714785074694791ULL, kP2 = 14029467366897019727ULL,
                            kP3 = 1609587929392839161ULL, kP4 = 9650029242287828579ULL,
                            kP5 = 2870177450012600261ULL;
  static uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
  static uint64_t Round(uint64_t acc, uint64_t input) { return Rotl(acc + input * kP2, 31) * kP1; }
  static uint64_t Load64(const unsigned char* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
  void Stripe(const unsigned char* p) {
    for (int i = 0; i < 4; ++i) lane_[i] = Round(lane_[i], Load64(p + 8 * i));
  }

  uint64_t lane_[4] = {kP1 + kP2, kP2, 0, 0 - kP1};
  unsigned char buf_[32] = {};
  size_t buffered_ = 0;
  uint64_t total_ = 0;
};

// faiss::write_index into a FILE*, digesting the bytes on the way.
struct DigestingFileWriter : faiss::IOWriter {
  explicit DigestingFileWriter(FILE* f) : file(f) {}
  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    const size_t written = std::fwrite(ptr, size, nitems, file);
    digest.Update(ptr, size * written);
    bytes += size * written;
    return written;
  }
  FILE* file;
  Digest digest;
  uint64_t bytes = 0;
};

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// Temporary names unique across the processes and threads sharing a cache directory.
std::string TempName(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

// JSON text that never throws: bytes that are not UTF-8 become U+FFFD.
std::string Dump(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string Megabytes(uint64_t bytes) {
  std::ostringstream out;
  out.precision(3);
  out << static_cast<double>(bytes) / 1e6 << " MB";
  return out.str();
}

// What a resolved index is; everything Build/Open needs besides the rows.
struct Plan {
  IndexType type = IndexType::kFlat;
  Metric metric = Metric::kCosine;
  int64_t nlist = 0, nprobe = 0, train = 0;
  uint64_t seed = 0;
};

faiss::MetricType FaissMetric(Metric metric) {
  return metric == Metric::kL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}

Result<std::unique_ptr<faiss::Index>> BuildFaissIndex(const float* rows, int64_t n, int64_t dim,
                                                      const Plan& plan) {
  const faiss::MetricType faiss_metric = FaissMetric(plan.metric);
  const bool normalize = plan.metric == Metric::kCosine;
  const size_t d = static_cast<size_t>(dim);
  std::unique_ptr<faiss::Index> index;
  try {
    if (plan.type == IndexType::kFlat) {
      index = std::make_unique<faiss::IndexFlat>(dim, faiss_metric);
    } else {
      auto* quantizer = new faiss::IndexFlat(dim, faiss_metric);
      auto ivf = std::make_unique<faiss::IndexIVFFlat>(
          quantizer, d, static_cast<size_t>(plan.nlist), faiss_metric);
      ivf->own_fields = true;
      ivf->nprobe = static_cast<size_t>(plan.nprobe);
      ivf->cp.seed = static_cast<int>(plan.seed);
      // Training takes the sample as given (FAISS would otherwise subsample it again).
      const int64_t train = plan.train;
      ivf->cp.max_points_per_centroid =
          static_cast<int>(std::max<int64_t>(1, (train + plan.nlist - 1) / plan.nlist));
      // A random sample: embeddings are often stored in an order that correlates with locality.
      std::vector<int64_t> pick(static_cast<size_t>(n));
      std::iota(pick.begin(), pick.end(), int64_t{0});
      std::mt19937_64 rng(plan.seed);
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
      index = std::move(ivf);
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
      index->add(rows_here, src);
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("building the FAISS ") + IndexTypeName(plan.type) +
                            " index: " + e.what());
  }
  return index;
}

// The persistent cache of one resolved IVF index (see similarity_index.h). Every failure is
// logged and reported as "no index" / "not written": the caller builds, and serves without a
// cache if it must.
class IndexCacheEntry {
 public:
  IndexCacheEntry(const IndexCacheOptions& cache, const float* rows, int64_t n, int64_t dim,
                  const Plan& plan)
      : dir_(cache.dir), n_(n), dim_(dim), plan_(plan) {
    const std::string stem = std::string(IndexTypeName(plan.type)) + "-" + MetricName(plan.metric) +
                             "-" + std::to_string(plan.nlist);
    index_path_ = (std::filesystem::path(dir_) / (stem + ".faiss")).string();
    sidecar_path_ = (std::filesystem::path(dir_) / (stem + ".json")).string();
    Digest rows_digest;
    rows_digest.Update(rows, static_cast<size_t>(n) * static_cast<size_t>(dim) * sizeof(float));
    key_ = Json{{"format", "halo-similarity-index"},
                {"format_version", 1},
                {"faiss_version", std::to_string(FAISS_VERSION_MAJOR) + "." +
                                      std::to_string(FAISS_VERSION_MINOR) + "." +
                                      std::to_string(FAISS_VERSION_PATCH)},
                {"store_version", cache.store_version},
                {"store_created", cache.store_created},
                {"num_nodes", n},
                {"dim", dim},
                {"rows_digest", rows_digest.Hex()},
                {"metric", MetricName(plan.metric)},
                {"index", IndexTypeName(plan.type)},
                {"nlist", plan.nlist},
                {"train_points", plan.train},
                {"seed", plan.seed}};
  }

  const std::string& index_path() const { return index_path_; }

  // The cached index when its key matches and its file is intact; null otherwise.
  std::unique_ptr<faiss::Index> Read() const {
    const auto t0 = Clock::now();
    std::error_code ec;
    const bool have_index = std::filesystem::exists(index_path_, ec);
    const bool have_sidecar = std::filesystem::exists(sidecar_path_, ec);
    if (!have_index && !have_sidecar) {
      HALO_LOG(Info) << "no cached similarity index at " << index_path_ << "; building it";
      return nullptr;
    }
    if (!have_sidecar) return Reject(sidecar_path_, "missing (the index file has no key)");
    std::ifstream in(sidecar_path_);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return Reject(sidecar_path_, std::string("unreadable: ") + std::strerror(errno));
    const Json sidecar = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (!sidecar.is_object()) return Reject(sidecar_path_, "not a JSON object");
    std::string stale;
    for (const auto& [name, want] : key_.items()) {
      if (sidecar.contains(name) && sidecar.at(name) == want) continue;
      stale += (stale.empty() ? "" : "; ") + name + ": cached " +
               (sidecar.contains(name) ? Dump(sidecar.at(name)) : "(none)") + ", wanted " +
               Dump(want);
    }
    if (!stale.empty()) return Reject(sidecar_path_, "stale key (" + stale + ")");
    if (!have_index) return Reject(index_path_, "missing");
    const Json bytes = sidecar.value("index_bytes", Json());
    const Json digest = sidecar.value("index_digest", Json());
    if (!bytes.is_number_unsigned() || !digest.is_string()) {
      return Reject(sidecar_path_, "no index_bytes/index_digest");
    }

    File f(std::fopen(index_path_.c_str(), "rb"));
    if (!f) return Reject(index_path_, std::string("cannot open: ") + std::strerror(errno));
    struct stat st;
    if (fstat(fileno(f.get()), &st) != 0) {
      return Reject(index_path_, std::string("cannot stat: ") + std::strerror(errno));
    }
    if (static_cast<uint64_t>(st.st_size) != bytes.get<uint64_t>()) {
      return Reject(index_path_, "size " + std::to_string(st.st_size) +
                                     " bytes, the sidecar says " + Dump(bytes));
    }
    // The whole file is checked before FAISS parses any of it: a damaged length field must not
    // turn into a huge allocation.
    Digest file_digest;
    std::vector<char> buf(size_t{4} << 20);
    for (;;) {
      const size_t got = std::fread(buf.data(), 1, buf.size(), f.get());
      file_digest.Update(buf.data(), got);
      if (got < buf.size()) break;
    }
    if (std::ferror(f.get())) {
      return Reject(index_path_, std::string("read error: ") + std::strerror(errno));
    }
    if (file_digest.Hex() != digest.get<std::string>()) {
      return Reject(index_path_, "corrupt (digest " + file_digest.Hex() + ", the sidecar says " +
                                     digest.get<std::string>() + ")");
    }
    std::rewind(f.get());
    std::unique_ptr<faiss::Index> index;
    try {
      index.reset(faiss::read_index(f.get()));
    } catch (const std::exception& e) {
      return Reject(index_path_, std::string("unreadable by FAISS: ") + e.what());
    }
    auto* ivf = dynamic_cast<faiss::IndexIVFFlat*>(index.get());
    if (ivf == nullptr || ivf->d != dim_ || ivf->ntotal != n_ || !ivf->is_trained ||
        static_cast<int64_t>(ivf->nlist) != plan_.nlist ||
        ivf->metric_type != FaissMetric(plan_.metric)) {
      return Reject(index_path_, "holds a different index than its sidecar describes");
    }
    ivf->nprobe = static_cast<size_t>(plan_.nprobe);
    HALO_LOG(Info) << "read the similarity index from the cache " << index_path_ << " ("
                   << Megabytes(bytes.get<uint64_t>()) << ") in " << SecondsSince(t0) << " s";
    return index;
  }

  // Writes `index` and its sidecar; false (after one warning) when that fails.
  bool Write(const faiss::Index& index) const {
    const auto t0 = Clock::now();
    Status made = core::MakeDirs(dir_);
    if (!made.ok()) return CannotWrite(made.message());
    const std::string tmp = TempName(index_path_);
    File f(std::fopen(tmp.c_str(), "wb"));
    if (!f) return CannotWrite(tmp + ": cannot create: " + std::strerror(errno));
    DigestingFileWriter writer(f.get());
    std::string error;
    try {
      faiss::write_index(&index, &writer);
    } catch (const std::exception& e) {
      error = std::string("writing ") + tmp + ": " + e.what();
    }
    if (error.empty() && std::fflush(f.get()) != 0) {
      error = "writing " + tmp + ": " + std::strerror(errno);
    }
    if (std::fclose(f.release()) != 0 && error.empty()) {
      error = "closing " + tmp + ": " + std::strerror(errno);
    }
    if (error.empty()) {
      // The old key goes first, so that no reader pairs it with the new file (it would only see
      // a digest mismatch, but after reading the whole file).
      std::remove(sidecar_path_.c_str());
      if (std::rename(tmp.c_str(), index_path_.c_str()) != 0) {
        error = "cannot rename " + tmp + " to " + index_path_ + ": " + std::strerror(errno);
      }
    }
    if (!error.empty()) {
      std::remove(tmp.c_str());
      return CannotWrite(error);
    }
    Json sidecar = key_;
    sidecar["index_file"] = std::filesystem::path(index_path_).filename().string();
    sidecar["index_bytes"] = writer.bytes;
    sidecar["index_digest"] = writer.digest.Hex();
    Status s = core::WriteFileAtomic(sidecar_path_, Dump(sidecar, 2) + "\n");
    if (!s.ok()) {
      std::remove(index_path_.c_str());
      return CannotWrite(s.message());
    }
    HALO_LOG(Info) << "wrote the similarity index to the cache " << index_path_ << " ("
                   << Megabytes(writer.bytes) << ") in " << SecondsSince(t0) << " s";
    return true;
  }

 private:
  static std::unique_ptr<faiss::Index> Reject(const std::string& file, const std::string& why) {
    HALO_LOG(Warning) << "similarity index cache " << file << ": " << why
                      << "; rebuilding the index";
    return nullptr;
  }
  bool CannotWrite(const std::string& why) const {
    HALO_LOG(Warning) << "cannot cache the similarity index in " << dir_ << " (" << why
                      << "); serving without a cache";
    return false;
  }

  std::string dir_, index_path_, sidecar_path_;
  int64_t n_ = 0, dim_ = 0;
  Plan plan_;
  Json key_;
};

}  // namespace

SimilarityIndex::~SimilarityIndex() = default;

Result<std::unique_ptr<SimilarityIndex>> SimilarityIndex::Build(const float* rows, int64_t n,
                                                                int64_t dim,
                                                                const SimilarityOptions& options) {
  return Open(rows, n, dim, options, IndexCacheOptions{});
}

Result<std::unique_ptr<SimilarityIndex>> SimilarityIndex::Open(const float* rows, int64_t n,
                                                               int64_t dim,
                                                               const SimilarityOptions& options,
                                                               const IndexCacheOptions& cache) {
  if (rows == nullptr || n < 1 || dim < 1) {
    return Status::InvalidArgument("similarity index needs at least one row of width >= 1");
  }
  if (options.nprobe < 1 || options.nlist < 0 || options.train_points < 0) {
    return Status::InvalidArgument(
        "similarity index: nprobe must be >= 1, nlist and "
        "train_points >= 0");
  }
  Plan plan;
  plan.metric = options.metric;
  plan.seed = options.seed;
  plan.type = options.type;
  if (plan.type == IndexType::kAuto) {
    plan.type = n >= options.ivf_threshold ? IndexType::kIvf : IndexType::kFlat;
  }
  if (plan.type == IndexType::kIvf) {
    plan.nlist = options.nlist > 0
                     ? options.nlist
                     : std::max<int64_t>(1, std::llround(std::sqrt(static_cast<double>(n))));
    plan.nlist = std::min(plan.nlist, n);
    plan.nprobe = std::min(options.nprobe, plan.nlist);
    plan.train = std::min(n, options.train_points > 0 ? options.train_points : 64 * plan.nlist);
  }
  std::unique_ptr<SimilarityIndex> s(new SimilarityIndex());
  s->rows_ = rows;
  s->n_ = n;
  s->dim_ = dim;
  s->metric_ = plan.metric;
  s->type_ = plan.type;
  s->nlist_ = plan.nlist;
  s->nprobe_ = plan.nprobe;

  // Flat indexes are not cached: building one copies the rows, as reading it back would.
  std::unique_ptr<IndexCacheEntry> entry;
  if (!cache.dir.empty() && plan.type == IndexType::kIvf) {
    entry = std::make_unique<IndexCacheEntry>(cache, rows, n, dim, plan);
    s->index_ = entry->Read();
    if (s->index_ != nullptr) {
      s->source_ = IndexSource::kCache;
      s->cache_path_ = entry->index_path();
      return s;
    }
  }
  HALO_ASSIGN_OR_RETURN(s->index_, BuildFaissIndex(rows, n, dim, plan));
  if (entry != nullptr && entry->Write(*s->index_)) s->cache_path_ = entry->index_path();
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
