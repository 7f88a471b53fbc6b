#include "core/csr.h"

#include <algorithm>
#include <numeric>

namespace halo::core {

Status Csr::Validate(int64_t num_cols, const std::string& what) const {
  if (indptr.empty() || indptr[0] != 0) {
    return Status::Corruption(what + ": indptr must start with 0");
  }
  for (size_t i = 1; i < indptr.size(); ++i) {
    if (indptr[i] < indptr[i - 1]) {
      return Status::Corruption(what + ": indptr decreases at row " + std::to_string(i - 1));
    }
  }
  if (indptr.back() != num_entries()) {
    return Status::Corruption(what + ": indptr ends at " + std::to_string(indptr.back()) +
                              " but there are " + std::to_string(num_entries()) + " entries");
  }
  for (size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] < 0 || indices[i] >= num_cols) {
      return Status::OutOfRange(what + ": entry " + std::to_string(i) + " has column " +
                                std::to_string(indices[i]) + ", outside [0, " +
                                std::to_string(num_cols) + ")");
    }
  }
  if (!weights.empty() && weights.size() != indices.size()) {
    return Status::Corruption(what + ": " + std::to_string(weights.size()) + " weights for " +
                              std::to_string(indices.size()) + " entries");
  }
  return Status::OK();
}

Csr BuildCsr(int64_t num_rows, const std::vector<NodeId>& row, const std::vector<NodeId>& col,
             const std::vector<float>& weight, bool dedupe) {
  const bool weighted = !weight.empty();
  const size_t m = row.size();
  Csr csr;
  csr.indptr.assign(static_cast<size_t>(num_rows) + 1, 0);
  for (size_t i = 0; i < m; ++i) ++csr.indptr[static_cast<size_t>(row[i]) + 1];
  std::partial_sum(csr.indptr.begin(), csr.indptr.end(), csr.indptr.begin());
  csr.indices.resize(m);
  if (weighted) csr.weights.resize(m);
  {
    std::vector<EdgeId> cursor(csr.indptr.begin(), csr.indptr.end() - 1);
    for (size_t i = 0; i < m; ++i) {
      const EdgeId pos = cursor[static_cast<size_t>(row[i])]++;
      csr.indices[static_cast<size_t>(pos)] = col[i];
      if (weighted) csr.weights[static_cast<size_t>(pos)] = weight[i];
    }
  }
  // Sort each row (stable, so the first of duplicate pairs keeps its weight) and dedupe in place.
  std::vector<std::pair<NodeId, float>> scratch;
  EdgeId write = 0;
  for (int64_t r = 0; r < num_rows; ++r) {
    const EdgeId begin = csr.indptr[r], end = csr.indptr[r + 1];
    csr.indptr[r] = write;
    NodeId* cols = csr.indices.data() + begin;
    const size_t len = static_cast<size_t>(end - begin);
    if (weighted) {
      scratch.resize(len);
      for (size_t i = 0; i < len; ++i) scratch[i] = {cols[i], csr.weights[begin + i]};
      std::stable_sort(scratch.begin(), scratch.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t i = 0; i < len; ++i) {
        if (dedupe && i > 0 && scratch[i].first == scratch[i - 1].first) continue;
        csr.indices[write] = scratch[i].first;
        csr.weights[write] = scratch[i].second;
        ++write;
      }
    } else {
      std::sort(cols, cols + len);
      for (size_t i = 0; i < len; ++i) {
        if (dedupe && i > 0 && cols[i] == cols[i - 1]) continue;
        csr.indices[write++] = cols[i];
      }
    }
  }
  csr.indptr[num_rows] = write;
  csr.indices.resize(write);
  csr.indices.shrink_to_fit();
  if (weighted) {
    csr.weights.resize(write);
    csr.weights.shrink_to_fit();
  }
  return csr;
}

}  // namespace halo::core
