// The store protocol: the messages a part's store server (halo-store, StoreServer) answers and
// StoreClient sends, carried by net/ (docs/net-protocol.md). Layouts (docs/halo-store.md):
//
//   type                    request arrays                  reply arrays
//   16 GetFeatures          [ids i64 n]                     [rows f32 n*dim, dim i64 1]
//   17 GetLabels            [ids i64 n]                     [labels i64 n]           (-1 unlabeled)
//   18 GetMasks             [ids i64 n]                     [masks u8 3n]      (train, val, test)
//   19 GetNeighbors         [ids i64 n]                     [offsets i64 n+1, neighbors i64 m]
//   20 SampleNeighbors      [ids i64 n, params i64 3]       [offsets i64 n+1, neighbors i64 m]
//   21 Stats                (none)                          [json bytes]
//   1  kPing (net's own)    (none)                          (none)
//
// IDs are global node IDs owned by the part the request goes to; rows come back in request order,
// duplicates allowed. Neighbors are CSR-style: the in-neighbors (global IDs) of ids[i] are
// neighbors[offsets[i] .. offsets[i+1]). SampleNeighbors params are {fanout, replace (0/1),
// seed (the uint64's bits)}, with GraphStore::SampleInNeighbors' semantics: fanout < 0 takes every
// neighbor, and a node's sample depends only on (seed, node ID).
//
// The functions here build requests and replies and check them on receipt: a request from the
// network is checked completely (array count, dtypes, sizes, parameter ranges) and a bad one is
// InvalidArgument naming the message type and what is wrong; a reply that does not fit the
// request is Corruption. Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "net/message.h"
#include "storage/graph_store.h"

namespace halo::storage {

constexpr uint16_t kGetFeatures = net::kFirstUserType;  // 16
constexpr uint16_t kGetLabels = net::kFirstUserType + 1;
constexpr uint16_t kGetMasks = net::kFirstUserType + 2;
constexpr uint16_t kGetNeighbors = net::kFirstUserType + 3;
constexpr uint16_t kSampleNeighbors = net::kFirstUserType + 4;
constexpr uint16_t kStats = net::kFirstUserType + 5;  // 21
constexpr uint16_t kFirstStoreType = kGetFeatures;
constexpr uint16_t kLastStoreType = kStats;

constexpr int kMaskColumns = 3;  // train, val, test

// "GetFeatures", ..., "Stats", "Ping", or "unknown".
const char* StoreMessageName(uint16_t type);

struct SampleParams {
  int32_t fanout = -1;  // < 0: every neighbor
  bool replace = false;
  uint64_t seed = 0;
};

// Requests (ids are moved in, not copied).
net::Message MakeIdsRequest(uint16_t type, std::vector<int64_t> ids);  // GetFeatures..GetNeighbors
net::Message MakeSampleRequest(std::vector<int64_t> ids, const SampleParams& params);
net::Message MakeStatsRequest();

// The ids of a GetFeatures/GetLabels/GetMasks/GetNeighbors request (exactly one i64 array) or of
// a SampleNeighbors request (an i64 array, then params). InvalidArgument otherwise.
core::Result<net::ArrayView<int64_t>> ParseIdsRequest(const net::Message& request);
// The params of a SampleNeighbors request: 3 i64 values, fanout within int32, replace 0 or 1.
core::Result<SampleParams> ParseSampleParams(const net::Message& request);

// Replies (built by the server).
net::Message MakeFeaturesReply(std::vector<float> rows, int64_t dim);
net::Message MakeLabelsReply(std::vector<int64_t> labels);
net::Message MakeMasksReply(std::vector<uint8_t> masks);
net::Message MakeNeighborsReply(uint16_t type, SampledNeighbors neighbors);
net::Message MakeStatsReply(std::string json);

// Reply checks (client side): the reply to a request of `n` ids has the expected arrays, dtypes
// and sizes; Corruption naming the mismatch otherwise.
core::Result<net::ArrayView<float>> ParseFeaturesReply(const net::Message& reply, size_t n,
                                                       int64_t expected_dim);
core::Result<net::ArrayView<int64_t>> ParseLabelsReply(const net::Message& reply, size_t n);
core::Result<net::ArrayView<uint8_t>> ParseMasksReply(const net::Message& reply, size_t n);
struct NeighborsView {
  net::ArrayView<int64_t> offsets;    // n + 1 entries, offsets[0] == 0, non-decreasing
  net::ArrayView<int64_t> neighbors;  // offsets[n] entries
};
core::Result<NeighborsView> ParseNeighborsReply(const net::Message& reply, size_t n);
core::Result<std::string> ParseStatsReply(const net::Message& reply);

}  // namespace halo::storage
