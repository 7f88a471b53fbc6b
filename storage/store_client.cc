#include "storage/store_client.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "storage/store_protocol.h"

namespace halo::storage {

namespace {

using core::Status;

}  // namespace

core::Result<std::unique_ptr<StoreClient>> StoreClient::Create(
    const core::PartitionMeta& meta, const std::vector<std::string>& endpoints,
    const StoreClientOptions& options, const std::vector<LocalPartStores>& local) {
  return Create(core::PartitionBook::FromMeta(meta), meta.feature_dim, endpoints, options, local);
}

core::Result<std::unique_ptr<StoreClient>> StoreClient::Create(
    core::PartitionBook book, int64_t feature_dim, const std::vector<std::string>& endpoints,
    const StoreClientOptions& options, const std::vector<LocalPartStores>& local) {
  const int32_t num_parts = book.num_parts();
  if (num_parts < 1) return Status::InvalidArgument("store client: the partition has no parts");
  if (static_cast<int64_t>(endpoints.size()) != num_parts) {
    return Status::InvalidArgument("store client: " + std::to_string(endpoints.size()) +
                                   " endpoints for " + std::to_string(num_parts) +
                                   " parts (one per part, in part order)");
  }
  if (options.deadline.count() <= 0 || options.max_attempts < 1 ||
      options.max_requests_per_part < 1) {
    return Status::InvalidArgument(
        "store client: deadline must be > 0 ms, max_attempts and max_requests_per_part >= 1");
  }
  std::unique_ptr<StoreClient> client(new StoreClient(std::move(book), feature_dim, options));
  std::vector<Part>& parts = client->parts_;
  parts.resize(static_cast<size_t>(num_parts));
  const core::PartitionBook& b = client->book_;
  for (const LocalPartStores& l : local) {
    const std::string name = "store client: local part " + std::to_string(l.part);
    if (l.part < 0 || l.part >= num_parts) {
      return Status::InvalidArgument(name + " out of range (" + std::to_string(num_parts) +
                                     " parts)");
    }
    Part& part = parts[static_cast<size_t>(l.part)];
    if (part.features != nullptr) return Status::InvalidArgument(name + " given twice");
    if (l.features == nullptr) return Status::InvalidArgument(name + " has no FeatureStore");
    if (l.features->node_begin() != b.Begin(l.part) || l.features->node_end() != b.End(l.part)) {
      return Status::InvalidArgument(
          name + ": its FeatureStore holds [" + std::to_string(l.features->node_begin()) + ", " +
          std::to_string(l.features->node_end()) + "), the partition says [" +
          std::to_string(b.Begin(l.part)) + ", " + std::to_string(b.End(l.part)) + ")");
    }
    if (l.features->has_features() && l.features->feature_dim() != feature_dim) {
      return Status::InvalidArgument(name + ": its FeatureStore has feature dim " +
                                     std::to_string(l.features->feature_dim()) +
                                     ", the partition says " + std::to_string(feature_dim));
    }
    if (l.graph != nullptr &&
        (l.graph->node_begin() != b.Begin(l.part) || l.graph->node_end() != b.End(l.part))) {
      return Status::InvalidArgument(name + ": its GraphStore holds [" +
                                     std::to_string(l.graph->node_begin()) + ", " +
                                     std::to_string(l.graph->node_end()) + ")");
    }
    part.features = l.features;
    part.graph = l.graph;
  }
  for (int32_t p = 0; p < num_parts; ++p) {
    Part& part = parts[static_cast<size_t>(p)];
    part.endpoint = endpoints[static_cast<size_t>(p)];
    if (part.features != nullptr) continue;  // served in-process
    if (part.endpoint.empty()) {
      return Status::InvalidArgument("store client: no endpoint for part " + std::to_string(p));
    }
    auto rpc = net::RpcClient::Connect(part.endpoint, options.net);
    if (!rpc.ok()) {
      return rpc.status().WithContext("store client: part " + std::to_string(p));
    }
    part.rpc = std::move(rpc).value();
  }
  return client;
}

StoreClient::StoreClient(core::PartitionBook book, int64_t feature_dim, StoreClientOptions options)
    : book_(std::move(book)), feature_dim_(feature_dim), options_(options) {}

StoreClient::~StoreClient() = default;

Status StoreClient::PartError(core::PartId p, uint16_t type, const Status& s) const {
  const Part& part = parts_[static_cast<size_t>(p)];
  const std::string where = "part " + std::to_string(p) + " (" +
                            (part.local() ? std::string("in-process") : part.endpoint) + "): ";
  return Status(s.code(), where + StoreMessageName(type) + ": " + s.message());
}

core::Result<StoreClient::Routing> StoreClient::Route(uint16_t type, const int64_t* ids,
                                                      size_t n) const {
  const size_t num_parts = parts_.size();
  Routing r;
  if (n > UINT32_MAX) {
    return Status::InvalidArgument(std::string(StoreMessageName(type)) + ": " + std::to_string(n) +
                                   " ids in one call (at most 2^32 - 1)");
  }
  r.unique.resize(num_parts);
  r.counts.assign(num_parts, 0);
  r.part_of.resize(n);
  r.slot_of.resize(n);
  // Owners first, so that a bad ID fails before any request is built.
  for (size_t i = 0; i < n; ++i) {
    const core::PartId p =
        num_parts == 1 ? (ids[i] >= 0 && ids[i] < book_.num_nodes() ? 0 : -1) : book_.Owner(ids[i]);
    if (p < 0) {
      return Status::OutOfRange(std::string(StoreMessageName(type)) + ": global ID " +
                                std::to_string(ids[i]) + " (position " + std::to_string(i) +
                                ") is out of range [0, " + std::to_string(book_.num_nodes()) + ")");
    }
    r.part_of[i] = p;
  }
  // De-duplication through an open-addressing table (IDs are >= 0 here, -1 marks a free cell):
  // each distinct ID gets the next slot of its part, in first-occurrence order. Linear in n; a
  // sort would cost n log n for an order the stores do not need (FeatureStore sorts its RocksDB
  // reads itself).
  int bits = 4;
  while ((size_t{1} << bits) < 2 * n) ++bits;
  const size_t mask = (size_t{1} << bits) - 1;
  std::vector<int64_t> keys(mask + 1, -1);
  std::vector<uint32_t> slots(mask + 1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t id = ids[i];
    size_t h =
        static_cast<size_t>((static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ULL) >> (64 - bits));
    while (keys[h] != -1 && keys[h] != id) h = (h + 1) & mask;
    if (keys[h] == -1) {
      std::vector<int64_t>& u = r.unique[static_cast<size_t>(r.part_of[i])];
      keys[h] = id;
      slots[h] = static_cast<uint32_t>(u.size());
      u.push_back(id);
    }
    r.slot_of[i] = slots[h];
  }
  for (size_t p = 0; p < num_parts; ++p) r.counts[p] = r.unique[p].size();
  return r;
}

core::Result<net::Message> StoreClient::AnswerLocally(core::PartId p, uint16_t type,
                                                      const std::vector<int64_t>& ids,
                                                      const SampleParams* params) const {
  const Part& part = parts_[static_cast<size_t>(p)];
  const size_t n = ids.size();
  switch (type) {
    case kGetFeatures: {
      if (!part.features->has_features()) {
        return Status::FailedPrecondition("part " + std::to_string(p) + " has no features");
      }
      std::vector<float> rows(n * static_cast<size_t>(part.features->feature_dim()));
      HALO_RETURN_IF_ERROR(part.features->GetFeatures(ids.data(), n, rows.data()));
      return MakeFeaturesReply(std::move(rows), part.features->feature_dim());
    }
    case kGetLabels: {
      if (!part.features->has_labels()) {
        return Status::FailedPrecondition("part " + std::to_string(p) + " has no labels");
      }
      std::vector<int64_t> labels(n);
      HALO_RETURN_IF_ERROR(part.features->GetLabels(ids.data(), n, labels.data()));
      return MakeLabelsReply(std::move(labels));
    }
    case kGetMasks: {
      if (!part.features->has_masks()) {
        return Status::FailedPrecondition("part " + std::to_string(p) + " has no masks");
      }
      std::vector<uint8_t> masks(n * kMaskColumns);
      HALO_RETURN_IF_ERROR(part.features->GetMasks(ids.data(), n, masks.data()));
      return MakeMasksReply(std::move(masks));
    }
    case kGetNeighbors:
    case kSampleNeighbors: {
      if (part.graph == nullptr) {
        return Status::FailedPrecondition("part " + std::to_string(p) +
                                          " is served in-process without a GraphStore");
      }
      SampleParams all;  // fanout -1: every neighbor
      const SampleParams& sp = params != nullptr ? *params : all;
      SampledNeighbors out;
      HALO_RETURN_IF_ERROR(
          part.graph->SampleInNeighbors(ids.data(), n, sp.fanout, sp.replace, sp.seed, &out));
      return MakeNeighborsReply(type, std::move(out));
    }
    default:
      return Status::Internal("no local answer for request type " + std::to_string(type));
  }
}

core::Result<std::vector<StoreClient::Fetched>> StoreClient::Fetch(
    uint16_t type, Routing* routing, const SampleParams* params) const {
  const size_t num_parts = parts_.size();
  std::vector<Fetched> fetched(num_parts);
  std::vector<net::PendingCall> calls;
  std::vector<std::pair<size_t, size_t>> call_slots;  // (part, chunk) of each call
  // IDs per request: about target_reply_bytes of reply each.
  size_t bytes_per_id = 8 * 16;  // GetNeighbors: a guess at the mean in-degree
  if (type == kGetFeatures)
    bytes_per_id = static_cast<size_t>(std::max<int64_t>(1, 4 * feature_dim_));
  if (type == kGetLabels) bytes_per_id = 8;
  if (type == kGetMasks) bytes_per_id = kMaskColumns;
  if (type == kSampleNeighbors) {
    bytes_per_id = 8 * static_cast<size_t>(params->fanout >= 0 ? std::max(1, params->fanout) : 16);
  }
  const size_t max_ids = std::max<size_t>(64, options_.target_reply_bytes / bytes_per_id);
  for (size_t p = 0; p < num_parts; ++p) {
    const size_t count = routing->counts[p];
    if (count == 0) continue;
    Fetched& f = fetched[p];
    if (parts_[p].local()) {
      f.chunk_size = count;
      f.chunks.resize(1);
      continue;
    }
    // Equal chunks of at most max_ids IDs, all sent now: the store answers one while the
    // client is still receiving another.
    const size_t num_chunks = std::min<size_t>((count + max_ids - 1) / max_ids,
                                               static_cast<size_t>(options_.max_requests_per_part));
    f.chunk_size = (count + num_chunks - 1) / num_chunks;
    f.chunks.resize(num_chunks);
    std::vector<int64_t>& ids = routing->unique[p];
    for (size_t c = 0; c < num_chunks; ++c) {
      const size_t begin = c * f.chunk_size, end = std::min(count, begin + f.chunk_size);
      std::vector<int64_t> chunk;
      if (num_chunks == 1) {
        chunk = std::move(ids);  // the common case: no copy
      } else {
        chunk.assign(ids.begin() + static_cast<std::ptrdiff_t>(begin),
                     ids.begin() + static_cast<std::ptrdiff_t>(end));
      }
      net::Message request = type == kSampleNeighbors ? MakeSampleRequest(std::move(chunk), *params)
                                                      : MakeIdsRequest(type, std::move(chunk));
      calls.push_back(
          parts_[p].rpc->CallAsync(std::move(request), options_.deadline, options_.max_attempts));
      call_slots.emplace_back(p, c);
    }
  }
  // Failures by part; the lowest part's is returned.
  std::vector<Status> errors(num_parts);
  for (size_t p = 0; p < num_parts; ++p) {
    if (routing->counts[p] == 0 || !parts_[p].local()) continue;
    auto reply = AnswerLocally(static_cast<core::PartId>(p), type, routing->unique[p], params);
    if (reply.ok()) {
      fetched[p].chunks[0] = std::move(reply).value();
    } else {
      errors[p] = reply.status();
    }
  }
  std::vector<core::Result<net::Message>> results = net::WaitAll(calls);
  for (size_t k = 0; k < results.size(); ++k) {
    const auto [p, c] = call_slots[k];
    if (results[k].ok()) {
      fetched[p].chunks[c] = std::move(results[k]).value();
    } else if (errors[p].ok()) {
      errors[p] = results[k].status();
    }
  }
  int failed = 0;
  size_t first = 0;
  for (size_t p = num_parts; p-- > 0;) {
    if (!errors[p].ok()) {
      ++failed;
      first = p;
    }
  }
  if (failed > 0) {
    Status s = PartError(static_cast<core::PartId>(first), type, errors[first]);
    if (failed > 1) {
      s = Status(s.code(),
                 s.message() + " (and " + std::to_string(failed - 1) + " more part(s) failed)");
    }
    return s;
  }
  return fetched;
}

template <typename View, typename Parse>
core::Result<std::vector<std::vector<View>>> StoreClient::ParseAll(
    uint16_t type, const Routing& routing, const std::vector<Fetched>& fetched, Parse parse) const {
  std::vector<std::vector<View>> views(fetched.size());
  for (size_t p = 0; p < fetched.size(); ++p) {
    const Fetched& f = fetched[p];
    for (size_t c = 0; c < f.chunks.size(); ++c) {
      const size_t count = std::min(f.chunk_size, routing.counts[p] - c * f.chunk_size);
      core::Result<View> v = parse(f.chunks[c], count);
      if (!v.ok()) return PartError(static_cast<core::PartId>(p), type, v.status());
      views[p].push_back(v.value());
    }
  }
  return views;
}

Status StoreClient::GetFeatures(const int64_t* ids, size_t n, float* out) const {
  HALO_ASSIGN_OR_RETURN(Routing r, Route(kGetFeatures, ids, n));
  if (n == 0) return Status::OK();
  HALO_ASSIGN_OR_RETURN(std::vector<Fetched> fetched, Fetch(kGetFeatures, &r, nullptr));
  const int64_t dim = feature_dim_;
  HALO_ASSIGN_OR_RETURN(std::vector<std::vector<net::ArrayView<float>>> rows,
                        ParseAll<net::ArrayView<float>>(kGetFeatures, r, fetched,
                                                        [dim](const net::Message& m, size_t count) {
                                                          return ParseFeaturesReply(m, count, dim);
                                                        }));
  const size_t d = static_cast<size_t>(dim);
  for (size_t i = 0; i < n; ++i) {
    const size_t p = static_cast<size_t>(r.part_of[i]), s = r.slot_of[i];
    const size_t c = fetched[p].chunk_size;
    std::memcpy(out + i * d, rows[p][s / c].data() + (s % c) * d, d * sizeof(float));
  }
  return Status::OK();
}

core::Result<std::vector<float>> StoreClient::GetFeatures(const std::vector<int64_t>& ids) const {
  std::vector<float> out(ids.size() * static_cast<size_t>(feature_dim_));
  HALO_RETURN_IF_ERROR(GetFeatures(ids.data(), ids.size(), out.data()));
  return out;
}

Status StoreClient::GetLabels(const int64_t* ids, size_t n, int64_t* out) const {
  HALO_ASSIGN_OR_RETURN(Routing r, Route(kGetLabels, ids, n));
  if (n == 0) return Status::OK();
  HALO_ASSIGN_OR_RETURN(std::vector<Fetched> fetched, Fetch(kGetLabels, &r, nullptr));
  HALO_ASSIGN_OR_RETURN(
      std::vector<std::vector<net::ArrayView<int64_t>>> labels,
      ParseAll<net::ArrayView<int64_t>>(kGetLabels, r, fetched, ParseLabelsReply));
  for (size_t i = 0; i < n; ++i) {
    const size_t p = static_cast<size_t>(r.part_of[i]), s = r.slot_of[i];
    const size_t c = fetched[p].chunk_size;
    out[i] = labels[p][s / c][s % c];
  }
  return Status::OK();
}

core::Result<std::vector<int64_t>> StoreClient::GetLabels(const std::vector<int64_t>& ids) const {
  std::vector<int64_t> out(ids.size());
  HALO_RETURN_IF_ERROR(GetLabels(ids.data(), ids.size(), out.data()));
  return out;
}

Status StoreClient::GetMasks(const int64_t* ids, size_t n, uint8_t* out) const {
  HALO_ASSIGN_OR_RETURN(Routing r, Route(kGetMasks, ids, n));
  if (n == 0) return Status::OK();
  HALO_ASSIGN_OR_RETURN(std::vector<Fetched> fetched, Fetch(kGetMasks, &r, nullptr));
  HALO_ASSIGN_OR_RETURN(std::vector<std::vector<net::ArrayView<uint8_t>>> masks,
                        ParseAll<net::ArrayView<uint8_t>>(kGetMasks, r, fetched, ParseMasksReply));
  for (size_t i = 0; i < n; ++i) {
    const size_t p = static_cast<size_t>(r.part_of[i]), s = r.slot_of[i];
    const size_t c = fetched[p].chunk_size;
    std::memcpy(out + i * kMaskColumns, masks[p][s / c].data() + (s % c) * kMaskColumns,
                kMaskColumns);
  }
  return Status::OK();
}

core::Result<std::vector<uint8_t>> StoreClient::GetMasks(const std::vector<int64_t>& ids) const {
  std::vector<uint8_t> out(ids.size() * kMaskColumns);
  HALO_RETURN_IF_ERROR(GetMasks(ids.data(), ids.size(), out.data()));
  return out;
}

core::Result<SampledNeighbors> StoreClient::Neighbors(uint16_t type,
                                                      const std::vector<int64_t>& ids,
                                                      const SampleParams* params) const {
  const size_t n = ids.size();
  HALO_ASSIGN_OR_RETURN(Routing r, Route(type, ids.data(), n));
  SampledNeighbors out;
  out.offsets.assign(n + 1, 0);
  if (n == 0) return out;
  HALO_ASSIGN_OR_RETURN(std::vector<Fetched> fetched, Fetch(type, &r, params));
  HALO_ASSIGN_OR_RETURN(std::vector<std::vector<NeighborsView>> views,
                        ParseAll<NeighborsView>(type, r, fetched, ParseNeighborsReply));
  auto view_of = [&](size_t i, size_t* index) -> const NeighborsView& {
    const size_t p = static_cast<size_t>(r.part_of[i]), s = r.slot_of[i];
    const size_t c = fetched[p].chunk_size;
    *index = s % c;
    return views[p][s / c];
  };
  for (size_t i = 0; i < n; ++i) {
    size_t k;
    const NeighborsView& v = view_of(i, &k);
    out.offsets[i + 1] = out.offsets[i] + (v.offsets[k + 1] - v.offsets[k]);
  }
  out.neighbors.resize(static_cast<size_t>(out.offsets[n]));
  for (size_t i = 0; i < n; ++i) {
    size_t k;
    const NeighborsView& v = view_of(i, &k);
    std::copy(v.neighbors.data() + v.offsets[k], v.neighbors.data() + v.offsets[k + 1],
              out.neighbors.begin() + out.offsets[i]);
  }
  return out;
}

core::Result<SampledNeighbors> StoreClient::GetNeighbors(const std::vector<int64_t>& ids) const {
  return Neighbors(kGetNeighbors, ids, nullptr);
}

core::Result<SampledNeighbors> StoreClient::SampleNeighbors(const std::vector<int64_t>& ids,
                                                            int fanout, bool replace,
                                                            uint64_t seed) const {
  SampleParams params;
  params.fanout = fanout;
  params.replace = replace;
  params.seed = seed;
  return Neighbors(kSampleNeighbors, ids, &params);
}

core::Result<std::string> StoreClient::Stats(core::PartId p) const {
  if (p < 0 || p >= num_parts()) {
    return Status::InvalidArgument("Stats: part " + std::to_string(p) + " out of range (" +
                                   std::to_string(num_parts()) + " parts)");
  }
  const Part& part = parts_[static_cast<size_t>(p)];
  if (part.local()) {
    return PartError(p, kStats,
                     Status::FailedPrecondition("served in-process: read FeatureStore::Stats()"));
  }
  auto reply = part.rpc->Call(MakeStatsRequest(), options_.deadline, options_.max_attempts);
  if (!reply.ok()) return PartError(p, kStats, reply.status());
  auto json = ParseStatsReply(reply.value());
  if (!json.ok()) return PartError(p, kStats, json.status());
  return json;
}

Status StoreClient::Ping(core::PartId p) const {
  if (p < 0 || p >= num_parts()) {
    return Status::InvalidArgument("Ping: part " + std::to_string(p) + " out of range (" +
                                   std::to_string(num_parts()) + " parts)");
  }
  const Part& part = parts_[static_cast<size_t>(p)];
  if (part.local()) return Status::OK();
  Status s = part.rpc->Ping(options_.deadline);
  return s.ok() ? s : PartError(p, net::kPing, s);
}

}  // namespace halo::storage
