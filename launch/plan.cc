#include "launch/plan.h"

#include <sstream>

#include "core/check.h"
#include "ps/snapshot.h"

namespace halo::launch {

using core::Result;
using core::Status;

std::string ProcessSpec::Label() const {
  switch (role) {
    case Role::kStore:
      return host_name + "/store" + std::to_string(part);
    case Role::kPs:
      return host_name + "/ps" + std::to_string(shard);
    case Role::kTrainer:
      break;
  }
  return host_name + "/rank" + std::to_string(rank);
}

std::string ProcessSpec::Describe() const {
  if (role == Role::kStore) {
    return "store of part " + std::to_string(part) + " (host " + host_name + ")";
  }
  if (role == Role::kPs) return "ps shard " + std::to_string(shard) + " (host " + host_name + ")";
  return "rank " + std::to_string(rank) + " (host " + host_name + ", part " + std::to_string(part) +
         ")";
}

Result<LaunchPlan> BuildPlan(const LaunchConfig& config, int num_parts) {
  if (num_parts < 1) {
    return Status::InvalidArgument("partition " + config.partition_dir + " has no parts");
  }
  LaunchPlan plan;
  plan.num_parts = num_parts;
  std::string address = config.coordinator_address;
  for (const HostConfig& h : config.hosts) {
    if (address.empty() && h.name == config.coordinator_host) address = h.address;
  }
  if (address.empty()) address = config.hosts.front().address;
  plan.coordinator_bind = "tcp://" + address + ":" + std::to_string(config.coordinator_port);

  // Stores: exactly one per part.
  std::vector<int> store_host(static_cast<size_t>(num_parts), -1);
  for (size_t i = 0; i < config.hosts.size(); ++i) {
    const HostConfig& h = config.hosts[i];
    const std::string key = "hosts." + std::to_string(i) + ".stores";
    for (int p : h.stores) {
      if (p < 0 || p >= num_parts) {
        return Status::InvalidArgument(config.Where(key) + "host " + h.name + " serves part " +
                                       std::to_string(p) + ", but " + config.partition_dir +
                                       " has parts 0.." + std::to_string(num_parts - 1));
      }
      int& owner = store_host[static_cast<size_t>(p)];
      if (owner >= 0) {
        return Status::InvalidArgument(
            config.Where(key) + "part " + std::to_string(p) + " is served twice (host " +
            config.hosts[static_cast<size_t>(owner)].name + " and host " + h.name + ")");
      }
      owner = static_cast<int>(i);
    }
  }
  for (int p = 0; p < num_parts; ++p) {
    const int owner = store_host[static_cast<size_t>(p)];
    if (owner < 0) {
      return Status::InvalidArgument(config.Where("hosts") + "part " + std::to_string(p) + " of " +
                                     std::to_string(num_parts) +
                                     " has no store: list it in one host's 'stores'");
    }
    ProcessSpec s;
    s.role = Role::kStore;
    s.host = owner;
    s.host_name = config.hosts[static_cast<size_t>(owner)].name;
    s.part = p;
    plan.stores.push_back(s);
  }

  // Trainers, host by host.
  for (size_t i = 0; i < config.hosts.size(); ++i) {
    const HostConfig& h = config.hosts[i];
    for (int t = 0; t < h.trainers; ++t) {
      ProcessSpec s;
      s.role = Role::kTrainer;
      s.host = static_cast<int>(i);
      s.host_name = h.name;
      s.rank = static_cast<int>(plan.trainers.size());
      s.part =
          h.stores.empty() ? t % num_parts : h.stores[static_cast<size_t>(t) % h.stores.size()];
      s.cuda_device = h.gpus.empty() ? -1 : h.gpus[static_cast<size_t>(t)];
      plan.trainers.push_back(s);
    }
  }
  if (plan.trainers.empty()) {
    return Status::InvalidArgument(config.Where("hosts") +
                                   "no trainers: set 'trainers' on at least one host");
  }
  std::vector<int> per_part(static_cast<size_t>(num_parts), 0);
  for (ProcessSpec& s : plan.trainers) s.part_rank = per_part[static_cast<size_t>(s.part)]++;
  for (ProcessSpec& s : plan.trainers) s.part_trainers = per_part[static_cast<size_t>(s.part)];
  for (int p = 0; p < num_parts; ++p) {
    if (per_part[static_cast<size_t>(p)] == 0) {
      const ProcessSpec& store = plan.stores[static_cast<size_t>(p)];
      return Status::InvalidArgument(
          config.Where("hosts." + std::to_string(store.host) + ".trainers") + "part " +
          std::to_string(p) + " has no trainer: host " + store.host_name +
          " serves it but its trainers (" +
          std::to_string(config.hosts[static_cast<size_t>(store.host)].trainers) +
          ") do not reach it, and no host without stores has enough trainers");
    }
  }
  plan.world_size = static_cast<int>(plan.trainers.size());

  // PS shards: cyclically over ps.hosts, or over every host in config order.
  for (int s = 0; s < config.ps.shards; ++s) {
    ProcessSpec spec;
    spec.role = Role::kPs;
    spec.shard = s;
    if (config.ps.hosts.empty()) {
      spec.host = s % static_cast<int>(config.hosts.size());
    } else {
      const std::string& name = config.ps.hosts[static_cast<size_t>(s) % config.ps.hosts.size()];
      spec.host = -1;
      for (size_t i = 0; i < config.hosts.size(); ++i) {
        if (config.hosts[i].name == name) spec.host = static_cast<int>(i);
      }
      if (spec.host < 0) {
        return Status::InvalidArgument(config.Where("ps.hosts") + "ps shard " + std::to_string(s) +
                                       " is placed on host '" + name +
                                       "', which is not one of the hosts");
      }
    }
    spec.host_name = config.hosts[static_cast<size_t>(spec.host)].name;
    plan.ps_shards.push_back(spec);
  }
  return plan;
}

namespace {
std::string FormatNumber(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
}  // namespace

std::vector<std::string> StoreCommand(const LaunchConfig& config, const ProcessSpec& store) {
  const HostConfig& h = config.hosts[static_cast<size_t>(store.host)];
  return {config.store_binary,
          "--partition_dir=" + config.partition_dir,
          "--part=" + std::to_string(store.part),
          "--bind=tcp://" + h.address + ":0",
          "--mem_budget_mb=" + FormatNumber(config.store.mem_budget_mb),
          "--threads=" + std::to_string(config.store.threads)};
}

std::vector<std::string> PsCommand(const LaunchConfig& config, const LaunchPlan& plan,
                                   const ProcessSpec& shard, bool restore) {
  const HostConfig& h = config.hosts[static_cast<size_t>(shard.host)];
  std::vector<std::string> argv = {config.ps_binary,
                                   "--shard=" + std::to_string(shard.shard),
                                   "--num_shards=" + std::to_string(plan.ps_shards.size()),
                                   "--num_workers=" + std::to_string(plan.world_size),
                                   "--bind=tcp://" + h.address + ":0",
                                   "--threads=" + std::to_string(config.ps.threads),
                                   "--snapshot_dir=" + config.ps.snapshot_dir};
  if (restore) argv.push_back("--restore");
  return argv;
}

bool PsRestore(const LaunchConfig& config, bool resume) {
  return resume && !config.ps.snapshot_dir.empty() &&
         ps::FindLatestSnapshot(config.ps.snapshot_dir).ok();
}

std::string TrainConfigPath(const LaunchConfig& config) {
  return config.output_dir + "/train.yaml";
}

std::vector<std::string> TrainerCommand(const LaunchConfig& config, const LaunchPlan& plan,
                                        const ProcessSpec& t,
                                        const std::string& coordinator_endpoint,
                                        const std::vector<std::string>& store_endpoints,
                                        bool resume, const std::vector<std::string>& ps_endpoints) {
  HALO_CHECK(ps_endpoints.size() == plan.ps_shards.size())
      << ps_endpoints.size() << " ps endpoints for " << plan.ps_shards.size() << " shards";
  const HostConfig& h = config.hosts[static_cast<size_t>(t.host)];
  auto join = [](const std::vector<std::string>& items) {
    std::string joined;
    for (const std::string& e : items) joined += (joined.empty() ? "" : ",") + e;
    return joined;
  };
  std::vector<std::string> argv = {config.trainer_binary,
                                   "--config=" + TrainConfigPath(config),
                                   "--output_dir=" + config.output_dir,
                                   "--partition_dir=" + config.partition_dir,
                                   "--rank=" + std::to_string(t.rank),
                                   "--world_size=" + std::to_string(plan.world_size),
                                   "--coordinator=" + coordinator_endpoint,
                                   "--host=" + h.name,
                                   "--host_address=" + h.address,
                                   "--part=" + std::to_string(t.part),
                                   "--part_rank=" + std::to_string(t.part_rank),
                                   "--part_trainers=" + std::to_string(t.part_trainers),
                                   "--store_endpoints=" + join(store_endpoints)};
  if (!ps_endpoints.empty()) argv.push_back("--ps_endpoints=" + join(ps_endpoints));
  if (resume) argv.push_back("--resume");
  if (t.cuda_device >= 0) argv.push_back("--cuda_device=" + std::to_string(t.cuda_device));
  return argv;
}

}  // namespace halo::launch
