#include "storage/store_server.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "storage/store_protocol.h"

namespace halo::storage {

namespace {

using core::Status;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Range(core::NodeId begin, core::NodeId end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

}  // namespace

core::Result<std::string> PartStoreDir(const std::string& partition_dir,
                                       const core::PartInfo& info) {
  auto it = info.files.find("store");
  if (it == info.files.end()) {
    return Status::NotFound("part " + std::to_string(info.id) + " of " + partition_dir +
                            " has no part store: partition.json parts[" + std::to_string(info.id) +
                            "].files lists no \"store\" (re-run halo-partition to write one)");
  }
  const std::string dir = partition_dir + "/" + it->second;
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::NotFound("part " + std::to_string(info.id) + " store " + dir +
                            " (partition.json files[\"store\"]) is missing or not a directory");
  }
  return dir;
}

core::Result<std::unique_ptr<StoreServer>> StoreServer::Open(const std::string& partition_dir,
                                                             core::PartId part,
                                                             const StoreServerOptions& options) {
  if (options.num_threads < 1) {
    return Status::InvalidArgument("store server threads must be >= 1, got " +
                                   std::to_string(options.num_threads));
  }
  if (options.mem_budget_mb < 0) {
    return Status::InvalidArgument("store server memory budget must be >= 0 MiB, got " +
                                   std::to_string(options.mem_budget_mb));
  }
  HALO_ASSIGN_OR_RETURN(core::PartitionMeta meta, core::ReadPartitionMeta(partition_dir));
  if (part < 0 || part >= meta.num_parts) {
    return Status::InvalidArgument("part " + std::to_string(part) +
                                   " out of range: " + partition_dir + " has " +
                                   std::to_string(meta.num_parts) + " parts");
  }
  const core::PartInfo& info = meta.parts[static_cast<size_t>(part)];
  HALO_ASSIGN_OR_RETURN(std::string store_dir, PartStoreDir(partition_dir, info));
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<GraphStore> graph, GraphStore::Open(partition_dir, part));
  FeatureStoreOptions fo;
  fo.mem_budget_mb = options.mem_budget_mb;
  fo.in_degree = graph->InnerInDegrees();
  auto features = FeatureStore::Open(store_dir, fo);
  if (!features.ok()) {
    return features.status().WithContext("part " + std::to_string(part) + " store " + store_dir);
  }
  const FeatureStore& fs = *features.value();
  if (fs.node_begin() != info.node_begin || fs.node_end() != info.node_end ||
      graph->node_begin() != info.node_begin || graph->node_end() != info.node_end) {
    return Status::Corruption("part " + std::to_string(part) + ": store " + store_dir + " holds " +
                              Range(fs.node_begin(), fs.node_end()) + ", graph holds " +
                              Range(graph->node_begin(), graph->node_end()) +
                              ", partition.json says " + Range(info.node_begin, info.node_end));
  }
  if (fs.has_features() && fs.feature_dim() != meta.feature_dim) {
    return Status::Corruption("part " + std::to_string(part) + ": store " + store_dir +
                              " has feature dim " + std::to_string(fs.feature_dim()) +
                              ", partition.json says " + std::to_string(meta.feature_dim));
  }
  return std::unique_ptr<StoreServer>(
      new StoreServer(options, std::move(graph), std::move(features).value()));
}

StoreServer::StoreServer(StoreServerOptions options, std::unique_ptr<GraphStore> graph,
                         std::unique_ptr<FeatureStore> features)
    : options_(options),
      graph_(std::move(graph)),
      features_(std::move(features)),
      start_ns_(NowNs()) {}

StoreServer::~StoreServer() { Stop(); }

Status StoreServer::Start(const std::string& endpoint) {
  if (rpc_ != nullptr) {
    return Status::FailedPrecondition("store server of part " + std::to_string(part()) +
                                      " already started on " + rpc_->endpoint());
  }
  net::ServerOptions so;
  so.num_workers = options_.num_threads;
  // rpc_ and endpoint_ are set before the worker threads start, so handlers may read them.
  rpc_ = std::make_unique<net::RpcServer>(
      [this](const net::Message& request) { return Handle(request); }, so);
  Status s = rpc_->Bind(endpoint);
  if (s.ok()) {
    endpoint_ = rpc_->endpoint();
    s = rpc_->Start();
  }
  if (!s.ok()) {
    rpc_.reset();
    endpoint_.clear();
    return s.WithContext("store server of part " + std::to_string(part()));
  }
  return Status::OK();
}

void StoreServer::Stop() {
  if (rpc_ != nullptr) rpc_->Stop();
}

