#include "serving/embedding_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "core/logging.h"

namespace halo::serving {

using core::Result;
using core::Status;

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

// The HTTP status of a failed Status.
int HttpStatus(const Status& s) {
  switch (s.code()) {
    case core::StatusCode::kInvalidArgument:
    case core::StatusCode::kOutOfRange:
      return 400;
    case core::StatusCode::kNotFound:
      return 404;
    case core::StatusCode::kFailedPrecondition:
      return 409;
    case core::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

// JSON text; bytes that are not UTF-8 (a client's path or body echoed in an error) become U+FFFD
// instead of an exception.
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string ErrorBody(const std::string& message) { return Dump(Json{{"error", message}}); }

// Floats in their shortest round-trip form (std::to_chars): parsing one back as a double and
// narrowing to float gives the same float, and it is several times faster than iostreams.
void AppendFloat(std::string* out, float v) {
  if (!std::isfinite(v)) {  // the writer rejects these; JSON has no spelling for them
    *out += "null";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

void AppendFloats(std::string* out, const float* v, int64_t n) {
  *out += '[';
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) *out += ',';
    AppendFloat(out, v[i]);
  }
  *out += ']';
}

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

// A whole decimal int64 ("12"; not "12x", "", "1e3" or an overflowing one).
bool ParseInt64(const std::string& text, int64_t* value) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, *value);
  return r.ec == std::errc() && r.ptr == end;
}

// "id":..,"original_id":..,"embedding":[..] plus "prediction" and "logits" when the store has
// them (the fields of one row, without braces). `id` must be valid.
void AppendRowFields(std::string* out, const EmbeddingStore& store, int64_t id) {
  *out += "\"id\":";
  AppendInt(out, id);
  *out += ",\"original_id\":";
  AppendInt(out, store.OriginalId(id));
  *out += ",\"embedding\":";
  AppendFloats(out, store.embedding(id), store.dim());
  if (store.has_logits()) {
    *out += ",\"prediction\":";
    AppendInt(out, store.prediction(id));
    *out += ",\"logits\":";
    AppendFloats(out, store.logits(id), store.num_classes());
  }
}

// Constant-time comparison: the time taken does not tell how much of a guessed token matched.
bool SameSecret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

struct Reply {
  int status = 200;
  std::string body;
  const char* content_type = "application/json";
};

Reply Error(int status, const std::string& message) { return {status, ErrorBody(message)}; }
Reply Error(const Status& s) { return Error(HttpStatus(s), s.message()); }

}  // namespace

std::string IndexCacheDirFor(const std::string& index_cache_dir, const std::string& dir) {
  if (index_cache_dir == "none") return "";
  if (index_cache_dir.empty()) return dir + "/index";
  return index_cache_dir;
}

Result<std::shared_ptr<const ServingSnapshot>> ServingSnapshot::Load(
    const std::string& dir, const SimilarityOptions& similarity,
    const std::string& index_cache_dir) {
  const auto t0 = Clock::now();
  auto snapshot = std::make_shared<ServingSnapshot>();
  snapshot->dir = dir;
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<EmbeddingStore> store, EmbeddingStore::Open(dir));
  snapshot->store = std::move(store);
  const auto t1 = Clock::now();
  snapshot->open_seconds = std::chrono::duration<double>(t1 - t0).count();
  const EmbeddingStore& s = *snapshot->store;
  IndexCacheOptions cache;
  cache.dir = IndexCacheDirFor(index_cache_dir, dir);
  cache.store_version = s.version();
  cache.store_created = s.manifest().created;
  auto index =
      SimilarityIndex::Open(s.embeddings().data(), s.num_nodes(), s.dim(), similarity, cache);
  if (!index.ok()) return index.status().WithContext(dir);
  snapshot->index = std::move(index).value();
  snapshot->version_json = Dump(Json(s.version()));
  snapshot->index_seconds = std::chrono::duration<double>(Clock::now() - t1).count();
  return std::shared_ptr<const ServingSnapshot>(std::move(snapshot));
}

struct EmbeddingServer::Impl {
  ServeOptions opt;
  httplib::Server http;
  std::thread listener;
  std::atomic<bool> listener_done{false};
  int port = -1;

  mutable std::mutex snapshot_mu;  // guards `current` (held only to copy or swap the pointer)
  std::shared_ptr<const ServingSnapshot> current;
  std::mutex reload_mu;  // one reload at a time
  ServeMetrics metrics;

