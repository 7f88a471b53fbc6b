#include "serving/embedding_store.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <sstream>

#include "core/check.h"
#include "core/fs.h"
#include "core/npy.h"

namespace halo::serving {

using core::Result;
using core::Status;

namespace {

namespace fs = std::filesystem;

constexpr const char* kFormatName = "halo-embeddings";
constexpr const char* kManifestFile = "manifest.json";
constexpr const char* kNodeMapFile = "node_map.npy";
constexpr const char* kDbDir = "db";

// Column families, in handle order.
enum Cf { kDefaultCf = 0, kEmbeddingsCf = 1, kLogitsCf = 2, kPredictionsCf = 3, kNumCfs = 4 };
const std::vector<std::string>& CfNames() {
  static const std::vector<std::string> kNames = {rocksdb::kDefaultColumnFamilyName, "embeddings",
                                                  "logits", "predictions"};
  return kNames;
}

constexpr size_t kKeySize = 8;

void EncodeKey(int64_t id, char* out) {
  uint64_t v = static_cast<uint64_t>(id);
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

int64_t DecodeKey(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return static_cast<int64_t>(v);
}

Status FromRocks(const rocksdb::Status& s, const std::string& context) {
  if (s.ok()) return Status::OK();
  const std::string msg = context + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsCorruption()) return Status::Corruption(msg);
  return Status::IOError(msg);
}

// RocksDB's info log would otherwise write LOG files into the store directory on every open.
class NullLogger : public rocksdb::Logger {
 public:
  NullLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::FATAL_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

// Uncompressed block-based tables with a bloom filter: values are floats (incompressible) and
// point reads stay possible.
rocksdb::Options DbOptions() {
  rocksdb::Options o;
  o.compression = rocksdb::kNoCompression;
  o.bottommost_compression = rocksdb::kNoCompression;
  rocksdb::BlockBasedTableOptions t;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.block_size = 16 << 10;
  t.checksum = rocksdb::kXXH3;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  o.info_log = std::make_shared<NullLogger>();
  o.max_open_files = -1;
  o.disable_auto_compactions = true;  // ingested files are final; Finish compacts if needed
  return o;
}

// The open database of a store, closed (handles first) at destruction.
struct Db {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;

  static Result<Db> Open(const std::string& path, bool create) {
    rocksdb::Options options = DbOptions();
    options.create_if_missing = create;
    options.create_missing_column_families = create;
    options.error_if_exists = create;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : CfNames()) {
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(options));
    }
    Db out;
    rocksdb::DB* db = nullptr;
    rocksdb::DBOptions db_options(options);
    rocksdb::Status s =
        create ? rocksdb::DB::Open(db_options, path, descriptors, &out.handles, &db)
               : rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &out.handles, &db);
    if (!s.ok()) return FromRocks(s, path + ": cannot open embedding database");
    out.db.reset(db);
    return out;
  }
  Db() = default;
  Db(Db&& o) noexcept : db(std::move(o.db)), handles(std::move(o.handles)) {}
  Db& operator=(Db&&) = delete;
  ~Db() { static_cast<void>(Close("")); }

  Status Close(const std::string& context) {
    if (db == nullptr) return Status::OK();
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    handles.clear();
    Status s = FromRocks(db->Close(), context + ": close");
    db.reset();
    return s;
  }
};

std::string UtcNow(const char* format) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

