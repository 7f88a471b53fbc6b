// StoreServer: serves one part of a partition over net/ (the engine of `halo-store`): features,
// labels and masks from the part's FeatureStore (RocksDB + hot set), in-neighbors and neighbor
// samples from its GraphStore, and a Stats JSON. Message layouts: storage/store_protocol.h.
//
//   StoreServerOptions opt;
//   opt.mem_budget_mb = 512;
//   HALO_ASSIGN_OR_RETURN(auto server, StoreServer::Open("out/cora-2parts", /*part=*/1, opt));
//   HALO_RETURN_IF_ERROR(server->Start("tcp://127.0.0.1:0"));   // server->endpoint(): the port
//   ...
//   server->Stop();
//
// Every request is validated before any work: its type, array count and dtypes, the sample
// parameters, and that every ID is owned by this part (else OutOfRange naming the first bad ID,
// its position and the part's range). Requests whose reply would exceed max_reply_bytes are
// refused (InvalidArgument) before anything is allocated. An error reply never stops the server.
//
// Thread-safety: after Open, Handle/StatsJson may be called from any number of threads (the
// stores are immutable, counters atomic); Start and Stop from one controlling thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/partition_book.h"
#include "core/status.h"
#include "core/types.h"
#include "net/message.h"
#include "net/server.h"
#include "storage/feature_store.h"
#include "storage/graph_store.h"

namespace halo::storage {

// The part store directory of part `info` of the partition in `partition_dir`:
// partition_dir + "/" + info.files["store"]. NotFound when partition.json lists no store for the
// part or the directory does not exist (the message says which, and names the part).
core::Result<std::string> PartStoreDir(const std::string& partition_dir,
                                       const core::PartInfo& info);

struct StoreServerOptions {
  // FeatureStoreOptions::mem_budget_mb: MiB of hot feature rows (ranked by in-degree). 0 sends
  // every feature read to RocksDB.
  double mem_budget_mb = 1024;
  // Worker threads answering requests (net::ServerOptions::num_workers).
  int num_threads = 4;
  // Largest reply accepted (bytes of its arrays); larger requests are refused up front.
  int64_t max_reply_bytes = int64_t{1} << 30;
};

class StoreServer {
 public:
  // Opens part `part` of the partition in `partition_dir`: partition.json, the GraphStore and
  // the FeatureStore at PartStoreDir() (hot set by in-degree). Errors name the part and the file.
  static core::Result<std::unique_ptr<StoreServer>> Open(const std::string& partition_dir,
                                                         core::PartId part,
                                                         const StoreServerOptions& options = {});
  ~StoreServer();  // Stop()s
  StoreServer(const StoreServer&) = delete;
  StoreServer& operator=(const StoreServer&) = delete;

  // Binds `endpoint` ("tcp://127.0.0.1:0" picks a free port) and starts serving; once (after a
  // failure it may be called again). Unavailable when the address is taken, InvalidArgument when
  // malformed.
  core::Status Start(const std::string& endpoint);
  // The bound endpoint with its port ("tcp://127.0.0.1:40123"); empty before Start.
  const std::string& endpoint() const { return endpoint_; }
  // Stops serving (net::RpcServer::Stop: the port is free when it returns). Idempotent.
  void Stop();

  // Answers one request as the network handler does (also for in-process tests).
  core::Result<net::Message> Handle(const net::Message& request);
  // {"part", "node_begin", "node_end", "num_rows", "feature_dim", "num_halo", "num_local_edges",
  //  "requests": {total, errors, per type}, "ids_served", "hits", "misses", "hot_rows",
  //  "hot_bytes", "rocksdb_keys", "multiget_calls", "mem_budget_mb", "uptime_s"}.
  std::string StatsJson() const;

  core::PartId part() const { return graph_->part_id(); }
  const FeatureStore& features() const { return *features_; }
  const GraphStore& graph() const { return *graph_; }

 private:
  StoreServer(StoreServerOptions options, std::unique_ptr<GraphStore> graph,
              std::unique_ptr<FeatureStore> features);

  core::Status CheckOwned(uint16_t type, net::ArrayView<int64_t> ids) const;
  core::Status CheckReplyBytes(uint16_t type, size_t n, int64_t bytes_per_id) const;
  core::Result<net::Message> HandleFeatures(const net::Message& request);
  core::Result<net::Message> HandleLabels(const net::Message& request);
  core::Result<net::Message> HandleMasks(const net::Message& request);
  core::Result<net::Message> HandleNeighbors(const net::Message& request);

  const StoreServerOptions options_;
  std::unique_ptr<GraphStore> graph_;
  std::unique_ptr<FeatureStore> features_;
  std::unique_ptr<net::RpcServer> rpc_;
  std::string endpoint_;
  const int64_t start_ns_;
  // Counters: requests per store type (index type - kFirstStoreType), errors, IDs answered.
  std::atomic<int64_t> requests_[6] = {};
  std::atomic<int64_t> unknown_requests_{0};
  std::atomic<int64_t> errors_{0};
  std::atomic<int64_t> ids_served_{0};
};

}  // namespace halo::storage
