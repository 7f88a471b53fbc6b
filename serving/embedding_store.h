// The embedding store: the output of halo-embed and the input of halo-serve. One directory holds
// the final node embeddings (and optionally the logits and predicted class) of every global node
// ID in [0, num_nodes), keyed by global ID, plus the original-ID map and a manifest.
//
// Layout of a store directory (format version 1, docs/halo-serve.md):
//   manifest.json   {"format": "halo-embeddings", "format_version": 1, "dim", "num_nodes",
//                    "num_classes" (0 = no logits/predictions), "version", "created" (UTC,
//                    ISO 8601), "model": {string -> string}, "has_node_map"}
//   db/             RocksDB; keys = 8-byte big-endian global IDs (as the part stores), one column
//                   family per kind: "embeddings" (dim float32), "logits" (num_classes float32),
//                   "predictions" (one int64); values are raw little-endian bytes
//   node_map.npy    int64 [num_nodes]: global ID -> original ID (absent: original == global)
//
// Writing (every ID of [0, num_nodes) exactly once, in any order and batching):
//   EmbeddingStoreOptions opt;
//   opt.dim = 64;
//   opt.num_nodes = n;
//   HALO_ASSIGN_OR_RETURN(auto writer, EmbeddingStoreWriter::Create("out/emb", opt));
//   HALO_RETURN_IF_ERROR(writer->Add(ids.data(), ids.size(), emb.data()));   // repeatedly
//   HALO_RETURN_IF_ERROR(writer->SetNodeMap(original_ids));                  // optional
//   HALO_RETURN_IF_ERROR(writer->Finish());  // "out/emb" appears only now, complete
//
// Reading (all rows are loaded into memory at Open: 1M x 64 floats = 256 MB):
//   HALO_ASSIGN_OR_RETURN(auto store, EmbeddingStore::Open("out/emb"));
//   std::vector<float> x(ids.size() * store->dim());
//   HALO_RETURN_IF_ERROR(store->Get(ids.data(), ids.size(), x.data()));
//
// Errors: every call returns a Status naming the directory and, for bad rows, the ID. A writer
// that is destroyed without a successful Finish leaves nothing behind (its staging directory is
// removed).
// Thread-safety: EmbeddingStoreWriter's Add and SetNodeMap may be called from several threads at
// once (they take a lock); Finish must not race with them. EmbeddingStore is immutable after Open:
// every method is const and safe from many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace halo::serving {

constexpr int kEmbeddingStoreFormatVersion = 1;

struct EmbeddingStoreOptions {
  int64_t dim = 0;          // embedding width (> 0)
  int64_t num_nodes = 0;    // the store holds global IDs [0, num_nodes) (> 0)
  int64_t num_classes = 0;  // > 0: every Add carries logits, and predictions are stored too
  // Replace an existing store directory at Finish (the old one stays readable until then).
  bool overwrite = false;
  // The version string served with every answer. Empty: the creation time, "20260101T120000Z".
  std::string version;
  // Free-form provenance (e.g. "model" -> "sage", "checkpoint" -> path), kept in the manifest.
  std::map<std::string, std::string> model;
  // Rows buffered in memory before they are sorted and written as one run of SST files. Runs
  // that do not overlap in ID range are ingested as they are; overlapping ones are compacted.
  size_t buffer_bytes = size_t{256} << 20;
};

// The parsed manifest.json.
struct EmbeddingManifest {
  int format_version = 0;
  int64_t dim = 0;
  int64_t num_nodes = 0;
  int64_t num_classes = 0;
  std::string version;
  std::string created;
  std::map<std::string, std::string> model;
  bool has_node_map = false;
};

class EmbeddingStoreWriter {
 public:
  // Starts a store that will appear at `dir` on Finish (written meanwhile in "<dir>.tmp-<pid>").
  // Fails if `dir` exists and !options.overwrite, or on bad options.
  static core::Result<std::unique_ptr<EmbeddingStoreWriter>> Create(
      const std::string& dir, const EmbeddingStoreOptions& options);
  ~EmbeddingStoreWriter();  // without a successful Finish: removes the staging directory
  EmbeddingStoreWriter(const EmbeddingStoreWriter&) = delete;
  EmbeddingStoreWriter& operator=(const EmbeddingStoreWriter&) = delete;

