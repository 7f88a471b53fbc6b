#include "storage/part_arrays.h"

#include "core/npy.h"

namespace halo::storage {

using core::Result;
using core::Status;

template <typename T>
Status ReadPartFile(const std::string& partition_dir, const core::PartInfo& info,
                    const std::string& kind, bool required, int64_t expected_rows,
                    std::vector<T>* out, std::vector<int64_t>* shape) {
  out->clear();
  auto it = info.files.find(kind);
  if (it == info.files.end()) {
    if (!required) return Status::OK();
    return Status::NotFound(partition_dir + ": partition.json lists no '" + kind +
                            "' file for part " + std::to_string(info.id));
  }
  const std::string path = partition_dir + "/" + it->second;
  std::vector<int64_t> s;
  HALO_ASSIGN_OR_RETURN(*out, core::ReadNpyAs<T>(path, &s));
  if (s.empty() || (expected_rows >= 0 && s[0] != expected_rows)) {
    return Status::Corruption(path + ": expected " + std::to_string(expected_rows) + " rows, got " +
                              (s.empty() ? std::string("a scalar") : std::to_string(s[0])));
  }
  if (shape != nullptr) *shape = s;
  return Status::OK();
}

template Status ReadPartFile<float>(const std::string&, const core::PartInfo&, const std::string&,
                                    bool, int64_t, std::vector<float>*, std::vector<int64_t>*);
template Status ReadPartFile<int64_t>(const std::string&, const core::PartInfo&, const std::string&,
                                      bool, int64_t, std::vector<int64_t>*, std::vector<int64_t>*);
template Status ReadPartFile<uint8_t>(const std::string&, const core::PartInfo&, const std::string&,
                                      bool, int64_t, std::vector<uint8_t>*, std::vector<int64_t>*);

PartStoreData PartArrays::View() const {
  PartStoreData d;
  d.node_begin = node_begin;
  d.num_rows = num_rows;
  d.feature_dim = feature_dim;
  d.features = feature_dim > 0 ? features.data() : nullptr;
  d.labels = labels.empty() ? nullptr : labels.data();
  d.train_mask = train_mask.empty() ? nullptr : train_mask.data();
  d.val_mask = val_mask.empty() ? nullptr : val_mask.data();
  d.test_mask = test_mask.empty() ? nullptr : test_mask.data();
  return d;
}

Result<PartArrays> ReadPartArrays(const std::string& partition_dir, const core::PartInfo& info) {
  PartArrays a;
  a.node_begin = info.node_begin;
  a.num_rows = info.num_inner;
  const int64_t n = info.num_inner;
  std::vector<int64_t> shape;
  HALO_RETURN_IF_ERROR(
      ReadPartFile(partition_dir, info, "features", false, n, &a.features, &shape));
  if (info.files.count("features")) {
    a.feature_dim = shape.size() >= 2 ? shape[1] : 1;
    for (size_t d = 2; d < shape.size(); ++d) a.feature_dim *= shape[d];
    if (n > 0 && a.feature_dim == 0) {
      return Status::Corruption(partition_dir + "/" + info.files.at("features") +
                                ": features have dimension 0");
    }
  }
  HALO_RETURN_IF_ERROR(ReadPartFile(partition_dir, info, "labels", false, n, &a.labels));
  HALO_RETURN_IF_ERROR(ReadPartFile(partition_dir, info, "train_mask", false, n, &a.train_mask));
  HALO_RETURN_IF_ERROR(ReadPartFile(partition_dir, info, "val_mask", false, n, &a.val_mask));
  HALO_RETURN_IF_ERROR(ReadPartFile(partition_dir, info, "test_mask", false, n, &a.test_mask));
  return a;
}

}  // namespace halo::storage
