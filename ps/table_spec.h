// TableSpec: what a parameter-server table is — its rows (IDs [0, num_rows), dim floats each), how
// rows are initialized, the server-side optimizer, the staleness bound, and how rows are placed on
// shards. Sparse embeddings (one row per node) and dense parameters (the rows of a matrix) are both
// tables. The spec travels in CreateTable (as JSON) and in snapshots; creating a table twice with
// an equal spec is a no-op, with a different one an error.
//
//   TableSpec spec;
//   spec.name = "node_emb";  spec.num_rows = book.num_nodes();  spec.dim = 64;
//   spec.init = {InitKind::kUniform, -0.1f, 0.1f, /*seed=*/7};
//   spec.optimizer.kind = OptimizerKind::kAdagrad;
//   spec.staleness = 2;                            // SSP bound s; kAsync for ASP
//   spec.routing = Routing::ByPartition(book);     // a node's row lives on shard part % shards
//
// Initialization is per row ID (core::DeriveSeed(seed, row)), so it does not depend on the number
// of shards or on which shard holds the row. Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/partition_book.h"
#include "core/status.h"
#include "ps/optimizer.h"

namespace halo::ps {

// The staleness bound of an asynchronous (ASP) table: reads never wait.
constexpr int64_t kAsync = -1;

enum class InitKind { kZeros, kUniform, kNormal };

struct InitSpec {
  InitKind kind = InitKind::kZeros;
  float a = 0.0f;  // uniform: low;  normal: mean
  float b = 0.0f;  // uniform: high; normal: standard deviation
  uint64_t seed = 0;

  bool operator==(const InitSpec& o) const {
    return kind == o.kind && a == o.a && b == o.b && seed == o.seed;
  }
};

// Fills `row` (dim floats) with the initial values of row `row_id`: zeros, uniform in [a, b), or
// normal(a, b) (Box-Muller), from core::Rng(core::DeriveSeed(seed, row_id)).
void InitRow(const InitSpec& init, int64_t row_id, int64_t dim, float* row);

// Placement of rows on shards.
//   kModulo:  row r lives on shard r % num_shards.
//   kRanges:  `offsets` cut [0, num_rows) into ranges [offsets[i], offsets[i+1]); range i lives on
//             shard i % num_shards. With a partition book's offsets, a node's row lives on the
//             shard of its part (part % num_shards), so a trainer's own nodes stay local.
struct Routing {
  enum class Kind { kModulo, kRanges };
  Kind kind = Kind::kModulo;
  std::vector<int64_t> offsets;  // kRanges only

  static Routing Modulo() { return Routing(); }
  static Routing ByPartition(const core::PartitionBook& book);
  // `num_ranges` contiguous ranges of (almost) equal size: with num_ranges == num_shards, shard s
  // holds the s-th range.
  static Routing Contiguous(int64_t num_rows, int64_t num_ranges);

  bool operator==(const Routing& o) const { return kind == o.kind && offsets == o.offsets; }
};

struct TableSpec {
  std::string name;
  int64_t num_rows = 0;
  int64_t dim = 0;
  InitSpec init;
  OptimizerSpec optimizer;
  // The SSP bound s: a pull from a worker at clock c waits until every worker has reached c - s.
  // 0 is BSP (and then pushes are applied once per clock, summed over workers: see ps/client.h);
  // kAsync (any negative value) is ASP.
  int64_t staleness = 0;
  Routing routing;

  bool async() const { return staleness < 0; }
  bool operator==(const TableSpec& o) const;
  bool operator!=(const TableSpec& o) const { return !(*this == o); }
};

// InvalidArgument naming the table and the field: empty or over-long name, num_rows < 1, dim < 1,
// bad init parameters, bad optimizer, bad routing offsets (must start at 0, never decrease, end at
// num_rows).
core::Status ValidateTableSpec(const TableSpec& spec);

// JSON text of a spec and back (ParseTableSpec validates).
std::string TableSpecToJson(const TableSpec& spec);
core::Result<TableSpec> ParseTableSpec(const std::string& json);

}  // namespace halo::ps
