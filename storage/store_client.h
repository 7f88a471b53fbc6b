// StoreClient: reads rows and neighborhoods of any global node IDs from the part stores, routing
// each ID to its owner part (core::PartitionBook) and gathering the answers back in the order
// asked. One store endpoint per part (halo-store); the trainer's own part may instead be served
// in-process from its FeatureStore/GraphStore, so local reads never touch a socket.
//
//   HALO_ASSIGN_OR_RETURN(core::PartitionMeta meta, core::ReadPartitionMeta("out/cora-2parts"));
//   HALO_ASSIGN_OR_RETURN(auto client, StoreClient::Create(meta,
//       {"tcp://127.0.0.1:7000", "tcp://127.0.0.1:7001"}));
//   std::vector<int64_t> ids = {5, 2000, 5};
//   HALO_ASSIGN_OR_RETURN(std::vector<float> x, client->GetFeatures(ids));  // 3 x feature_dim
//
// Each call: (1) checks every ID is in [0, num_nodes), else OutOfRange naming the first bad ID
// and its position, before any network traffic; (2) splits the IDs by owner and de-duplicates
// them per owner (each distinct ID is fetched once); (3) sends the requests to every remote
// owner at once (a large batch as several requests of about target_reply_bytes each, so that
// the store's work and the transfer overlap), and meanwhile answers the local part in-process;
// (4) waits for every reply within the call's deadline and scatters the rows into request order.
// Duplicates and empty requests are fine (an empty request sends nothing).
//
// Failures: a store that is down, slow or answering with an error makes the call fail with an
// error naming the part and its endpoint ("part 1 (tcp://127.0.0.1:7001): GetFeatures: no reply
// from ... within 2000 ms (2 attempts)"), never later than the deadline (plus local work). The
// code is the net/ one: Unavailable (no connection), DeadlineExceeded (no reply), the server's
// own (OutOfRange, InvalidArgument, ...), Corruption (a reply that does not fit the request).
// Reads are idempotent, so each call retries up to max_attempts times within its deadline. When
// several parts fail, the lowest part's error is returned. On error the output may be partially
// written.
//
// Thread-safety: every method is const and thread-safe; any number of threads may call at once
// (each call in flight uses its own sockets). The local stores, if any, must outlive the client.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/partition_book.h"
#include "core/status.h"
#include "core/types.h"
#include "net/client.h"
#include "storage/feature_store.h"
#include "storage/graph_store.h"

namespace halo::storage {

struct SampleParams;  // storage/store_protocol.h

struct StoreClientOptions {
  // Bounds every call, all parts and retries included.
  std::chrono::milliseconds deadline{5000};
  // Attempts per request (the deadline is shared among them).
  int max_attempts = 2;
  // A part's IDs are sent as several requests at once, each with a reply of about this many
  // bytes (estimated: feature_dim x 4 per ID for features, 8 for labels, 3 for masks, 8 per
  // expected neighbor; never fewer than 64 IDs), so that the store gathers one while the client
  // receives another, and several store workers gather at once. 1 MiB measured best for 10k
  // rows x 128 floats (docs/halo-store.md).
  size_t target_reply_bytes = size_t{1} << 20;
  // At most this many requests per part per call (larger chunks beyond): each request in flight
  // holds a socket, and net keeps ClientOptions::max_idle_sockets (16) of them for reuse.
  int max_requests_per_part = 8;
  net::ClientOptions net;
};

// A part served in-process (not owned; must outlive the client). `graph` may be null when only
// rows are read; neighbor calls for the part then fail with FailedPrecondition.
struct LocalPartStores {
  core::PartId part = -1;
  const FeatureStore* features = nullptr;
  const GraphStore* graph = nullptr;
};

class StoreClient {
 public:
  // A client for the partition `meta`: endpoints[p] is the store of part p ("" is allowed for
  // a part in `local`). InvalidArgument when the counts disagree, an endpoint is malformed or
  // missing, or a local store's range or feature dim disagrees with `meta`. Connects lazily:
  // stores need not be up yet.
  static core::Result<std::unique_ptr<StoreClient>> Create(
      const core::PartitionMeta& meta, const std::vector<std::string>& endpoints,
      const StoreClientOptions& options = {}, const std::vector<LocalPartStores>& local = {});
  // The same from a PartitionBook and the feature dim (partition.json's feature_dim).
  static core::Result<std::unique_ptr<StoreClient>> Create(
      core::PartitionBook book, int64_t feature_dim, const std::vector<std::string>& endpoints,
      const StoreClientOptions& options = {}, const std::vector<LocalPartStores>& local = {});
  ~StoreClient();
  StoreClient(const StoreClient&) = delete;
  StoreClient& operator=(const StoreClient&) = delete;