  std::shared_ptr<const ServingSnapshot> Snapshot() const {
    std::lock_guard<std::mutex> lock(snapshot_mu);
    return current;
  }

  Status Reload(const std::string& dir, std::string* previous_version);

  bool Authorized(const httplib::Request& req) const {
    if (opt.token.empty()) return true;
    return SameSecret(req.get_header_value("Authorization"), "Bearer " + opt.token);
  }

  using Handler = std::function<Reply(const httplib::Request&, const ServingSnapshot&)>;
  // Registers `handler` for `method` + `pattern` (a regex), wrapped with auth, exception
  // safety, timing and metrics. The handler sees the snapshot current when the request starts.
  void Route(const std::string& method, const std::string& pattern, Endpoint endpoint,
             bool needs_auth, Handler handler);
  void RegisterRoutes();

  // Resolves a path ID ("12") to a global ID: 400 when not an integer, 404 when unknown.
  static Status ResolveId(const EmbeddingStore& store, const std::string& text, bool original,
                          int64_t* global);
  // ?by=global (default) | original.
  static Status ByOriginal(const httplib::Request& req, bool* original);

  Reply GetEmbedding(const httplib::Request& req, const ServingSnapshot& snap) const;
  Reply BatchGet(const httplib::Request& req, const ServingSnapshot& snap) const;
  Reply Similar(const httplib::Request& req, const ServingSnapshot& snap) const;
  Reply Healthz(const ServingSnapshot& snap) const;
  Reply Metrics(const ServingSnapshot& snap) const;
  Reply DoReload(const httplib::Request& req);
};

void EmbeddingServer::Impl::Route(const std::string& method, const std::string& pattern,
                                  Endpoint endpoint, bool needs_auth, Handler handler) {
  auto wrapped = [this, endpoint, needs_auth, handler = std::move(handler)](
                     const httplib::Request& req, httplib::Response& res) {
    const auto t0 = Clock::now();
    Reply reply;
    if (needs_auth && !Authorized(req)) {
      reply = Error(401, "missing or wrong bearer token (send 'Authorization: Bearer <token>')");
      res.set_header("WWW-Authenticate", "Bearer");
    } else {
      try {
        std::shared_ptr<const ServingSnapshot> snap = Snapshot();
        reply = handler(req, *snap);
      } catch (const std::exception& e) {
        reply = Error(500, std::string("internal error: ") + e.what());
      }
    }
    res.status = reply.status;
    res.set_content(std::move(reply.body), reply.content_type);
    metrics.Record(endpoint, reply.status,
                   std::chrono::duration<double>(Clock::now() - t0).count());
  };
  if (method == "GET") {
    http.Get(pattern, std::move(wrapped));
  } else {
    http.Post(pattern, std::move(wrapped));
  }
}

void EmbeddingServer::Impl::RegisterRoutes() {
  Route("GET", R"(/v1/embeddings/([^/:]+))", Endpoint::kEmbedding, true,
        [this](const httplib::Request& req, const ServingSnapshot& snap) {
          return GetEmbedding(req, snap);
        });
  Route("POST", R"(/v1/embeddings:batchGet)", Endpoint::kBatchGet, true,
        [this](const httplib::Request& req, const ServingSnapshot& snap) {
          return BatchGet(req, snap);
        });
  Route("GET", R"(/v1/similar/([^/]+))", Endpoint::kSimilar, true,
        [this](const httplib::Request& req, const ServingSnapshot& snap) {
          return Similar(req, snap);
        });
  Route("GET", "/healthz", Endpoint::kHealthz, false,
        [this](const httplib::Request&, const ServingSnapshot& snap) { return Healthz(snap); });
  Route("GET", "/metrics", Endpoint::kMetrics, true,
        [this](const httplib::Request&, const ServingSnapshot& snap) { return Metrics(snap); });
  Route("POST", R"(/v1/admin:reload)", Endpoint::kReload, true,
        [this](const httplib::Request& req, const ServingSnapshot&) { return DoReload(req); });

  // Everything httplib answers by itself (no route, malformed request, body too large) gets a
  // JSON body too. Our own error replies already have one and pass through untouched.
  http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message;
    switch (res.status) {
      case 404:
        message = "no such endpoint: " + req.method + " " + req.path;
        break;
      case 413:
        message = "request body too large";
        break;
      case 400:
        message = "malformed HTTP request for " + req.method + " " + req.path +
                  " (a POST needs a Content-Length header: curl -d '{}' ...)";
        break;
      default:
        message = "HTTP " + std::to_string(res.status) + " for " + req.method + " " + req.path;
    }
    res.set_content(ErrorBody(message), "application/json");
    metrics.Record(Endpoint::kOther, res.status, -1);
  });
  // Our handlers catch their own exceptions; this is for anything thrown around them.
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        res.status = 500;
        res.set_content(ErrorBody("internal error: " + what), "application/json");
      });
}

