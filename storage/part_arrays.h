// The row data of one part as its partition directory holds it (`.npy` files listed in
// partition.json, docs/partition-format.md), read without the partition module: the source a part
// store is built from and checked against.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/partition_book.h"
#include "core/status.h"
#include "core/types.h"
#include "storage/part_store_writer.h"

namespace halo::storage {

// Owned rows of one part's inner nodes; absent kinds are empty.
struct PartArrays {
  core::NodeId node_begin = 0;
  int64_t num_rows = 0;
  int64_t feature_dim = 0;
  std::vector<float> features;  // num_rows x feature_dim
  std::vector<int64_t> labels;
  std::vector<uint8_t> train_mask, val_mask, test_mask;

  // A borrowed view for WritePartStore; valid while this object lives unchanged.
  PartStoreData View() const;
};

// Reads file `kind` (a key of info.files) of part `info` from `partition_dir` into `out`.
// A kind not listed is NotFound when `required`, else leaves `out` empty and returns OK.
// Checks the first dimension against `expected_rows` (skipped when < 0); `shape` (optional)
// receives the array's shape. T: float, int64_t or uint8_t.
template <typename T>
core::Status ReadPartFile(const std::string& partition_dir, const core::PartInfo& info,
                          const std::string& kind, bool required, int64_t expected_rows,
                          std::vector<T>* out, std::vector<int64_t>* shape = nullptr);

// Reads the features, labels and masks of part `info` (those listed; each must have num_inner
// rows). Corruption when a file's length disagrees with partition.json.
core::Result<PartArrays> ReadPartArrays(const std::string& partition_dir,
                                        const core::PartInfo& info);

}  // namespace halo::storage