core::Result<net::Message> StoreServer::Handle(const net::Message& request) {
  core::Result<net::Message> reply = Status::Internal("unhandled");
  if (request.type >= kFirstStoreType && request.type <= kLastStoreType) {
    requests_[request.type - kFirstStoreType].fetch_add(1, std::memory_order_relaxed);
  }
  switch (request.type) {
    case kGetFeatures:
      reply = HandleFeatures(request);
      break;
    case kGetLabels:
      reply = HandleLabels(request);
      break;
    case kGetMasks:
      reply = HandleMasks(request);
      break;
    case kGetNeighbors:
    case kSampleNeighbors:
      reply = HandleNeighbors(request);
      break;
    case kStats: {
      Status s = request.ExpectArrays(0);
      reply = s.ok() ? core::Result<net::Message>(MakeStatsReply(StatsJson()))
                     : core::Result<net::Message>(s.WithContext("Stats request"));
      break;
    }
    default:
      unknown_requests_.fetch_add(1, std::memory_order_relaxed);
      reply = Status::Unimplemented("part " + std::to_string(part()) +
                                    " store: unknown request type " + std::to_string(request.type) +
                                    " (the store answers types " + std::to_string(kFirstStoreType) +
                                    ".." + std::to_string(kLastStoreType) + " and ping)");
  }
  if (!reply.ok()) errors_.fetch_add(1, std::memory_order_relaxed);
  return reply;
}

Status StoreServer::CheckOwned(uint16_t type, net::ArrayView<int64_t> ids) const {
  const core::NodeId begin = graph_->node_begin(), end = graph_->node_end();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < begin || ids[i] >= end) {
      return Status::OutOfRange(std::string(StoreMessageName(type)) + ": global ID " +
                                std::to_string(ids[i]) + " (position " + std::to_string(i) +
                                ") is not owned by part " + std::to_string(part()) +
                                ", which owns " + Range(begin, end));
    }
  }
  return Status::OK();
}

Status StoreServer::CheckReplyBytes(uint16_t type, size_t n, int64_t bytes_per_id) const {
  if (bytes_per_id <= 0 || n == 0) return Status::OK();
  if (static_cast<int64_t>(n) > options_.max_reply_bytes / bytes_per_id) {
    return Status::InvalidArgument(
        std::string(StoreMessageName(type)) + ": " + std::to_string(n) + " ids x " +
        std::to_string(bytes_per_id) + " bytes would exceed the reply limit of " +
        std::to_string(options_.max_reply_bytes) + " bytes; split the request");
  }
  return Status::OK();
}

core::Result<net::Message> StoreServer::HandleFeatures(const net::Message& request) {
  HALO_ASSIGN_OR_RETURN(net::ArrayView<int64_t> ids, ParseIdsRequest(request));
  HALO_RETURN_IF_ERROR(CheckOwned(request.type, ids));
  if (!features_->has_features()) {
    return Status::FailedPrecondition("part " + std::to_string(part()) + " has no features");
  }
  const int64_t dim = features_->feature_dim();
  HALO_RETURN_IF_ERROR(CheckReplyBytes(request.type, ids.size(), dim * 4));
  const size_t count = ids.size() * static_cast<size_t>(dim);
  // Uninitialized: every float is written by GetFeatures (a vector would zero 4 bytes per float).
  std::shared_ptr<float> rows(new float[std::max<size_t>(count, 1)],
                              std::default_delete<float[]>());
  HALO_RETURN_IF_ERROR(features_->GetFeatures(ids.data(), ids.size(), rows.get()));
  ids_served_.fetch_add(static_cast<int64_t>(ids.size()), std::memory_order_relaxed);
  const float* data = rows.get();
  return net::Message(kGetFeatures,
                      {net::Array::Adopt(net::DType::kF32, count, data, std::move(rows)),
                       net::Array::FromVector(std::vector<int64_t>{dim})});
}

core::Result<net::Message> StoreServer::HandleLabels(const net::Message& request) {
  HALO_ASSIGN_OR_RETURN(net::ArrayView<int64_t> ids, ParseIdsRequest(request));
  HALO_RETURN_IF_ERROR(CheckOwned(request.type, ids));
  HALO_RETURN_IF_ERROR(CheckReplyBytes(request.type, ids.size(), 8));
  if (!features_->has_labels()) {
    return Status::FailedPrecondition("part " + std::to_string(part()) + " has no labels");
  }
  std::vector<int64_t> labels(ids.size());
  HALO_RETURN_IF_ERROR(features_->GetLabels(ids.data(), ids.size(), labels.data()));
  ids_served_.fetch_add(static_cast<int64_t>(ids.size()), std::memory_order_relaxed);
  return MakeLabelsReply(std::move(labels));
}