Status EmbeddingServer::Impl::ResolveId(const EmbeddingStore& store, const std::string& text,
                                        bool original, int64_t* global) {
  int64_t id = 0;
  if (!ParseInt64(text, &id)) {
    return Status::InvalidArgument("'" + text + "' is not an integer node ID");
  }
  if (original) {
    auto g = store.GlobalId(id);
    if (!g.ok()) return Status::NotFound("unknown original ID " + text);
    *global = g.value();
    return Status::OK();
  }
  if (!store.Contains(id)) {
    return Status::NotFound("unknown global ID " + text + " (this version holds [0, " +
                            std::to_string(store.num_nodes()) + "))");
  }
  *global = id;
  return Status::OK();
}

Status EmbeddingServer::Impl::ByOriginal(const httplib::Request& req, bool* original) {
  const std::string by = req.has_param("by") ? req.get_param_value("by") : "global";
  if (by != "global" && by != "original") {
    return Status::InvalidArgument("by must be 'global' or 'original', got '" + by + "'");
  }
  *original = by == "original";
  return Status::OK();
}

Reply EmbeddingServer::Impl::GetEmbedding(const httplib::Request& req,
                                          const ServingSnapshot& snap) const {
  const EmbeddingStore& store = *snap.store;
  bool original = false;
  int64_t id = 0;
  Status s = ByOriginal(req, &original);
  if (s.ok()) s = ResolveId(store, req.matches[1].str(), original, &id);
  if (!s.ok()) return Error(s);
  Reply r;
  r.body.reserve(static_cast<size_t>(store.dim() + store.num_classes()) * 12 + 128);
  r.body = "{\"version\":" + snap.version_json + ",";
  AppendRowFields(&r.body, store, id);
  r.body += '}';
  return r;
}

