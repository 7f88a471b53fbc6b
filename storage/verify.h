// VerifyPart: checks a part store against the partition it was built from (the engine behind
// `halo-store --verify`). Reads every row of the store and of the part's `.npy` files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace halo::storage {

struct VerifyReport {
  int64_t rows_checked = 0;           // store rows read, all kinds together
  std::vector<std::string> problems;  // one line per mismatch found, empty when the store is good

  bool ok() const { return problems.empty(); }
  // "ok (N rows)" or the problems, one per line.
  std::string ToString() const;
};

// Compares the store in `db_dir` with part `part` of the partition in `partition_dir`:
//   - meta: format version, node_begin and num_rows vs partition.json, feature_dim vs the
//     features file, the kinds and masks present vs the files listed;
//   - keys of each kind: every global ID of the part's range present exactly once, no key outside
//     it, no malformed key, every value of the right size;
//   - values: each row equal to the `.npy` row, and each kind's CRC-32 equal to both the meta
//     checksum and a recomputation over the values read.
// Returns OK when everything matches; Corruption listing the problems (the first few per kind,
// with counts) when the store disagrees; other errors (NotFound, IOError, InvalidArgument) when
// the partition or the store cannot be read at all. `report` (optional) receives every problem.
core::Status VerifyPart(const std::string& partition_dir, core::PartId part,
                        const std::string& db_dir, VerifyReport* report = nullptr);

}  // namespace halo::storage
