#include "partition/relabel.h"

#include <cstddef>
#include <numeric>

namespace halo::partition {

using core::NodeId;

Relabeling RelabelByPart(const std::vector<core::PartId>& parts, int32_t num_parts) {
  const auto n = static_cast<NodeId>(parts.size());
  Relabeling r;
  r.offsets.assign(static_cast<size_t>(num_parts) + 1, 0);
  for (core::PartId p : parts) ++r.offsets[static_cast<size_t>(p) + 1];
  std::partial_sum(r.offsets.begin(), r.offsets.end(), r.offsets.begin());
  r.new_of_old.resize(static_cast<size_t>(n));
  r.old_of_new.resize(static_cast<size_t>(n));
  std::vector<NodeId> cursor(r.offsets.begin(), r.offsets.end() - 1);
  for (NodeId old = 0; old < n; ++old) {
    const NodeId id = cursor[static_cast<size_t>(parts[static_cast<size_t>(old)])]++;
    r.new_of_old[static_cast<size_t>(old)] = id;
    r.old_of_new[static_cast<size_t>(id)] = old;
  }
  return r;
}

}  // namespace halo::partition
