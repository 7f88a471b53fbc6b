// The ID vocabulary shared by every module.
#pragma once

#include <cstdint>

namespace halo::core {

// Global node IDs are int64 everywhere; after partitioning, part p owns [offset[p], offset[p+1]).
using NodeId = int64_t;
using EdgeId = int64_t;
using PartId = int32_t;

}  // namespace halo::core