bool AllFinite(const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Writer

// One sorted run of rows, written as one SST file per present kind.
struct Run {
  int64_t min_id = 0, max_id = 0;
  std::string files[kNumCfs];  // empty where the kind is absent
};

struct EmbeddingStoreWriter::Impl {
  std::string dir;
  EmbeddingStoreOptions opt;
  std::optional<core::StagingDir> staging;
  std::string version, created;

  std::mutex mu;           // guards everything below
  std::vector<bool> seen;  // one bit per global ID
  int64_t num_seen = 0;
  std::vector<int64_t> buf_ids;
  std::vector<float> buf_emb, buf_logits;
  std::vector<int64_t> buf_pred;
  std::vector<Run> runs;
  std::vector<int64_t> node_map;
  bool has_node_map = false;
  bool finished = false;

  std::string IngestDir() const { return staging->path() + "/ingest-tmp"; }
  size_t RowBytes() const {
    return static_cast<size_t>(opt.dim + opt.num_classes) * sizeof(float) +
           (opt.num_classes > 0 ? sizeof(int64_t) : 0);
  }
  // Sorts the buffer by ID and writes it as one run. Caller holds mu.
  Status FlushBuffer();
};

Status EmbeddingStoreWriter::Impl::FlushBuffer() {
  const size_t n = buf_ids.size();
  if (n == 0) return Status::OK();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return buf_ids[a] < buf_ids[b]; });
  Run run;
  run.min_id = buf_ids[order.front()];
  run.max_id = buf_ids[order.back()];
  const std::string prefix = IngestDir() + "/run-" + std::to_string(runs.size()) + ".";
  const rocksdb::Options options = DbOptions();
  auto write = [&](Cf cf, const char* data, size_t row_bytes) -> Status {
    const std::string path = prefix + CfNames()[cf] + ".sst";
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, nullptr,
                                  /*invalidate_page_cache=*/false);
    HALO_RETURN_IF_ERROR(FromRocks(writer.Open(path), path));
    char key[kKeySize];
    for (size_t i : order) {
      EncodeKey(buf_ids[i], key);
      HALO_RETURN_IF_ERROR(FromRocks(writer.Put(rocksdb::Slice(key, kKeySize),
                                                rocksdb::Slice(data + i * row_bytes, row_bytes)),
                                     path));
    }
    HALO_RETURN_IF_ERROR(FromRocks(writer.Finish(), path));
    run.files[cf] = path;
    return Status::OK();
  };
  HALO_RETURN_IF_ERROR(write(kEmbeddingsCf, reinterpret_cast<const char*>(buf_emb.data()),
                             static_cast<size_t>(opt.dim) * sizeof(float)));
  if (opt.num_classes > 0) {
    HALO_RETURN_IF_ERROR(write(kLogitsCf, reinterpret_cast<const char*>(buf_logits.data()),
                               static_cast<size_t>(opt.num_classes) * sizeof(float)));
    HALO_RETURN_IF_ERROR(
        write(kPredictionsCf, reinterpret_cast<const char*>(buf_pred.data()), sizeof(int64_t)));
  }
  runs.push_back(std::move(run));
  // Release the memory, not just the size: the next run may never come.
  std::vector<int64_t>().swap(buf_ids);
  std::vector<float>().swap(buf_emb);
  std::vector<float>().swap(buf_logits);
  std::vector<int64_t>().swap(buf_pred);
  return Status::OK();
}

EmbeddingStoreWriter::EmbeddingStoreWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmbeddingStoreWriter::~EmbeddingStoreWriter() = default;

const std::string& EmbeddingStoreWriter::version() const { return impl_->version; }

Result<std::unique_ptr<EmbeddingStoreWriter>> EmbeddingStoreWriter::Create(
    const std::string& dir, const EmbeddingStoreOptions& options) {
  if (options.dim <= 0 || options.num_nodes <= 0 || options.num_classes < 0) {
    return Status::InvalidArgument(dir + ": embedding store needs dim > 0 and num_nodes > 0 (got " +
                                   std::to_string(options.dim) + ", " +
                                   std::to_string(options.num_nodes) + ") and num_classes >= 0");
  }
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->opt = options;
  HALO_ASSIGN_OR_RETURN(core::StagingDir staging, core::StagingDir::Create(dir, options.overwrite));
  impl->staging.emplace(std::move(staging));
  HALO_RETURN_IF_ERROR(core::MakeDirs(impl->IngestDir()));
  impl->created = UtcNow("%Y-%m-%dT%H:%M:%SZ");
  impl->version = options.version.empty() ? UtcNow("%Y%m%dT%H%M%SZ") : options.version;
  impl->seen.assign(static_cast<size_t>(options.num_nodes), false);
  return std::unique_ptr<EmbeddingStoreWriter>(new EmbeddingStoreWriter(std::move(impl)));
}