  const core::PartitionBook& book() const { return book_; }
  int32_t num_parts() const { return book_.num_parts(); }
  int64_t feature_dim() const { return feature_dim_; }
  // The endpoint of part p ("" for a part served in-process).
  const std::string& endpoint(core::PartId p) const {
    return parts_[static_cast<size_t>(p)].endpoint;
  }
  const StoreClientOptions& options() const { return options_; }

  // Features of ids[0..n) into `out` (n x feature_dim floats, caller-owned), row i for ids[i].
  core::Status GetFeatures(const int64_t* ids, size_t n, float* out) const;
  core::Result<std::vector<float>> GetFeatures(const std::vector<int64_t>& ids) const;
  // One int64 label per ID (-1 = unlabeled).
  core::Status GetLabels(const int64_t* ids, size_t n, int64_t* out) const;
  core::Result<std::vector<int64_t>> GetLabels(const std::vector<int64_t>& ids) const;
  // Three bytes per ID: train, val, test (0/1).
  core::Status GetMasks(const int64_t* ids, size_t n, uint8_t* out) const;
  core::Result<std::vector<uint8_t>> GetMasks(const std::vector<int64_t>& ids) const;
  // All in-neighbors (global IDs, CSR order) of each ID, CSR-style: offsets has n + 1 entries.
  core::Result<SampledNeighbors> GetNeighbors(const std::vector<int64_t>& ids) const;
  // Sampled in-neighbors of each ID (GraphStore::SampleInNeighbors semantics: fanout < 0 = all;
  // without replacement min(fanout, degree) distinct; with replacement fanout draws, none for
  // degree 0). A node's sample depends only on (seed, ID), so duplicates get the same sample.
  core::Result<SampledNeighbors> SampleNeighbors(const std::vector<int64_t>& ids, int fanout,
                                                 bool replace, uint64_t seed) const;

  // Part p's store statistics (StoreServer::StatsJson); FailedPrecondition for a local part.
  core::Result<std::string> Stats(core::PartId p) const;
  // OK when part p's store answers a ping within the deadline (a local part is always OK).
  core::Status Ping(core::PartId p) const;

 private:
  struct Part {
    std::string endpoint;
    std::unique_ptr<net::RpcClient> rpc;  // null for a part served in-process
    const FeatureStore* features = nullptr;
    const GraphStore* graph = nullptr;
    bool local() const { return rpc == nullptr; }
  };
  // IDs split by owner. unique[p]: the distinct IDs of part p in first-occurrence order (moved
  // into the requests);
  // counts[p]: how many. Request position i reads slot slot_of[i] of part part_of[i].
  struct Routing {
    std::vector<std::vector<int64_t>> unique;
    std::vector<size_t> counts;
    std::vector<int32_t> part_of;
    std::vector<uint32_t> slot_of;
  };

  // One part's answer: replies to consecutive chunks of chunk_size IDs of its unique list (the
  // last may be shorter); one chunk for a part served in-process.
  struct Fetched {
    std::vector<net::Message> chunks;
    size_t chunk_size = 0;
  };

  StoreClient(core::PartitionBook book, int64_t feature_dim, StoreClientOptions options);
  core::Result<Routing> Route(uint16_t type, const int64_t* ids, size_t n) const;
  // The answers of every part with IDs: requests to remote parts go out first (in chunks sized
  // by target_reply_bytes), local parts are answered meanwhile, then every reply is awaited
  // together.
  core::Result<std::vector<Fetched>> Fetch(uint16_t type, Routing* routing,
                                           const SampleParams* params) const;
  // Each chunk checked against its ID count by `parse(message, count)`: views[part][chunk].
  template <typename View, typename Parse>
  core::Result<std::vector<std::vector<View>>> ParseAll(uint16_t type, const Routing& routing,
                                                        const std::vector<Fetched>& fetched,
                                                        Parse parse) const;
  core::Result<net::Message> AnswerLocally(core::PartId p, uint16_t type,
                                           const std::vector<int64_t>& ids,
                                           const SampleParams* params) const;
  // `s` with the part, its endpoint and the request named in front.
  core::Status PartError(core::PartId p, uint16_t type, const core::Status& s) const;
  core::Result<SampledNeighbors> Neighbors(uint16_t type, const std::vector<int64_t>& ids,
                                           const SampleParams* params) const;

  core::PartitionBook book_;
  int64_t feature_dim_ = 0;
  StoreClientOptions options_;
  std::vector<Part> parts_;
};

}  // namespace halo::storage
