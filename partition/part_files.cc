#include "partition/part_files.h"

#include <filesystem>

#include "core/fs.h"
#include "core/npy.h"
#include "storage/feature_store.h"
#include "storage/part_store_writer.h"

namespace halo::partition {

using core::Result;
using core::Status;

namespace {

using core::NodeId;

template <typename T>
Status Put(const std::string& dir, const std::string& kind, const std::vector<T>& data,
           std::vector<int64_t> shape, std::map<std::string, std::string>* files) {
  const std::string name = kind + ".npy";
  HALO_RETURN_IF_ERROR(core::WriteNpy(dir + "/" + name, data.data(), shape));
  (*files)[kind] = name;
  return Status::OK();
}

Status PutMask(const std::string& dir, const std::string& kind, const std::vector<uint8_t>& data,
               std::map<std::string, std::string>* files) {
  if (data.empty()) return Status::OK();
  const std::string name = kind + ".npy";
  HALO_RETURN_IF_ERROR(core::WriteNpyBool(dir + "/" + name, data));
  (*files)[kind] = name;
  return Status::OK();
}

// Reads file `kind` of a part if listed (paths are relative to the partition directory `root`);
// `required` kinds must be listed. Checks the row count.
template <typename T>
Status Get(const std::string& root, const core::PartInfo& info, const std::string& kind,
           bool required, int64_t expected_rows, std::vector<T>* out,
           std::vector<int64_t>* shape_out = nullptr) {
  auto it = info.files.find(kind);
  if (it == info.files.end()) {
    if (required) {
      return Status::Corruption("part " + std::to_string(info.id) + ": partition.json lists no '" +
                                kind + "' file");
    }
    return Status::OK();
  }
  const std::string path = root + "/" + it->second;
  std::vector<int64_t> shape;
  HALO_ASSIGN_OR_RETURN(*out, core::ReadNpyAs<T>(path, &shape));
  if (shape.empty() || (expected_rows >= 0 && shape[0] != expected_rows)) {
    return Status::Corruption(path + ": expected " + std::to_string(expected_rows) + " rows, got " +
                              (shape.empty() ? std::string("a scalar") : std::to_string(shape[0])));
  }
  if (shape_out != nullptr) *shape_out = shape;
  return Status::OK();
}

}  // namespace

Result<std::map<std::string, std::string>> WritePartFiles(const std::string& dir,
                                                          const LocalPart& part,
                                                          NodeId node_begin) {
  HALO_RETURN_IF_ERROR(core::MakeDirs(dir));
  std::map<std::string, std::string> files;
  const int64_t num_local = part.num_local();
  HALO_RETURN_IF_ERROR(Put(dir, "indptr", part.in_csr.indptr, {num_local + 1}, &files));
  HALO_RETURN_IF_ERROR(
      Put(dir, "indices", part.in_csr.indices, {part.in_csr.num_entries()}, &files));
  if (part.in_csr.weighted()) {
    HALO_RETURN_IF_ERROR(
        Put(dir, "edge_weight", part.in_csr.weights, {part.in_csr.num_entries()}, &files));
  }
  HALO_RETURN_IF_ERROR(Put(dir, "local_to_global", part.local_to_global, {num_local}, &files));
  HALO_RETURN_IF_ERROR(PutMask(dir, "is_inner", part.is_inner, &files));
  storage::PartStoreData data;
  data.node_begin = node_begin;
  data.num_rows = part.num_inner;
  data.feature_dim = part.feature_dim;
  data.features = part.features.empty() ? nullptr : part.features.data();
  data.labels = part.labels.empty() ? nullptr : part.labels.data();
  data.train_mask = part.train_mask.empty() ? nullptr : part.train_mask.data();
  data.val_mask = part.val_mask.empty() ? nullptr : part.val_mask.data();
  data.test_mask = part.test_mask.empty() ? nullptr : part.test_mask.data();
  HALO_RETURN_IF_ERROR(storage::WritePartStore(dir + "/store", data));
  files["store"] = "store";
  return files;
}

namespace {

// Node data of an inner range from the part's RocksDB store.
Status ReadNodeDataFromStore(const std::string& store_dir, const core::PartInfo& info,
                             LocalPart* p) {
  storage::FeatureStoreOptions options;
  options.mem_budget_mb = 0;  // one sequential pass: no hot set needed
  HALO_ASSIGN_OR_RETURN(auto store, storage::FeatureStore::Open(store_dir, options));
  if (store->node_begin() != info.node_begin || store->num_rows() != info.num_inner) {
    return Status::Corruption(
        store_dir + ": store holds rows [" + std::to_string(store->node_begin()) + ", " +
        std::to_string(store->node_end()) + "), partition.json says [" +
        std::to_string(info.node_begin) + ", " + std::to_string(info.node_end) + ")");
  }
  const auto n = static_cast<size_t>(info.num_inner);
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = info.node_begin + static_cast<int64_t>(i);
  if (store->has_features()) {
    p->feature_dim = store->feature_dim();
    p->features.resize(n * static_cast<size_t>(p->feature_dim));
    HALO_RETURN_IF_ERROR(store->GetFeatures(ids.data(), n, p->features.data()));
  }
  if (store->has_labels()) {
    p->labels.resize(n);
    HALO_RETURN_IF_ERROR(store->GetLabels(ids.data(), n, p->labels.data()));
  }
  if (store->has_masks()) {
    std::vector<uint8_t> masks(n * 3);
    HALO_RETURN_IF_ERROR(store->GetMasks(ids.data(), n, masks.data()));
    p->train_mask.resize(n);
    p->val_mask.resize(n);
    p->test_mask.resize(n);
    for (size_t i = 0; i < n; ++i) {
      p->train_mask[i] = masks[3 * i];
      p->val_mask[i] = masks[3 * i + 1];
      p->test_mask[i] = masks[3 * i + 2];
    }
  }
  return Status::OK();
}

}  // namespace

Result<LocalPart> ReadPartFiles(const std::string& partition_dir, const core::PartInfo& info) {
  const std::string& dir = partition_dir;
  const int64_t num_local = info.num_inner + info.num_halo;
  LocalPart p;
  p.num_inner = info.num_inner;
  HALO_RETURN_IF_ERROR(Get(dir, info, "indptr", true, num_local + 1, &p.in_csr.indptr));
  HALO_RETURN_IF_ERROR(Get(dir, info, "indices", true, info.num_local_edges, &p.in_csr.indices));
  HALO_RETURN_IF_ERROR(
      Get(dir, info, "edge_weight", false, info.num_local_edges, &p.in_csr.weights));
  HALO_RETURN_IF_ERROR(p.in_csr.Validate(num_local, partition_dir + "/" + info.dir + " (in-CSR)"));
  HALO_RETURN_IF_ERROR(Get(dir, info, "local_to_global", true, num_local, &p.local_to_global));
  HALO_RETURN_IF_ERROR(Get(dir, info, "is_inner", true, num_local, &p.is_inner));
  for (int64_t l = 0; l < num_local; ++l) {
    const bool inner = l < info.num_inner;
    const core::NodeId g = p.local_to_global[static_cast<size_t>(l)];
    const bool in_range = g >= info.node_begin && g < info.node_end;
    if (p.is_inner[static_cast<size_t>(l)] != (inner ? 1 : 0) || in_range != inner ||
        (inner && g != info.node_begin + l)) {
      return Status::Corruption(partition_dir + "/" + info.dir + ": local node " +
                                std::to_string(l) + " (global " + std::to_string(g) +
                                ") breaks the inner-then-halo layout");
    }
  }
  auto store = info.files.find("store");
  if (store != info.files.end()) {
    HALO_RETURN_IF_ERROR(ReadNodeDataFromStore(partition_dir + "/" + store->second, info, &p));
    return p;
  }
  std::vector<int64_t> shape;
  HALO_RETURN_IF_ERROR(Get(dir, info, "features", false, info.num_inner, &p.features, &shape));
  if (!p.features.empty() || info.files.count("features")) {
    p.feature_dim = shape.size() == 2 ? shape[1] : 1;
  }
  HALO_RETURN_IF_ERROR(Get(dir, info, "labels", false, info.num_inner, &p.labels));
  HALO_RETURN_IF_ERROR(Get(dir, info, "train_mask", false, info.num_inner, &p.train_mask));
  HALO_RETURN_IF_ERROR(Get(dir, info, "val_mask", false, info.num_inner, &p.val_mask));
  HALO_RETURN_IF_ERROR(Get(dir, info, "test_mask", false, info.num_inner, &p.test_mask));
  return p;
}

}  // namespace halo::partition