Status EmbeddingStoreWriter::Add(const int64_t* ids, size_t n, const float* embeddings,
                                 const float* logits, const int64_t* predictions) {
  Impl& w = *impl_;
  const EmbeddingStoreOptions& o = w.opt;
  const size_t dim = static_cast<size_t>(o.dim);
  const size_t classes = static_cast<size_t>(o.num_classes);
  if (n == 0) return Status::OK();
  if (ids == nullptr || embeddings == nullptr) {
    return Status::InvalidArgument(w.dir + ": Add without ids or embeddings");
  }
  if ((o.num_classes > 0) != (logits != nullptr)) {
    return Status::InvalidArgument(w.dir + ": the store has " + std::to_string(o.num_classes) +
                                   " classes but logits are " + (logits ? "given" : "missing"));
  }
  if (predictions != nullptr && o.num_classes == 0) {
    return Status::InvalidArgument(w.dir + ": predictions given to a store without classes");
  }
  // Values first (no lock needed): a bad row must not leave a partial batch behind.
  for (size_t i = 0; i < n; ++i) {
    if (!AllFinite(embeddings + i * dim, dim) ||
        (logits != nullptr && !AllFinite(logits + i * classes, classes))) {
      return Status::InvalidArgument(w.dir + ": non-finite embedding or logit for global ID " +
                                     std::to_string(ids[i]));
    }
    if (predictions != nullptr && (predictions[i] < 0 || predictions[i] >= o.num_classes)) {
      return Status::InvalidArgument(w.dir + ": prediction " + std::to_string(predictions[i]) +
                                     " of global ID " + std::to_string(ids[i]) + " outside [0, " +
                                     std::to_string(o.num_classes) + ")");
    }
  }

  std::lock_guard<std::mutex> lock(w.mu);
  if (w.finished) return Status::FailedPrecondition(w.dir + ": Add after Finish");
  for (size_t i = 0; i < n; ++i) {
    const int64_t id = ids[i];
    Status bad;
    if (id < 0 || id >= o.num_nodes) {
      bad = Status::InvalidArgument(w.dir + ": global ID " + std::to_string(id) + " outside [0, " +
                                    std::to_string(o.num_nodes) + ")");
    } else if (w.seen[static_cast<size_t>(id)]) {
      bad = Status::InvalidArgument(w.dir + ": global ID " + std::to_string(id) + " added twice");
    }
    if (!bad.ok()) {
      for (size_t j = 0; j < i; ++j) w.seen[static_cast<size_t>(ids[j])] = false;  // undo
      return bad;
    }
    w.seen[static_cast<size_t>(id)] = true;
  }
  w.num_seen += static_cast<int64_t>(n);

  w.buf_ids.insert(w.buf_ids.end(), ids, ids + n);
  w.buf_emb.insert(w.buf_emb.end(), embeddings, embeddings + n * dim);
  if (classes > 0) {
    w.buf_logits.insert(w.buf_logits.end(), logits, logits + n * classes);
    for (size_t i = 0; i < n; ++i) {
      if (predictions != nullptr) {
        w.buf_pred.push_back(predictions[i]);
      } else {
        const float* row = logits + i * classes;
        w.buf_pred.push_back(std::max_element(row, row + classes) - row);
      }
    }
  }
  if (w.buf_ids.size() * w.RowBytes() >= o.buffer_bytes) return w.FlushBuffer();
  return Status::OK();
}

Status EmbeddingStoreWriter::SetNodeMap(std::vector<int64_t> original_ids) {
  Impl& w = *impl_;
  if (static_cast<int64_t>(original_ids.size()) != w.opt.num_nodes) {
    return Status::InvalidArgument(w.dir + ": node map has " + std::to_string(original_ids.size()) +
                                   " entries, the store " + std::to_string(w.opt.num_nodes) +
                                   " nodes");
  }
  std::vector<int64_t> sorted = original_ids;
  std::sort(sorted.begin(), sorted.end());
  auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end()) {
    return Status::InvalidArgument(w.dir + ": original ID " + std::to_string(*dup) +
                                   " appears twice in the node map");
  }
  std::lock_guard<std::mutex> lock(w.mu);
  w.node_map = std::move(original_ids);
  w.has_node_map = true;
  return Status::OK();
}

