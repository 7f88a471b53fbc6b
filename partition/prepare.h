// Graph preparation: from raw edges to the in-CSR that partitioning and training use.
#pragma once

#include <string>

#include "core/csr.h"
#include "core/status.h"
#include "partition/graph_data.h"

namespace halo::partition {

enum class SelfLoops { kKeep, kRemove, kAdd };

core::Result<SelfLoops> ParseSelfLoops(const std::string& name);
const char* SelfLoopsName(SelfLoops mode);

struct PrepareOptions {
  bool symmetrize = true;  // add v -> u for every u -> v (directed inputs only)
  SelfLoops self_loops = SelfLoops::kKeep;
};

// Builds the in-CSR (row v lists the sources u of edges u -> v, ascending, without duplicates) of
// `graph`, applying `options`. Releases graph->src/dst/edge_weight to bound peak memory.
core::Result<core::Csr> PrepareGraph(GraphData* graph, const PrepareOptions& options);

}  // namespace halo::partition