  // Adds rows ids[i] (i < n): embeddings[i * dim, +dim), logits[i * num_classes, +num_classes),
  // predictions[i]. `logits` must be given iff num_classes > 0; `predictions` may then be null
  // (the argmax of the logits is stored). All or nothing: an ID outside [0, num_nodes), an ID
  // already added (or twice in the batch), or a non-finite value fails the call with
  // InvalidArgument and adds none of the rows. The arrays are copied; nothing is retained.
  core::Status Add(const int64_t* ids, size_t n, const float* embeddings,
                   const float* logits = nullptr, const int64_t* predictions = nullptr);

  // The original ID of every global ID (size num_nodes, all distinct). Optional.
  core::Status SetNodeMap(std::vector<int64_t> original_ids);

  // Checks that every ID of [0, num_nodes) was added (FailedPrecondition otherwise, naming the
  // first missing one), writes the database, manifest and node map, and renames the staging
  // directory to `dir`. The writer is unusable afterwards, whatever the outcome.
  core::Status Finish();

  // The version string the store will carry.
  const std::string& version() const;

 private:
  struct Impl;
  explicit EmbeddingStoreWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class EmbeddingStore {
 public:
  // Reads `dir` completely into memory (read-only RocksDB open: several processes may read one
  // store). Fails with Corruption when a column family does not hold exactly the rows
  // [0, num_nodes) of the right width, or the manifest/node map is malformed.
  static core::Result<std::unique_ptr<EmbeddingStore>> Open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const EmbeddingManifest& manifest() const { return manifest_; }
  int64_t dim() const { return manifest_.dim; }
  int64_t num_nodes() const { return manifest_.num_nodes; }
  int64_t num_classes() const { return manifest_.num_classes; }
  const std::string& version() const { return manifest_.version; }
  bool has_logits() const { return manifest_.num_classes > 0; }
  bool has_node_map() const { return manifest_.has_node_map; }

  bool Contains(int64_t id) const { return id >= 0 && id < manifest_.num_nodes; }
  // Row pointers for a valid ID (Contains(id); checked). logits() is null without logits;
  // prediction() is -1 without predictions.
  const float* embedding(int64_t id) const;
  const float* logits(int64_t id) const;
  int64_t prediction(int64_t id) const;
  // All embeddings, row-major [num_nodes x dim].
  const std::vector<float>& embeddings() const { return embeddings_; }

  // Copies the embeddings of ids[0..n) into out[n x dim]. NotFound naming the first unknown ID.
  core::Status Get(const int64_t* ids, size_t n, float* out) const;
  core::Result<std::vector<float>> Get(const std::vector<int64_t>& ids) const;

  // Global ID -> original ID (identity without a node map).
  int64_t OriginalId(int64_t id) const;
  // Original ID -> global ID; NotFound when no node has that original ID.
  core::Result<int64_t> GlobalId(int64_t original_id) const;

  // Writes embeddings.npy [num_nodes, dim] (float32), node_map.npy [num_nodes] (int64; identity
  // without a node map) and, with logits, logits.npy [num_nodes, num_classes] (float32) and
  // predictions.npy [num_nodes] (int64) into `out_dir` (created if missing).
  core::Status ExportNpy(const std::string& out_dir) const;

 private:
  EmbeddingStore() = default;
  std::string dir_;
  EmbeddingManifest manifest_;
  std::vector<float> embeddings_;
  std::vector<float> logits_;
  std::vector<int64_t> predictions_;
  std::vector<int64_t> node_map_;                         // empty without a node map
  std::vector<std::pair<int64_t, int64_t>> by_original_;  // (original, global), sorted
};

// Reads and validates `<dir>/manifest.json` alone (cheap: no rows are read).
core::Result<EmbeddingManifest> ReadEmbeddingManifest(const std::string& dir);

}  // namespace halo::serving