Status EmbeddingStoreWriter::Finish() {
  Impl& w = *impl_;
  std::lock_guard<std::mutex> lock(w.mu);
  if (w.finished) return Status::FailedPrecondition(w.dir + ": Finish called twice");
  w.finished = true;
  if (w.num_seen != w.opt.num_nodes) {
    const int64_t first = std::find(w.seen.begin(), w.seen.end(), false) - w.seen.begin();
    return Status::FailedPrecondition(
        w.dir + ": " + std::to_string(w.opt.num_nodes - w.num_seen) + " of " +
        std::to_string(w.opt.num_nodes) +
        " global IDs were never added (first: " + std::to_string(first) + ")");
  }
  HALO_RETURN_IF_ERROR(w.FlushBuffer());

  // Runs in ID order; when none overlaps another, each column family takes all its files in one
  // ingestion straight into the bottom level. Otherwise the runs go in one by one (later ones
  // above earlier ones) and a compaction merges them into one sorted level.
  std::sort(w.runs.begin(), w.runs.end(),
            [](const Run& a, const Run& b) { return a.min_id < b.min_id; });
  bool overlap = false;
  for (size_t i = 1; i < w.runs.size(); ++i) overlap |= w.runs[i].min_id <= w.runs[i - 1].max_id;

  const std::string db_path = w.staging->path() + "/" + kDbDir;
  {
    HALO_ASSIGN_OR_RETURN(Db db, Db::Open(db_path, /*create=*/true));
    auto ingest = [&](size_t first_run, size_t end_run) -> Status {
      std::vector<rocksdb::IngestExternalFileArg> args;
      for (int cf = kEmbeddingsCf; cf < kNumCfs; ++cf) {
        rocksdb::IngestExternalFileArg arg;
        arg.column_family = db.handles[static_cast<size_t>(cf)];
        for (size_t r = first_run; r < end_run; ++r) {
          if (!w.runs[r].files[cf].empty()) arg.external_files.push_back(w.runs[r].files[cf]);
        }
        if (arg.external_files.empty()) continue;
        arg.options.move_files = true;
        arg.options.write_global_seqno = false;
        args.push_back(std::move(arg));
      }
      return FromRocks(db.db->IngestExternalFiles(args), db_path + ": ingest");
    };
    if (!overlap) {
      HALO_RETURN_IF_ERROR(ingest(0, w.runs.size()));
    } else {
      for (size_t r = 0; r < w.runs.size(); ++r) HALO_RETURN_IF_ERROR(ingest(r, r + 1));
      rocksdb::CompactRangeOptions compact;
      compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
      for (int cf = kEmbeddingsCf; cf < kNumCfs; ++cf) {
        HALO_RETURN_IF_ERROR(FromRocks(
            db.db->CompactRange(compact, db.handles[static_cast<size_t>(cf)], nullptr, nullptr),
            db_path + ": compact"));
      }
    }
    HALO_RETURN_IF_ERROR(db.Close(db_path));
  }
  std::error_code ec;
  fs::remove_all(w.IngestDir(), ec);
  if (ec) return Status::IOError(w.IngestDir() + ": cannot remove: " + ec.message());

  if (w.has_node_map) {
    HALO_RETURN_IF_ERROR(core::WriteNpy(w.staging->path() + "/" + kNodeMapFile, w.node_map));
  }
  nlohmann::json manifest = {
      {"format", kFormatName},
      {"format_version", kEmbeddingStoreFormatVersion},
      {"dim", w.opt.dim},
      {"num_nodes", w.opt.num_nodes},
      {"num_classes", w.opt.num_classes},
      {"version", w.version},
      {"created", w.created},
      {"model", w.opt.model},
      {"has_node_map", w.has_node_map},
  };
  HALO_RETURN_IF_ERROR(core::WriteFileAtomic(
      w.staging->path() + "/" + kManifestFile,
      manifest.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"));
  return w.staging->Commit();
}

// ---------------------------------------------------------------------------------------------
// Reader

Result<EmbeddingManifest> ReadEmbeddingManifest(const std::string& dir) {
  const std::string path = dir + "/" + kManifestFile;
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": no such file (not an embedding store?)");
  std::stringstream text;
  text << in.rdbuf();
  EmbeddingManifest m;
  try {
    const nlohmann::json j = nlohmann::json::parse(text.str());
    if (j.value("format", "") != kFormatName) {
      return Status::Corruption(path + ": not a halo-embeddings manifest");
    }
    m.format_version = j.at("format_version").get<int>();
    if (m.format_version != kEmbeddingStoreFormatVersion) {
      return Status::Corruption(path + ": format_version " + std::to_string(m.format_version) +
                                " (this build reads " +
                                std::to_string(kEmbeddingStoreFormatVersion) + ")");
    }
    m.dim = j.at("dim").get<int64_t>();
    m.num_nodes = j.at("num_nodes").get<int64_t>();
    m.num_classes = j.at("num_classes").get<int64_t>();
    m.version = j.at("version").get<std::string>();
    m.created = j.value("created", "");
    m.model = j.value("model", std::map<std::string, std::string>{});
    m.has_node_map = j.value("has_node_map", false);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(path + ": " + e.what());
  }
  if (m.dim <= 0 || m.num_nodes <= 0 || m.num_classes < 0) {
    return Status::Corruption(path + ": bad dim, num_nodes or num_classes");
  }
  return m;
}

namespace {

// Reads column family `cf` into out[num_nodes x width] (of T), requiring exactly the keys
// [0, num_nodes) with values of width * sizeof(T) bytes.
template <typename T>
Status ReadRows(Db& db, Cf cf, const std::string& context, int64_t num_nodes, size_t width,
                std::vector<T>* out) {
  const size_t row_bytes = width * sizeof(T);
  out->resize(static_cast<size_t>(num_nodes) * width);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 4 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(ro, db.handles[cf]));
  const std::string where = context + " (" + CfNames()[cf] + ")";
  int64_t next = 0;
  char* dst = reinterpret_cast<char*>(out->data());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != kKeySize) return Status::Corruption(where + ": bad key size");
    const int64_t id = DecodeKey(it->key().data());
    if (id != next || id >= num_nodes) {
      return Status::Corruption(where + ": " +
                                (id >= num_nodes ? "unexpected global ID " + std::to_string(id)
                                                 : "missing global ID " + std::to_string(next)));
    }
    if (it->value().size() != row_bytes) {
      return Status::Corruption(where + ": global ID " + std::to_string(id) + " has " +
                                std::to_string(it->value().size()) + " bytes, expected " +
                                std::to_string(row_bytes));
    }
    std::memcpy(dst + static_cast<size_t>(id) * row_bytes, it->value().data(), row_bytes);
    ++next;
  }
  HALO_RETURN_IF_ERROR(FromRocks(it->status(), where));
  if (next != num_nodes) {
    return Status::Corruption(where + ": " + std::to_string(next) + " rows, expected " +
                              std::to_string(num_nodes));
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<EmbeddingStore>> EmbeddingStore::Open(const std::string& dir) {
  std::unique_ptr<EmbeddingStore> s(new EmbeddingStore());
  s->dir_ = dir;
  HALO_ASSIGN_OR_RETURN(s->manifest_, ReadEmbeddingManifest(dir));
  const EmbeddingManifest& m = s->manifest_;
  {
    const std::string db_path = dir + "/" + kDbDir;
    HALO_ASSIGN_OR_RETURN(Db db, Db::Open(db_path, /*create=*/false));
    HALO_RETURN_IF_ERROR(ReadRows(db, kEmbeddingsCf, db_path, m.num_nodes,
                                  static_cast<size_t>(m.dim), &s->embeddings_));
    if (m.num_classes > 0) {
      HALO_RETURN_IF_ERROR(ReadRows(db, kLogitsCf, db_path, m.num_nodes,
                                    static_cast<size_t>(m.num_classes), &s->logits_));
      HALO_RETURN_IF_ERROR(ReadRows(db, kPredictionsCf, db_path, m.num_nodes, 1, &s->predictions_));
    }
    HALO_RETURN_IF_ERROR(db.Close(db_path));
  }
  if (m.has_node_map) {
    const std::string path = dir + "/" + kNodeMapFile;
    HALO_ASSIGN_OR_RETURN(s->node_map_, core::ReadNpyAs<int64_t>(path));
    if (static_cast<int64_t>(s->node_map_.size()) != m.num_nodes) {
      return Status::Corruption(path + ": " + std::to_string(s->node_map_.size()) +
                                " entries, expected " + std::to_string(m.num_nodes));
    }
    s->by_original_.resize(s->node_map_.size());
    for (size_t g = 0; g < s->node_map_.size(); ++g) {
      s->by_original_[g] = {s->node_map_[g], static_cast<int64_t>(g)};
    }
    std::sort(s->by_original_.begin(), s->by_original_.end());
    for (size_t i = 1; i < s->by_original_.size(); ++i) {
      if (s->by_original_[i].first == s->by_original_[i - 1].first) {
        return Status::Corruption(path + ": original ID " +
                                  std::to_string(s->by_original_[i].first) + " appears twice");
      }
    }
  }
  return s;
}

const float* EmbeddingStore::embedding(int64_t id) const {
  HALO_CHECK(Contains(id));
  return embeddings_.data() + static_cast<size_t>(id) * static_cast<size_t>(manifest_.dim);
}

const float* EmbeddingStore::logits(int64_t id) const {
  HALO_CHECK(Contains(id));
  if (!has_logits()) return nullptr;
  return logits_.data() + static_cast<size_t>(id) * static_cast<size_t>(manifest_.num_classes);
}

int64_t EmbeddingStore::prediction(int64_t id) const {
  HALO_CHECK(Contains(id));
  return has_logits() ? predictions_[static_cast<size_t>(id)] : -1;
}

Status EmbeddingStore::Get(const int64_t* ids, size_t n, float* out) const {
  const size_t dim = static_cast<size_t>(manifest_.dim);
  for (size_t i = 0; i < n; ++i) {
    if (!Contains(ids[i])) {
      return Status::NotFound(dir_ + ": unknown global ID " + std::to_string(ids[i]) +
                              " (the store holds [0, " + std::to_string(manifest_.num_nodes) +
                              "))");
    }
    std::memcpy(out + i * dim, embedding(ids[i]), dim * sizeof(float));
  }
  return Status::OK();
}

Result<std::vector<float>> EmbeddingStore::Get(const std::vector<int64_t>& ids) const {
  std::vector<float> out(ids.size() * static_cast<size_t>(manifest_.dim));
  HALO_RETURN_IF_ERROR(Get(ids.data(), ids.size(), out.data()));
  return out;
}

int64_t EmbeddingStore::OriginalId(int64_t id) const {
  HALO_CHECK(Contains(id));
  return node_map_.empty() ? id : node_map_[static_cast<size_t>(id)];
}

Result<int64_t> EmbeddingStore::GlobalId(int64_t original_id) const {
  if (!manifest_.has_node_map) {
    if (Contains(original_id)) return original_id;
  } else {
    auto it = std::lower_bound(by_original_.begin(), by_original_.end(),
                               std::make_pair(original_id, int64_t{0}));
    if (it != by_original_.end() && it->first == original_id) return it->second;
  }
  return Status::NotFound(dir_ + ": unknown original ID " + std::to_string(original_id));
}

Status EmbeddingStore::ExportNpy(const std::string& out_dir) const {
  HALO_RETURN_IF_ERROR(core::MakeDirs(out_dir));
  const int64_t n = manifest_.num_nodes;
  HALO_RETURN_IF_ERROR(
      core::WriteNpy(out_dir + "/embeddings.npy", embeddings_.data(), {n, manifest_.dim}));
  if (node_map_.empty()) {
    std::vector<int64_t> identity(static_cast<size_t>(n));
    std::iota(identity.begin(), identity.end(), int64_t{0});
    HALO_RETURN_IF_ERROR(core::WriteNpy(out_dir + "/node_map.npy", identity));
  } else {
    HALO_RETURN_IF_ERROR(core::WriteNpy(out_dir + "/node_map.npy", node_map_));
  }
  if (has_logits()) {
    HALO_RETURN_IF_ERROR(
        core::WriteNpy(out_dir + "/logits.npy", logits_.data(), {n, manifest_.num_classes}));
    HALO_RETURN_IF_ERROR(core::WriteNpy(out_dir + "/predictions.npy", predictions_));
  }
  return Status::OK();
}

}  // namespace halo::serving
