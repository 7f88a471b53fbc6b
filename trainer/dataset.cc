#include "trainer/dataset.h"

#include <map>

#include "partition/part_files.h"
#include "storage/feature_store.h"

namespace halo::trainer {

using core::Result;
using core::Status;

Result<TrainingData> LoadTrainingData(const std::string& partition_dir, int part,
                                      bool normalize_features, const storage::StoreClient* stores) {
  TrainingData d;
  HALO_ASSIGN_OR_RETURN(d.meta, core::ReadPartitionMeta(partition_dir));
  if (part < 0 || part >= d.meta.num_parts) {
    return Status::OutOfRange("part " + std::to_string(part) + " does not exist: " + partition_dir +
                              " has " + std::to_string(d.meta.num_parts) + " parts");
  }
  if (d.meta.feature_dim <= 0) {
    return Status::InvalidArgument(partition_dir + ": the graph has no node features to train on");
  }
  if (d.meta.num_classes <= 0) {
    return Status::InvalidArgument(partition_dir + ": the graph has no labels to train on");
  }
  d.part = part;
  const core::PartInfo& info = d.meta.parts[static_cast<size_t>(part)];
  HALO_ASSIGN_OR_RETURN(partition::LocalPart lp, partition::ReadPartFiles(partition_dir, info));
  if (lp.train_mask.empty()) {
    return Status::InvalidArgument(partition_dir + ": part " + std::to_string(part) +
                                   " has no train/val/test split");
  }
  d.num_inner = lp.num_inner;
  d.num_local = lp.num_local();
  d.feature_dim = d.meta.feature_dim;
  d.num_classes = d.meta.num_classes;
  d.csr = std::move(lp.in_csr);
  d.local_to_global = lp.local_to_global;
  const auto dim = static_cast<size_t>(d.feature_dim);
  d.features.assign(static_cast<size_t>(d.num_local) * dim, 0.0f);
  std::copy(lp.features.begin(), lp.features.end(), d.features.begin());
  // Halo rows live in their owner parts' stores: through the running stores when given (one
  // call), else read from each owner's store directory (one batched read per owner).
  std::map<core::PartId, std::vector<int64_t>> halo_by_owner;  // owner -> local IDs
  if (stores != nullptr) {
    std::vector<int64_t> ids(d.local_to_global.begin() + d.num_inner, d.local_to_global.end());
    HALO_RETURN_IF_ERROR(stores->GetFeatures(
        ids.data(), ids.size(), d.features.data() + static_cast<size_t>(d.num_inner) * dim));
  } else {
    const core::PartitionBook book = core::PartitionBook::FromMeta(d.meta);
    for (int64_t l = d.num_inner; l < d.num_local; ++l) {
      halo_by_owner[book.Owner(d.local_to_global[static_cast<size_t>(l)])].push_back(l);
    }
  }
  for (const auto& [owner, locals] : halo_by_owner) {
    const core::PartInfo& oi = d.meta.parts[static_cast<size_t>(owner)];
    auto store_file = oi.files.find("store");
    if (store_file == oi.files.end()) {
      return Status::Corruption(partition_dir + ": part " + std::to_string(owner) +
                                " lists no store for its node data");
    }
    storage::FeatureStoreOptions options;
    options.mem_budget_mb = 0;
    HALO_ASSIGN_OR_RETURN(
        auto store, storage::FeatureStore::Open(partition_dir + "/" + store_file->second, options));
    std::vector<int64_t> ids;
    ids.reserve(locals.size());
    for (int64_t l : locals) ids.push_back(d.local_to_global[static_cast<size_t>(l)]);
    std::vector<float> rows(ids.size() * dim);
    HALO_RETURN_IF_ERROR(store->GetFeatures(ids.data(), ids.size(), rows.data()));
    for (size_t i = 0; i < locals.size(); ++i) {
      std::copy(
          rows.begin() + static_cast<std::ptrdiff_t>(i * dim),
          rows.begin() + static_cast<std::ptrdiff_t>((i + 1) * dim),
          d.features.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(locals[i]) * dim));
    }
  }
  if (normalize_features) {
    for (int64_t r = 0; r < d.num_local; ++r) {
      float* row = d.features.data() + static_cast<size_t>(r) * dim;
      double sum = 0.0;
      for (size_t c = 0; c < dim; ++c) sum += row[c];
      if (sum == 0.0) continue;
      for (size_t c = 0; c < dim; ++c) row[c] = static_cast<float>(row[c] / sum);
    }
  }
  d.labels.assign(static_cast<size_t>(d.num_local), -1);
  for (int64_t l = 0; l < d.num_inner; ++l) {
    const int64_t label = lp.labels.empty() ? -1 : lp.labels[static_cast<size_t>(l)];
    d.labels[static_cast<size_t>(l)] = label;
    if (label < 0) continue;
    if (lp.train_mask[static_cast<size_t>(l)]) d.train_nodes.push_back(l);
    if (!lp.val_mask.empty() && lp.val_mask[static_cast<size_t>(l)]) d.val_nodes.push_back(l);
    if (!lp.test_mask.empty() && lp.test_mask[static_cast<size_t>(l)]) d.test_nodes.push_back(l);
  }
  return d;
}

}  // namespace halo::trainer
