#include "partition/graph_data.h"

#include <cmath>

namespace halo::partition {

using core::Status;

namespace {

// "<what> has <got> entries, expected <want> (<why>)" unless `got` is 0 (absent) or `want`.
Status CheckOptionalSize(const std::string& source, const char* what, size_t got, int64_t want,
                         const char* why) {
  if (got == 0 || static_cast<int64_t>(got) == want) return Status::OK();
  return Status::InvalidArgument(source + ": " + what + " has " + std::to_string(got) +
                                 " entries, expected " + std::to_string(want) + " (" + why + ")");
}

Status CheckMask(const std::string& source, const char* what, const std::vector<uint8_t>& mask,
                 int64_t num_nodes) {
  HALO_RETURN_IF_ERROR(CheckOptionalSize(source, what, mask.size(), num_nodes, "one per node"));
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i] > 1) {
      return Status::InvalidArgument(source + ": " + what + "[" + std::to_string(i) +
                                     "] = " + std::to_string(mask[i]) + ", expected 0 or 1");
    }
  }
  return Status::OK();
}

}  // namespace

Status GraphData::Validate(const std::string& source) const {
  if (num_nodes < 0) {
    return Status::InvalidArgument(source + ": negative node count " + std::to_string(num_nodes));
  }
  if (src.size() != dst.size()) {
    return Status::InvalidArgument(source + ": " + std::to_string(src.size()) +
                                   " edge sources but " + std::to_string(dst.size()) +
                                   " destinations");
  }
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] < 0 || src[i] >= num_nodes || dst[i] < 0 || dst[i] >= num_nodes) {
      return Status::InvalidArgument(source + ": edge " + std::to_string(i) + " (" +
                                     std::to_string(src[i]) + " -> " + std::to_string(dst[i]) +
                                     ") has an endpoint outside [0, " + std::to_string(num_nodes) +
                                     ")");
    }
  }
  HALO_RETURN_IF_ERROR(
      CheckOptionalSize(source, "edge_weight", edge_weight.size(), num_edges(), "one per edge"));
  for (size_t i = 0; i < edge_weight.size(); ++i) {
    if (!std::isfinite(edge_weight[i])) {
      return Status::InvalidArgument(source + ": edge_weight[" + std::to_string(i) +
                                     "] is not finite");
    }
  }
  HALO_RETURN_IF_ERROR(
      CheckOptionalSize(source, "original_ids", original_ids.size(), num_nodes, "one per node"));
  if (feature_dim < 0) {
    return Status::InvalidArgument(source + ": negative feature_dim " +
                                   std::to_string(feature_dim));
  }
  if (static_cast<int64_t>(features.size()) != num_nodes * feature_dim) {
    return Status::InvalidArgument(source + ": features has " + std::to_string(features.size()) +
                                   " values, expected num_nodes x feature_dim = " +
                                   std::to_string(num_nodes) + " x " + std::to_string(feature_dim));
  }
  if (num_classes < 0) {
    return Status::InvalidArgument(source + ": negative num_classes " +
                                   std::to_string(num_classes));
  }
  HALO_RETURN_IF_ERROR(
      CheckOptionalSize(source, "labels", labels.size(), num_nodes, "one per node"));
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < -1 || labels[i] >= num_classes) {
      return Status::InvalidArgument(source + ": label of node " + std::to_string(i) + " is " +
                                     std::to_string(labels[i]) + ", outside [-1, " +
                                     std::to_string(num_classes) + ")");
    }
  }
  HALO_RETURN_IF_ERROR(CheckMask(source, "train_mask", train_mask, num_nodes));
  HALO_RETURN_IF_ERROR(CheckMask(source, "val_mask", val_mask, num_nodes));
  HALO_RETURN_IF_ERROR(CheckMask(source, "test_mask", test_mask, num_nodes));
  if (train_mask.empty() && (!val_mask.empty() || !test_mask.empty())) {
    // has_split() looks at train_mask alone: a val/test mask without it would be ignored.
    return Status::InvalidArgument(source + ": val/test masks without a train mask");
  }
  return Status::OK();
}

}  // namespace halo::partition
