// Renumbering nodes so that part p owns the contiguous global range [offsets[p], offsets[p+1]).
#pragma once

#include <vector>

#include "core/types.h"

namespace halo::partition {

struct Relabeling {
  std::vector<core::NodeId> offsets;     // num_parts + 1
  std::vector<core::NodeId> new_of_old;  // compact input ID -> global ID
  std::vector<core::NodeId> old_of_new;  // global ID -> compact input ID
};

// Nodes of part p get consecutive IDs from offsets[p], in ascending input-ID order (stable), so
// the result depends only on the assignment.
Relabeling RelabelByPart(const std::vector<core::PartId>& parts, int32_t num_parts);

}  // namespace halo::partition
