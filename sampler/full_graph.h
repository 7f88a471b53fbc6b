// Full-batch training: the whole graph as a single block.
#pragma once

#include "core/csr.h"
#include "sampler/block.h"

namespace halo::sampler {

// A Block with num_dst == num_src == csr.num_rows(), every edge of `csr` (weights included) and
// edge_ids 0..num_entries-1. `csr` must be square: every column < num_rows (checked).
Block FullGraphBlock(const core::Csr& csr);

}  // namespace halo::sampler
