// Snapshot files of the parameter server: one file per shard per clock, holding every row of every
// table on the shard with its optimizer state, and every worker's clock. A snapshot is the set of
// files of one clock from all shards of one shard count:
//
//   <dir>/clock-<C>/shard-<S>-of-<N>.snap
//
// Each file is written atomically (core::WriteFileAtomic: temp file + rename), so a file that
// exists is complete; a snapshot is usable once all N files of its clock exist (FindLatestSnapshot
// skips incomplete ones, e.g. when a shard died while writing). Older snapshots are kept.
//
// File layout (little-endian): magic "HALOPSS1"; u64 header length; header JSON {format_version,
// shard, num_shards, num_workers, clock, clocks, tables: [{spec, rows, state_floats}]}; per table
// in header order: row IDs i64[rows], values f32[rows*dim], state f32[rows*state_floats], steps
// i64[rows]; then a CRC32C (u32) of everything before it. ReadShardSnapshot checks all of it and
// names the file and the problem (Corruption) otherwise.
//
//   ShardSnapshot snap = ...;
//   HALO_RETURN_IF_ERROR(WriteShardSnapshot(ShardSnapshotPath(dir, snap.clock, 0, 2), snap));
//   HALO_ASSIGN_OR_RETURN(SnapshotSet set, FindLatestSnapshot(dir));   // set.files: N paths
//
// Thread-safety: functions only; concurrent writers must use distinct paths.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "ps/table.h"
#include "ps/table_spec.h"

namespace halo::ps {

constexpr int kSnapshotFormatVersion = 1;

struct ShardSnapshot {
  int shard = 0;
  int num_shards = 1;
  int num_workers = 1;
  int64_t clock = 0;            // every worker's clock at the snapshot (a clock boundary)
  std::vector<int64_t> clocks;  // per worker (all equal to `clock` for a collective snapshot)
  std::vector<TableSpec> specs;
  std::vector<TableRows> tables;  // tables[i] holds specs[i]'s rows on this shard
};

// "<dir>/clock-<clock>/shard-<shard>-of-<num_shards>.snap".
std::string ShardSnapshotPath(const std::string& dir, int64_t clock, int shard, int num_shards);

// Writes `snap` to `path` atomically (creating parent directories).
core::Status WriteShardSnapshot(const std::string& path, const ShardSnapshot& snap);
core::Result<ShardSnapshot> ReadShardSnapshot(const std::string& path);

// Deletes this shard's files of every clock but the newest `keep` it wrote under `dir` (and clock
// directories left empty); keep <= 0 keeps everything. Each shard prunes only its own files, so
// shards never race, and since snapshots are collective the newest `keep` sets stay complete.
core::Status PruneShardSnapshots(const std::string& dir, int shard, int num_shards, int keep);

struct SnapshotSet {
  int64_t clock = 0;
  int num_shards = 0;
  std::vector<std::string> files;  // files[s] is shard s's
};
// The snapshot of the highest clock under `dir` whose N shard files all exist (the smallest such N
// when several shard counts wrote the same clock). NotFound when there is none.
core::Result<SnapshotSet> FindLatestSnapshot(const std::string& dir);

}  // namespace halo::ps
