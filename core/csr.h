// Compressed sparse rows with int64 IDs. Halo stores graphs as in-CSRs: row v lists the sources
// u of the edges u -> v (its in-neighbors), sorted ascending.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace halo::core {

struct Csr {
  std::vector<EdgeId> indptr{0};  // num_rows + 1 entries, indptr[0] == 0
  std::vector<NodeId> indices;    // column of each entry
  std::vector<float> weights;     // empty (unweighted) or one per entry

  int64_t num_rows() const { return static_cast<int64_t>(indptr.size()) - 1; }
  int64_t num_entries() const { return static_cast<int64_t>(indices.size()); }
  bool weighted() const { return !weights.empty(); }
  int64_t degree(NodeId row) const { return indptr[row + 1] - indptr[row]; }

  // Checks the structure: monotone indptr that ends at num_entries, every column in
  // [0, num_cols), weights empty or one per entry. `what` names the graph in the error.
  Status Validate(int64_t num_cols, const std::string& what) const;
};

// Builds a CSR with `num_rows` rows from (row[i], col[i]) pairs by counting sort; each row's
// columns are sorted ascending. With `dedupe`, repeated (row, col) pairs keep their first weight.
// `weight` may be empty.
Csr BuildCsr(int64_t num_rows, const std::vector<NodeId>& row, const std::vector<NodeId>& col,
             const std::vector<float>& weight, bool dedupe);

}  // namespace halo::core
