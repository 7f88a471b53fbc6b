// The cluster configuration of halo-launch: one YAML file (schema: docs/halo-launch.md) saying
// where the partition and outputs are, which hosts run which part stores and how many trainers,
// how to start processes on each host, the parameter-server shards (`ps:`), the timeouts, and
// the training config (`train:`, passed to halo-train untouched apart from dataset.partition_dir
// and output_dir).
//
//   HALO_ASSIGN_OR_RETURN(LaunchConfig c, LoadLaunchConfig("cluster.yaml",
//                                                          {"hosts.b.trainers=4"}));
//   HALO_RETURN_IF_ERROR(ResolveLaunchConfig(&c, "/opt/halo/bin"));
//
// Overrides are "dotted.key=value" with a YAML value, applied in order to the file's tree before
// it is read. A list element is addressed by its index ("hosts.0.trainers=4", index == size
// appends a new element) or, for hosts, by its name ("hosts.b.trainers=4"). The `train` section
// is opaque here: any key below it is accepted and checked by halo-train.
//
// Errors: unknown keys, values of the wrong type and out-of-range values are InvalidArgument naming
// the key and where it came from ("cluster.yaml:12: bad value 'x' for 'hosts.0.trainers' (expected
// an integer)", or "--set 'hosts.0.trainers=x': ..."). A missing file is NotFound.
//
// Thread-safety: plain functions over values.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace halo::launch {

struct HostConfig {
  std::string name;
  std::string address = "127.0.0.1";     // what its processes bind to, and others connect to
  std::string exec = "local";            // local | ssh | prefix
  std::string ssh;                       // ssh target (user@host) for exec: ssh; default: address
  std::vector<std::string> ssh_options;  // extra ssh arguments, e.g. ["-p", "2222"]
  std::string prefix;       // exec: prefix: command-prefix template ({host}, {address} substituted)
  std::vector<int> stores;  // parts served by a halo-store on this host
  int trainers = 0;         // halo-train processes on this host
  std::vector<int> gpus;    // empty, or one CUDA device per trainer
};

struct Timeouts {
  double store_ready_s = 60;  // every store prints its ready line within this
  double rendezvous_s = 60;   // every trainer sends its first heartbeat within this of its start
  double heartbeat_s = 30;    // a trainer silent this long after a heartbeat is declared dead
  double shutdown_s = 10;     // after SIGTERM, wait this long before SIGKILL
};

struct StoreSettings {
  double mem_budget_mb = 1024;
  int threads = 4;
};

// Parameter-server shards (halo-ps). Shard s runs on hosts[s % hosts.size()], or, with no hosts
// listed, on the cluster's hosts in config order, cyclically.
struct PsSettings {
  int shards = 0;                  // 0: no halo-ps; > 0: every trainer gets --ps_endpoints
  std::vector<std::string> hosts;  // host names
  int threads = 8;                 // --threads of each halo-ps (>= 3)
  std::string snapshot_dir;        // "": <output_dir>/ps-snapshots (ResolveLaunchConfig)
};

struct LaunchConfig {
  std::string config_path;  // the file it was read from ("" for defaults only)
  std::string partition_dir;
  std::string output_dir = "runs/latest";
  std::string bin_dir;           // where halo-store / halo-train live; "": halo-launch's directory
  std::string store_binary;      // "": <bin_dir>/halo-store
  std::string trainer_binary;    // "": <bin_dir>/halo-train
  std::string ps_binary;         // "": <bin_dir>/halo-ps
  std::string coordinator_host;  // a host's name ("": the first host) ...
  std::string coordinator_address;  // ... or an explicit address to bind the coordinator to
  int coordinator_port = 0;         // 0: any free port
  Timeouts timeouts;
  StoreSettings store;
  PsSettings ps;
  std::vector<HostConfig> hosts;
  std::string train_yaml = "{}\n";  // the `train:` section (a YAML map)

  // Where each key came from: "cluster.yaml:12" or "--set 'k=v'" (dotted keys with list
  // indices, e.g. "hosts.1.stores").
  std::map<std::string, std::string> origin;
  // "<origin of key>: " for error messages, or "" when unknown.
  std::string Where(const std::string& key) const;
};

// Loads `path` ("" = defaults only), applies `overrides` in order, and checks every key and
// value that does not need the partition (that is BuildPlan's job, launch/plan.h).
core::Result<LaunchConfig> LoadLaunchConfig(const std::string& path,
                                            const std::vector<std::string>& overrides);

// Makes partition_dir, output_dir, bin_dir, the binaries and ps.snapshot_dir absolute (relative
// paths are taken from the current directory), filling bin_dir with `default_bin_dir` when empty,
// the binaries from bin_dir, ps.snapshot_dir from output_dir, each ssh target from the host's
// address, and the coordinator host.
core::Status ResolveLaunchConfig(LaunchConfig* config, const std::string& default_bin_dir);

// The configuration as YAML in the same schema (a resolved one can be run again as is).
std::string LaunchConfigToYaml(const LaunchConfig& config);

// halo-train's config: the `train:` section with dataset.partition_dir and output_dir set from
// the cluster config. `warnings` receives a line for each value it replaced.
core::Result<std::string> TrainConfigYaml(const LaunchConfig& config,
                                          std::vector<std::string>* warnings);

}  // namespace halo::launch
