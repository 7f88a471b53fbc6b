#include "storage/store_protocol.h"

#include <limits>
#include <utility>

namespace halo::storage {

namespace {

using core::Status;

std::string Name(uint16_t type) {
  return std::string(StoreMessageName(type)) + " (type " + std::to_string(type) + ")";
}

// Array `index` of `m` has dtype `dtype`; `what` names the array in the error.
Status CheckDType(const net::Message& m, const char* side, size_t index, const char* what,
                  net::DType dtype, core::StatusCode code) {
  const net::Array& a = m.arrays[index];
  if (a.dtype() == dtype) return Status::OK();
  return Status(code, Name(m.type) + " " + side + ": array " + std::to_string(index) + " (" + what +
                          ") is " + net::DTypeName(a.dtype()) + ", expected " +
                          net::DTypeName(dtype));
}

Status CheckCount(const net::Message& m, const char* side, size_t expected, core::StatusCode code) {
  if (m.arrays.size() == expected) return Status::OK();
  return Status(code, Name(m.type) + " " + side + " has " + std::to_string(m.arrays.size()) +
                          " arrays, expected " + std::to_string(expected));
}

Status CheckReplyType(const net::Message& reply, uint16_t type) {
  if (reply.type == type) return Status::OK();
  return Status::Corruption("reply of type " + std::to_string(reply.type) + " to a " + Name(type) +
                            " request");
}

constexpr auto kBad = core::StatusCode::kInvalidArgument;
constexpr auto kCorrupt = core::StatusCode::kCorruption;

}  // namespace

const char* StoreMessageName(uint16_t type) {
  switch (type) {
    case kGetFeatures:
      return "GetFeatures";
    case kGetLabels:
      return "GetLabels";
    case kGetMasks:
      return "GetMasks";
    case kGetNeighbors:
      return "GetNeighbors";
    case kSampleNeighbors:
      return "SampleNeighbors";
    case kStats:
      return "Stats";
    case net::kPing:
      return "Ping";
    default:
      return "unknown";
  }
}

net::Message MakeIdsRequest(uint16_t type, std::vector<int64_t> ids) {
  return net::Message(type, {net::Array::FromVector(std::move(ids))});
}

net::Message MakeSampleRequest(std::vector<int64_t> ids, const SampleParams& params) {
  std::vector<int64_t> p{params.fanout, params.replace ? 1 : 0, static_cast<int64_t>(params.seed)};
  return net::Message(kSampleNeighbors,
                      {net::Array::FromVector(std::move(ids)), net::Array::FromVector(p)});
}

net::Message MakeStatsRequest() { return net::Message(kStats); }

core::Result<net::ArrayView<int64_t>> ParseIdsRequest(const net::Message& request) {
  const size_t expected = request.type == kSampleNeighbors ? 2 : 1;
  HALO_RETURN_IF_ERROR(CheckCount(request, "request", expected, kBad));
  HALO_RETURN_IF_ERROR(CheckDType(request, "request", 0, "ids", net::DType::kI64, kBad));
  return request.arrays[0].view<int64_t>();
}

core::Result<SampleParams> ParseSampleParams(const net::Message& request) {
  HALO_RETURN_IF_ERROR(CheckCount(request, "request", 2, kBad));
  HALO_RETURN_IF_ERROR(CheckDType(request, "request", 1, "params", net::DType::kI64, kBad));
  const net::ArrayView<int64_t> p = request.arrays[1].view<int64_t>();
  if (p.size() != 3) {
    return Status::InvalidArgument(Name(request.type) + " request: params has " +
                                   std::to_string(p.size()) +
                                   " values, expected 3 (fanout, replace, seed)");
  }
  if (p[0] < std::numeric_limits<int32_t>::min() || p[0] > std::numeric_limits<int32_t>::max()) {
    return Status::InvalidArgument(Name(request.type) + " request: fanout " + std::to_string(p[0]) +
                                   " does not fit in int32");
  }
  if (p[1] != 0 && p[1] != 1) {
    return Status::InvalidArgument(Name(request.type) + " request: replace is " +
                                   std::to_string(p[1]) + ", expected 0 or 1");
  }
  SampleParams params;
  params.fanout = static_cast<int32_t>(p[0]);
  params.replace = p[1] == 1;
  params.seed = static_cast<uint64_t>(p[2]);
  return params;
}

net::Message MakeFeaturesReply(std::vector<float> rows, int64_t dim) {
  return net::Message(kGetFeatures, {net::Array::FromVector(std::move(rows)),
                                     net::Array::FromVector(std::vector<int64_t>{dim})});
}

net::Message MakeLabelsReply(std::vector<int64_t> labels) {
  return net::Message(kGetLabels, {net::Array::FromVector(std::move(labels))});
}

net::Message MakeMasksReply(std::vector<uint8_t> masks) {
  return net::Message(kGetMasks, {net::Array::FromVector(std::move(masks))});
}

net::Message MakeNeighborsReply(uint16_t type, SampledNeighbors neighbors) {
  return net::Message(type, {net::Array::FromVector(std::move(neighbors.offsets)),
                             net::Array::FromVector(std::move(neighbors.neighbors))});
}

net::Message MakeStatsReply(std::string json) {
  return net::Message(kStats, {net::Array::FromString(std::move(json))});
}

core::Result<net::ArrayView<float>> ParseFeaturesReply(const net::Message& reply, size_t n,
                                                       int64_t expected_dim) {
  HALO_RETURN_IF_ERROR(CheckReplyType(reply, kGetFeatures));
  HALO_RETURN_IF_ERROR(CheckCount(reply, "reply", 2, kCorrupt));
  HALO_RETURN_IF_ERROR(CheckDType(reply, "reply", 0, "rows", net::DType::kF32, kCorrupt));
  HALO_RETURN_IF_ERROR(CheckDType(reply, "reply", 1, "dim", net::DType::kI64, kCorrupt));
  const net::ArrayView<int64_t> dim = reply.arrays[1].view<int64_t>();
  if (dim.size() != 1 || dim[0] != expected_dim) {
    return Status::Corruption(
        "GetFeatures reply: feature dim " + (dim.size() == 1 ? std::to_string(dim[0]) : "missing") +
        ", expected " + std::to_string(expected_dim) + " (partition.json feature_dim)");
  }
  const net::ArrayView<float> rows = reply.arrays[0].view<float>();
  if (rows.size() != n * static_cast<size_t>(expected_dim)) {
    return Status::Corruption("GetFeatures reply: " + std::to_string(rows.size()) + " floats for " +
                              std::to_string(n) + " rows of dim " + std::to_string(expected_dim));
  }
  return rows;
}

core::Result<net::ArrayView<int64_t>> ParseLabelsReply(const net::Message& reply, size_t n) {
  HALO_RETURN_IF_ERROR(CheckReplyType(reply, kGetLabels));
  HALO_RETURN_IF_ERROR(CheckCount(reply, "reply", 1, kCorrupt));
  HALO_RETURN_IF_ERROR(CheckDType(reply, "reply", 0, "labels", net::DType::kI64, kCorrupt));
  const net::ArrayView<int64_t> labels = reply.arrays[0].view<int64_t>();
  if (labels.size() != n) {
    return Status::Corruption("GetLabels reply: " + std::to_string(labels.size()) + " labels for " +
                              std::to_string(n) + " ids");
  }
  return labels;
}

core::Result<net::ArrayView<uint8_t>> ParseMasksReply(const net::Message& reply, size_t n) {
  HALO_RETURN_IF_ERROR(CheckReplyType(reply, kGetMasks));
  HALO_RETURN_IF_ERROR(CheckCount(reply, "reply", 1, kCorrupt));
  HALO_RETURN_IF_ERROR(CheckDType(reply, "reply", 0, "masks", net::DType::kU8, kCorrupt));
  const net::ArrayView<uint8_t> masks = reply.arrays[0].view<uint8_t>();
  if (masks.size() != n * kMaskColumns) {
    return Status::Corruption("GetMasks reply: " + std::to_string(masks.size()) + " bytes for " +
                              std::to_string(n) + " ids (3 per id)");
  }
  return masks;
}

core::Result<NeighborsView> ParseNeighborsReply(const net::Message& reply, size_t n) {
  if (reply.type != kGetNeighbors && reply.type != kSampleNeighbors) {
    return Status::Corruption("reply of type " + std::to_string(reply.type) +
                              " to a neighbors request");
  }
  HALO_RETURN_IF_ERROR(CheckCount(reply, "reply", 2, kCorrupt));
  HALO_RETURN_IF_ERROR(CheckDType(reply, "reply", 0, "offsets", net::DType::kI64, kCorrupt));
  HALO_RETURN_IF_ERROR(CheckDType(reply, "reply", 1, "neighbors", net::DType::kI64, kCorrupt));
  NeighborsView v{reply.arrays[0].view<int64_t>(), reply.arrays[1].view<int64_t>()};
  if (v.offsets.size() != n + 1) {
    return Status::Corruption(Name(reply.type) + " reply: " + std::to_string(v.offsets.size()) +
                              " offsets for " + std::to_string(n) + " ids (expected n + 1)");
  }
  if (v.offsets[0] != 0) return Status::Corruption(Name(reply.type) + " reply: offsets[0] != 0");
  for (size_t i = 0; i < n; ++i) {
    if (v.offsets[i + 1] < v.offsets[i]) {
      return Status::Corruption(Name(reply.type) + " reply: offsets decrease at " +
                                std::to_string(i + 1));
    }
  }
  if (static_cast<uint64_t>(v.offsets[n]) != v.neighbors.size()) {
    return Status::Corruption(Name(reply.type) + " reply: offsets end at " +
                              std::to_string(v.offsets[n]) + " but " +
                              std::to_string(v.neighbors.size()) + " neighbors came");
  }
  return v;
}

core::Result<std::string> ParseStatsReply(const net::Message& reply) {
  HALO_RETURN_IF_ERROR(CheckReplyType(reply, kStats));
  HALO_RETURN_IF_ERROR(CheckCount(reply, "reply", 1, kCorrupt));
  HALO_RETURN_IF_ERROR(CheckDType(reply, "reply", 0, "json", net::DType::kBytes, kCorrupt));
  return std::string(reply.arrays[0].bytes());
}

}  // namespace halo::storage