core::Result<net::Message> StoreServer::HandleMasks(const net::Message& request) {
  HALO_ASSIGN_OR_RETURN(net::ArrayView<int64_t> ids, ParseIdsRequest(request));
  HALO_RETURN_IF_ERROR(CheckOwned(request.type, ids));
  HALO_RETURN_IF_ERROR(CheckReplyBytes(request.type, ids.size(), kMaskColumns));
  if (!features_->has_masks()) {
    return Status::FailedPrecondition("part " + std::to_string(part()) + " has no masks");
  }
  std::vector<uint8_t> masks(ids.size() * kMaskColumns);
  HALO_RETURN_IF_ERROR(features_->GetMasks(ids.data(), ids.size(), masks.data()));
  ids_served_.fetch_add(static_cast<int64_t>(ids.size()), std::memory_order_relaxed);
  return MakeMasksReply(std::move(masks));
}

core::Result<net::Message> StoreServer::HandleNeighbors(const net::Message& request) {
  HALO_ASSIGN_OR_RETURN(net::ArrayView<int64_t> ids, ParseIdsRequest(request));
  SampleParams params;  // GetNeighbors: every neighbor
  if (request.type == kSampleNeighbors) {
    HALO_ASSIGN_OR_RETURN(params, ParseSampleParams(request));
  }
  HALO_RETURN_IF_ERROR(CheckOwned(request.type, ids));
  // The reply's exact size, before anything is allocated.
  const core::Csr& csr = graph_->in_csr();
  const core::NodeId begin = graph_->node_begin();
  int64_t total = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t d = csr.degree(ids[i] - begin);
    if (params.fanout < 0) {
      total += d;
    } else if (params.replace) {
      total += d > 0 ? params.fanout : 0;
    } else {
      total += std::min<int64_t>(d, params.fanout);
    }
    if (total > options_.max_reply_bytes / 8) break;  // refused below; no overflow
  }
  if (total + 1 + static_cast<int64_t>(ids.size()) > options_.max_reply_bytes / 8) {
    return Status::InvalidArgument(std::string(StoreMessageName(request.type)) + ": the reply to " +
                                   std::to_string(ids.size()) + " ids would hold " +
                                   (total > options_.max_reply_bytes / 8 ? "over " : "") +
                                   std::to_string(total) + " neighbors, above the reply limit of " +
                                   std::to_string(options_.max_reply_bytes) +
                                   " bytes; split the request");
  }
  SampledNeighbors out;
  HALO_RETURN_IF_ERROR(graph_->SampleInNeighbors(ids.data(), ids.size(), params.fanout,
                                                 params.replace, params.seed, &out));
  ids_served_.fetch_add(static_cast<int64_t>(ids.size()), std::memory_order_relaxed);
  return MakeNeighborsReply(request.type, std::move(out));
}

std::string StoreServer::StatsJson() const {
  const FeatureStoreStats fs = features_->Stats();
  nlohmann::json requests;
  int64_t total = unknown_requests_.load(std::memory_order_relaxed);
  for (uint16_t t = kFirstStoreType; t <= kLastStoreType; ++t) {
    const int64_t c = requests_[t - kFirstStoreType].load(std::memory_order_relaxed);
    requests[StoreMessageName(t)] = c;
    total += c;
  }
  requests["unknown"] = unknown_requests_.load(std::memory_order_relaxed);
  requests["total"] = total;
  requests["errors"] = errors_.load(std::memory_order_relaxed);
  nlohmann::json j;
  j["part"] = part();
  j["endpoint"] = endpoint();
  j["node_begin"] = graph_->node_begin();
  j["node_end"] = graph_->node_end();
  j["num_rows"] = features_->num_rows();
  j["feature_dim"] = features_->feature_dim();
  j["num_halo"] = graph_->num_halo();
  j["num_local_edges"] = graph_->num_local_edges();
  j["requests"] = requests;
  j["ids_served"] = ids_served_.load(std::memory_order_relaxed);
  j["hits"] = fs.hits;
  j["misses"] = fs.misses;
  j["hot_rows"] = fs.hot_rows;
  j["hot_bytes"] = fs.hot_bytes;
  j["all_hot"] = features_->all_hot();
  j["rocksdb_keys"] = fs.rocksdb_keys;
  j["multiget_calls"] = fs.multiget_calls;
  j["mem_budget_mb"] = options_.mem_budget_mb;
  j["uptime_s"] = static_cast<double>(NowNs() - start_ns_) * 1e-9;
  return j.dump();
}

}  // namespace halo::storage