Reply EmbeddingServer::Impl::BatchGet(const httplib::Request& req,
                                      const ServingSnapshot& snap) const {
  const EmbeddingStore& store = *snap.store;
  Json body;
  try {
    body = Json::parse(req.body);
  } catch (const Json::exception& e) {
    return Error(400, std::string("request body is not valid JSON: ") + e.what());
  }
  if (!body.is_object() || (body.contains("ids") == body.contains("original_ids"))) {
    return Error(400,
                 "request body must be a JSON object with either \"ids\" or "
                 "\"original_ids\" (an array of integers)");
  }
  const bool original = body.contains("original_ids");
  const char* key = original ? "original_ids" : "ids";
  const Json& ids = body[key];
  if (!ids.is_array()) return Error(400, std::string("\"") + key + "\" must be an array");
  if (static_cast<int64_t>(ids.size()) > opt.max_batch) {
    return Error(413, "batch of " + std::to_string(ids.size()) + " IDs exceeds the limit of " +
                          std::to_string(opt.max_batch) + " (--max_batch)");
  }
  std::vector<int64_t> globals(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const Json& v = ids[i];
    const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    if (!v.is_number_integer() ||
        (v.is_number_unsigned() &&
         v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
      return Error(400, where + " is not an integer node ID: " + Dump(v));
    }
    const int64_t id = v.get<int64_t>();
    if (original) {
      auto g = store.GlobalId(id);
      if (!g.ok())
        return Error(404, "unknown original ID " + std::to_string(id) + " (" + where + ")");
      globals[i] = g.value();
    } else {
      if (!store.Contains(id)) {
        return Error(404, "unknown global ID " + std::to_string(id) + " (" + where +
                              "; this version holds [0, " + std::to_string(store.num_nodes()) +
                              "))");
      }
      globals[i] = id;
    }
  }
  Reply r;
  r.body.reserve(
      globals.size() * (static_cast<size_t>(store.dim() + store.num_classes()) * 12 + 48) + 64);
  r.body = "{\"version\":" + snap.version_json + ",\"dim\":";
  AppendInt(&r.body, store.dim());
  r.body += ",\"embeddings\":[";
  for (size_t i = 0; i < globals.size(); ++i) {
    r.body += i > 0 ? ",{" : "{";
    AppendRowFields(&r.body, store, globals[i]);
    r.body += '}';
  }
  r.body += "]}";
  return r;
}

Reply EmbeddingServer::Impl::Similar(const httplib::Request& req,
                                     const ServingSnapshot& snap) const {
  const EmbeddingStore& store = *snap.store;
  bool original = false;
  int64_t id = 0;
  Status s = ByOriginal(req, &original);
  if (s.ok()) s = ResolveId(store, req.matches[1].str(), original, &id);
  if (!s.ok()) return Error(s);
  int64_t k = 10;
  if (req.has_param("k") && (!ParseInt64(req.get_param_value("k"), &k) || k < 1 || k > opt.max_k)) {
    return Error(400, "k must be an integer in [1, " + std::to_string(opt.max_k) + "], got '" +
                          req.get_param_value("k") + "'");
  }
  std::vector<Neighbor> top;
  s = snap.index->SearchById(id, k, &top);
  if (!s.ok()) return Error(s);
  Reply r;
  r.body = "{\"version\":" + snap.version_json + ",\"id\":";
  AppendInt(&r.body, id);
  r.body += ",\"original_id\":";
  AppendInt(&r.body, store.OriginalId(id));
  r.body += ",\"metric\":\"";
  r.body += MetricName(snap.index->metric());
  r.body += "\",\"index\":\"";
  r.body += IndexTypeName(snap.index->type());
  r.body += "\",\"k\":";
  AppendInt(&r.body, k);
  r.body += ",\"neighbors\":[";
  for (size_t i = 0; i < top.size(); ++i) {
    if (i > 0) r.body += ',';
    r.body += "{\"id\":";
    AppendInt(&r.body, top[i].id);
    r.body += ",\"original_id\":";
    AppendInt(&r.body, store.OriginalId(top[i].id));
    r.body += ",\"score\":";
    AppendFloat(&r.body, top[i].score);
    r.body += '}';
  }
  r.body += "]}";
  return r;
}

Reply EmbeddingServer::Impl::Healthz(const ServingSnapshot& snap) const {
  Reply r;
  r.body = Dump(Json{{"status", "ok"},
                     {"version", snap.store->version()},
                     {"num_nodes", snap.store->num_nodes()},
                     {"dim", snap.store->dim()},
                     {"index", IndexTypeName(snap.index->type())},
                     {"index_source", IndexSourceName(snap.index->source())},
                     {"metric", MetricName(snap.index->metric())}});
  return r;
}

Reply EmbeddingServer::Impl::Metrics(const ServingSnapshot& snap) const {
  Reply r;
  r.body = metrics.Render(snap.store->version(), snap.store->num_nodes(), snap.store->dim());
  r.content_type = "text/plain; version=0.0.4";
  return r;
}

Reply EmbeddingServer::Impl::DoReload(const httplib::Request& req) {
  std::string dir;
  if (req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    Json body;
    try {
      body = Json::parse(req.body);
    } catch (const Json::exception& e) {
      return Error(400, std::string("request body is not valid JSON: ") + e.what());
    }
    if (!body.is_object() || (body.contains("path") && !body["path"].is_string())) {
      return Error(400, "request body must be empty or {\"path\": \"<embedding store dir>\"}");
    }
    dir = body.value("path", "");
  }
  std::string previous;
  Status s = Reload(dir, &previous);
  if (!s.ok()) return Error(s);
  std::shared_ptr<const ServingSnapshot> now = Snapshot();
  Reply r;
  r.body = Dump(Json{{"version", now->store->version()},
                     {"previous_version", previous},
                     {"path", now->dir},
                     {"num_nodes", now->store->num_nodes()},
                     {"dim", now->store->dim()},
                     {"index", IndexTypeName(now->index->type())},
                     {"index_source", IndexSourceName(now->index->source())},
                     {"open_seconds", now->open_seconds},
                     {"index_seconds", now->index_seconds}});
  return r;
}

Status EmbeddingServer::Impl::Reload(const std::string& dir, std::string* previous_version) {
  std::lock_guard<std::mutex> reload_lock(reload_mu);
  const std::string path = dir.empty() ? Snapshot()->dir : dir;
  Result<std::shared_ptr<const ServingSnapshot>> loaded =
      ServingSnapshot::Load(path, opt.similarity, opt.index_cache_dir);
  metrics.RecordReload(loaded.ok());
  if (!loaded.ok()) {
    HALO_LOG(Warning) << "reload of " << path
                      << " failed, still serving the old version: " << loaded.status().ToString();
    return loaded.status();
  }
  std::shared_ptr<const ServingSnapshot> old = std::move(loaded).value();
  {
    std::lock_guard<std::mutex> lock(snapshot_mu);
    current.swap(old);
  }
  if (previous_version != nullptr) *previous_version = old->store->version();
  std::shared_ptr<const ServingSnapshot> now = Snapshot();
  HALO_LOG(Info) << "reloaded " << path << ": version " << old->store->version() << " -> "
                 << now->store->version() << " (" << IndexTypeName(now->index->type()) << " index "
                 << (now->index->loaded_from_cache() ? "read from the cache" : "built") << " in "
                 << now->index_seconds << " s)";
  // `old` is freed here, or by the last request still using it.
  return Status::OK();
}

EmbeddingServer::EmbeddingServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EmbeddingServer::~EmbeddingServer() { Stop(); }

Result<std::unique_ptr<EmbeddingServer>> EmbeddingServer::Create(const ServeOptions& options) {
  if (options.embeddings_dir.empty()) return Status::InvalidArgument("no embeddings directory");
  if (options.max_batch < 1 || options.max_k < 1 || options.threads < 1 ||
      options.keep_alive_max_requests < 1 || options.port < 0 || options.port > 65535) {
    return Status::InvalidArgument(
        "max_batch, max_k, threads and keep_alive_max_requests must be >= 1, port in [0, 65535]");
  }
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  HALO_ASSIGN_OR_RETURN(
      impl->current,
      ServingSnapshot::Load(options.embeddings_dir, options.similarity, options.index_cache_dir));
  impl->RegisterRoutes();
  return std::unique_ptr<EmbeddingServer>(new EmbeddingServer(std::move(impl)));
}

Status EmbeddingServer::Start() {
  Impl& s = *impl_;
  if (s.listener.joinable()) return Status::FailedPrecondition("server already started");
  const int threads = s.opt.threads;
  s.http.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  s.http.set_keep_alive_max_count(static_cast<size_t>(s.opt.keep_alive_max_requests));
  s.http.set_tcp_nodelay(true);  // small answers must not wait for Nagle
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second server on the
  // same port would silently share its connections instead of failing.
  s.http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Enough for max_batch IDs of 20 digits each, with room for spacing.
  s.http.set_payload_max_length(static_cast<size_t>(s.opt.max_batch) * 32 + (64 << 10));
  bool bound = false;
  if (s.opt.port == 0) {
    s.port = s.http.bind_to_any_port(s.opt.bind);
    bound = s.port > 0;
  } else {
    bound = s.http.bind_to_port(s.opt.bind, s.opt.port);
    s.port = s.opt.port;
  }
  if (!bound) {
    return Status::IOError("cannot listen on " + s.opt.bind + ":" + std::to_string(s.opt.port) +
                           " (address in use, or not an address of this host)");
  }
  s.listener_done = false;
  s.listener = std::thread([&s] {
    s.http.listen_after_bind();
    s.listener_done = true;
  });
  // httplib's stop() does nothing until the listener runs: without this wait, a Stop() right
  // after Start() would be lost and its join would hang.
  while (!s.http.is_running() && !s.listener_done) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return Status::OK();
}

void EmbeddingServer::Stop() {
  Impl& s = *impl_;
  if (!s.listener.joinable()) return;
  s.http.stop();
  s.listener.join();
}

int EmbeddingServer::port() const { return impl_->port; }

std::string EmbeddingServer::url() const {
  const std::string& host = impl_->opt.bind;
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(impl_->port);
}

Status EmbeddingServer::Reload(const std::string& dir, std::string* previous_version) {
  return impl_->Reload(dir, previous_version);
}

std::shared_ptr<const ServingSnapshot> EmbeddingServer::snapshot() const {
  return impl_->Snapshot();
}

const ServeMetrics& EmbeddingServer::metrics() const { return impl_->metrics; }

}  // namespace halo::serving
