// The process plan of a run: which halo-store serves each part on which host, which host runs
// each parameter-server shard (halo-ps), and which rank trains which part, with the command line
// of each process (docs/halo-launch.md).
//
//   HALO_ASSIGN_OR_RETURN(LaunchPlan plan, BuildPlan(config, meta.num_parts));
//   for (const ProcessSpec& s : plan.ps_shards) argv = PsCommand(config, plan, s, restore);
//   for (const ProcessSpec& t : plan.trainers)
//     argv = TrainerCommand(config, plan, t, coordinator_endpoint, store_endpoints, resume,
//                           ps_endpoints);
//
// Assignment: ranks are numbered host by host in config order. The trainers of a host train that
// host's store parts cyclically (trainer i gets stores[i % n]); a host without stores trains all
// parts cyclically (trainer i gets part i % num_parts). Per part, its trainers are numbered
// (part_rank) in rank order, part_trainers of them. PS shard s runs on ps.hosts[s % n], or with
// no ps.hosts on hosts[s % hosts.size()].
//
// Errors (InvalidArgument naming the key and file:line): a store part out of range, a part served
// by no host or by two, a part that no trainer trains, no trainers at all, a ps host that is not
// one of the hosts.
//
// Thread-safety: plain functions over values.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "launch/config.h"

namespace halo::launch {

enum class Role { kStore, kPs, kTrainer };

struct ProcessSpec {
  Role role = Role::kTrainer;
  int host = 0;  // index into LaunchConfig::hosts
  std::string host_name;
  int part = 0;    // served (store) or trained (trainer)
  int shard = -1;  // ps shards only
  // Trainers only.
  int rank = -1;
  int part_rank = -1;
  int part_trainers = 0;
  int cuda_device = -1;  // -1: none given

  // Log prefix: "a/store0", "b/ps1", "b/rank1".
  std::string Label() const;
  // For messages: "store of part 1 (host b)", "ps shard 1 (host b)", "rank 1 (host b, part 0)".
  std::string Describe() const;
};

struct LaunchPlan {
  int num_parts = 0;
  int world_size = 0;
  std::string coordinator_bind;     // "tcp://<address>:<port>"
  std::vector<ProcessSpec> stores;  // in part order: stores[p].part == p
  std::vector<ProcessSpec>
      ps_shards;                      // in shard order: ps_shards[s].shard == s (ps.shards of them)
  std::vector<ProcessSpec> trainers;  // in rank order: trainers[r].rank == r
};

// `config` must be resolved (ResolveLaunchConfig).
core::Result<LaunchPlan> BuildPlan(const LaunchConfig& config, int num_parts);

// The halo-store command of `store` (argv[0] = config.store_binary).
std::vector<std::string> StoreCommand(const LaunchConfig& config, const ProcessSpec& store);

// The halo-ps command of `shard` (argv[0] = config.ps_binary): bound to its host's address, one
// worker per trainer, snapshots in ps.snapshot_dir, and --restore when `restore`.
std::vector<std::string> PsCommand(const LaunchConfig& config, const LaunchPlan& plan,
                                   const ProcessSpec& shard, bool restore);

// The halo-train command of `trainer` (argv[0] = config.trainer_binary), with the contract's
// distributed flags. `store_endpoints[p]` is part p's store; `ps_endpoints[s]` is shard s's
// (one per plan.ps_shards; --ps_endpoints only when the plan has shards).
std::vector<std::string> TrainerCommand(const LaunchConfig& config, const LaunchPlan& plan,
                                        const ProcessSpec& trainer,
                                        const std::string& coordinator_endpoint,
                                        const std::vector<std::string>& store_endpoints,
                                        bool resume,
                                        const std::vector<std::string>& ps_endpoints = {});

// Whether the shards should start from a snapshot: with `resume`, when ps.snapshot_dir holds a
// complete one (ps/snapshot.h; halo-ps --restore refuses to start without one).
bool PsRestore(const LaunchConfig& config, bool resume);

// Where the launcher writes halo-train's config.
std::string TrainConfigPath(const LaunchConfig& config);

}  // namespace halo::launch
