// EmbeddingServer: the HTTP/JSON service of halo-serve over an embedding store (cpp-httplib).
// Endpoints, status codes and bodies: docs/halo-serve.md. In short:
//   GET  /v1/embeddings/{id}[?by=original]      one row
//   POST /v1/embeddings:batchGet                {"ids": [...]} or {"original_ids": [...]}
//   GET  /v1/similar/{id}?k=10[&by=original]    top-k similar nodes (FAISS), the node left out
//   GET  /healthz                               liveness, version, index kind and source
//                                               (never needs the token)
//   GET  /metrics                               Prometheus text
//   POST /v1/admin:reload                       [{"path": "<dir>"}]: load and swap a version
// Every JSON answer carries "version"; every error is a 4xx/5xx with {"error": "..."}.
//
// Versions: the served version is an immutable ServingSnapshot (store + similarity index) behind
// a shared_ptr. A request takes its own reference when it starts, so Reload can load and index
// a new version completely, then swap the pointer: requests in flight finish on the old version,
// later ones see the new one, none fails. Reloads are serialized.
//
// IVF indexes are kept in a cache directory (ServeOptions::index_cache_dir; by default
// "<store>/index") and read back instead of rebuilt when the store and index settings match:
// see SimilarityIndex::Open. The cache never fails a start or a reload.
//
// Usage:
//   ServeOptions opt;
//   opt.embeddings_dir = "out/emb";
//   HALO_ASSIGN_OR_RETURN(auto server, EmbeddingServer::Create(opt));  // loads + indexes
//   HALO_RETURN_IF_ERROR(server->Start());  // binds opt.bind:opt.port (0 = a free port)
//   ... server->port() ...
//   server->Stop();
//
// Thread-safety: Start/Stop from one thread; Reload, snapshot() and metrics() from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "serving/embedding_store.h"
#include "serving/serve_metrics.h"
#include "serving/similarity_index.h"

namespace halo::serving {

struct ServeOptions {
  std::string embeddings_dir;      // the store served first (and reloaded by an empty Reload path)
  std::string bind = "127.0.0.1";  // loopback unless asked otherwise
  int port = 0;                    // 0: any free port (see port() after Start)
  std::string token;               // non-empty: "Authorization: Bearer <token>" required
  SimilarityOptions similarity;
  // Where built IVF indexes are kept: "" = "<embeddings dir>/index" (of each store served),
  // "none" = no cache, anything else = that directory (shared by every store served).
  std::string index_cache_dir;
  int64_t max_batch = 1024;  // IDs per batchGet; more is 413
  int64_t max_k = 1000;      // k of /v1/similar must lie in [1, max_k]
  int threads = 8;           // HTTP worker threads (one per open connection)
  // Requests one keep-alive connection may carry before the server closes it, so that a few
  // busy clients cannot hold every worker thread forever.
  int keep_alive_max_requests = 100;
};

// One loaded embedding version. Immutable.
struct ServingSnapshot {
  std::string dir;
  std::shared_ptr<const EmbeddingStore> store;
  std::unique_ptr<SimilarityIndex> index;  // borrows store's rows
  std::string version_json;                // the version as a JSON string literal
  double open_seconds = 0;                 // reading the store
  double index_seconds = 0;                // building or reading the similarity index

  // Opens `dir` and builds its index, or reads it from the cache (`index_cache_dir` as in
  // ServeOptions).
  static core::Result<std::shared_ptr<const ServingSnapshot>> Load(
      const std::string& dir, const SimilarityOptions& similarity,
      const std::string& index_cache_dir = "");
};

// The cache directory of the store at `dir` for an index_cache_dir setting ("" when none).
std::string IndexCacheDirFor(const std::string& index_cache_dir, const std::string& dir);

class EmbeddingServer {
 public:
  // Validates the options and loads options.embeddings_dir (store + index).
  static core::Result<std::unique_ptr<EmbeddingServer>> Create(const ServeOptions& options);
  ~EmbeddingServer();  // Stop()s
  EmbeddingServer(const EmbeddingServer&) = delete;
  EmbeddingServer& operator=(const EmbeddingServer&) = delete;

  // Binds and starts answering on a background thread. IOError when the address is taken.
  core::Status Start();
  // Stops accepting, finishes the requests in flight and joins the threads. Idempotent.
  void Stop();
  int port() const;         // after Start
  std::string url() const;  // "http://<bind>:<port>"

  // Loads `dir` (empty: the directory of the version now served) and swaps it in. On failure
  // the served version stays. `previous_version` (optional) receives the replaced version.
  core::Status Reload(const std::string& dir, std::string* previous_version = nullptr);

  std::shared_ptr<const ServingSnapshot> snapshot() const;
  const ServeMetrics& metrics() const;

 private:
  struct Impl;
  explicit EmbeddingServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace halo::serving
