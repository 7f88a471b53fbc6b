#include "launch/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>

namespace halo::launch {

using core::Result;
using core::Status;

namespace {

bool IsIndex(const std::string& s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::vector<std::string> SplitDots(const std::string& key) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : key) {
    if (c == '.') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

std::string NodeText(const YAML::Node& node) {
  std::ostringstream text;
  text << node;
  return text.str();
}

// Applies one "a.b.c=value" to the tree; records the canonical key (list names resolved to
// indices) in `origins` with `where`.
Status ApplyOverride(YAML::Node root, const std::string& entry,
                     std::map<std::string, std::string>* origins) {
  const std::string where = "--set '" + entry + "'";
  const size_t eq = entry.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument(where + ": not of the form key=value");
  }
  const std::vector<std::string> parts = SplitDots(entry.substr(0, eq));
  for (const std::string& p : parts) {
    if (p.empty()) return Status::InvalidArgument(where + ": empty component in the key");
  }
  YAML::Node value;
  try {
    value = YAML::Load(entry.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(where + ": bad YAML value: " + e.msg);
  }
  YAML::Node cur;
  cur.reset(root);  // reset() rebinds the handle; operator= would overwrite the tree's node
  std::string canon;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    const bool last = i + 1 == parts.size();
    const std::string here = canon.empty() ? part : canon + "." + part;
    YAML::Node next;
    if (cur.IsSequence()) {
      size_t index = cur.size();
      if (IsIndex(part)) {
        index = std::stoul(part);
      } else {
        for (size_t j = 0; j < cur.size(); ++j) {
          const YAML::Node name = cur[j]["name"];
          if (name && name.IsScalar() && name.Scalar() == part) {
            index = j;
            break;
          }
        }
        if (index == cur.size()) {
          return Status::InvalidArgument(where + ": '" + canon + "' has no element named '" + part +
                                         "'");
        }
      }
      if (index > cur.size()) {
        return Status::InvalidArgument(where + ": index " + part + " out of range ('" + canon +
                                       "' has " + std::to_string(cur.size()) +
                                       " elements; its size appends one)");
      }
      canon = canon + "." + std::to_string(index);
      if (index == cur.size()) {
        cur.push_back(last ? value : YAML::Node(YAML::NodeType::Map));
        if (last) break;
      } else if (last) {
        cur[index] = value;
        break;
      }
      next.reset(cur[index]);
    } else if (cur.IsMap() || cur.IsNull() || !cur.IsDefined()) {
      canon = here;
      if (last) {
        cur[part] = value;
        break;
      }
      next.reset(cur[part]);
    } else {
      return Status::InvalidArgument(where + ": '" + canon + "' is a value, not a section");
    }
    cur.reset(next);
  }
  (*origins)[canon] = where;
  return Status::OK();
}

// Reads the tree into a LaunchConfig, naming each key's origin in errors.
class Reader {
 public:
  Reader(std::string file, LaunchConfig* config, std::map<std::string, std::string> overrides)
      : file_(std::move(file)), config_(config), overrides_(std::move(overrides)) {}

  using Handler = std::function<Status(const YAML::Node&, const std::string& key)>;
  using Handlers = std::vector<std::pair<std::string, Handler>>;

  // Where `key` came from: the most specific override covering it, else the node's line.
  std::string Where(const std::string& key, const YAML::Node& node) const {
    std::string best;
    size_t best_len = 0;
    for (const auto& [k, w] : overrides_) {
      const bool covers = key == k || (key.size() > k.size() && key.compare(0, k.size(), k) == 0 &&
                                       key[k.size()] == '.');
      if (covers && k.size() >= best_len) {
        best = w;
        best_len = k.size();
      }
    }
    if (!best.empty()) return best;
    if (file_.empty()) return "config";
    if (node.IsDefined() && !node.Mark().is_null()) {
      return file_ + ":" + std::to_string(node.Mark().line + 1);
    }
    return file_;
  }

  Status Map(const YAML::Node& node, const std::string& key, const Handlers& handlers) {
    if (!node || node.IsNull()) return Status::OK();
    if (!node.IsMap()) {
      return Status::InvalidArgument(Where(key, node) + ": '" + key + "' must be a map");
    }
    for (const auto& kv : node) {
      const std::string name = kv.first.as<std::string>();
      const std::string sub = key.empty() ? name : key + "." + name;
      const Handler* handler = nullptr;
      for (const auto& [n, h] : handlers) {
        if (n == name) handler = &h;
      }
      if (handler == nullptr) {
        std::string known;
        for (const auto& [n, h] : handlers) known += (known.empty() ? "" : ", ") + n;
        return Status::InvalidArgument(Where(sub, kv.first) + ": unknown key '" + sub +
                                       "' (known here: " + known + ")");
      }
      config_->origin[sub] = Where(sub, kv.second);
      HALO_RETURN_IF_ERROR((*handler)(kv.second, sub));
    }
    return Status::OK();
  }

  template <typename T>
  Handler Bind(T* target, const char* expected) {
    return [this, target, expected](const YAML::Node& n, const std::string& key) -> Status {
      if (!n || n.IsNull()) return Status::OK();  // "key:" with no value keeps the default
      try {
        *target = n.as<T>();
      } catch (const YAML::Exception&) {
        return Status::InvalidArgument(Where(key, n) + ": bad value '" + NodeText(n) + "' for '" +
                                       key + "' (expected " + expected + ")");
      }
      return Status::OK();
    };
  }

  Status Read(const YAML::Node& root) {
    LaunchConfig& c = *config_;
    Handlers top = {
        {"partition_dir", Bind(&c.partition_dir, "a path")},
        {"output_dir", Bind(&c.output_dir, "a path")},
        {"bin_dir", Bind(&c.bin_dir, "a path")},
        {"store_binary", Bind(&c.store_binary, "a path")},
        {"trainer_binary", Bind(&c.trainer_binary, "a path")},
        {"ps_binary", Bind(&c.ps_binary, "a path")},
        {"coordinator",
         [this, &c](const YAML::Node& n, const std::string& key) {
           return Map(n, key,
                      {{"host", Bind(&c.coordinator_host, "a host name")},
                       {"address", Bind(&c.coordinator_address, "an address")},
                       {"port", Bind(&c.coordinator_port, "a port number")}});
         }},
        {"timeouts",
         [this, &c](const YAML::Node& n, const std::string& key) {
           return Map(n, key,
                      {{"store_ready_s", Bind(&c.timeouts.store_ready_s, "seconds")},
                       {"rendezvous_s", Bind(&c.timeouts.rendezvous_s, "seconds")},
                       {"heartbeat_s", Bind(&c.timeouts.heartbeat_s, "seconds")},
                       {"shutdown_s", Bind(&c.timeouts.shutdown_s, "seconds")}});
         }},
        {"store",
         [this, &c](const YAML::Node& n, const std::string& key) {
           return Map(n, key,
                      {{"mem_budget_mb", Bind(&c.store.mem_budget_mb, "MiB")},
                       {"threads", Bind(&c.store.threads, "an integer")}});
         }},
        {"ps",
         [this, &c](const YAML::Node& n, const std::string& key) {
           return Map(n, key,
                      {{"shards", Bind(&c.ps.shards, "an integer")},
                       {"hosts", Bind(&c.ps.hosts, "a list of host names")},
                       {"threads", Bind(&c.ps.threads, "an integer")},
                       {"snapshot_dir", Bind(&c.ps.snapshot_dir, "a path")}});
         }},
        {"hosts", [this](const YAML::Node& n, const std::string& key) { return Hosts(n, key); }},
        {"train",
         [this, &c](const YAML::Node& n, const std::string& key) -> Status {
           if (!n || n.IsNull()) return Status::OK();
           if (!n.IsMap()) {
             return Status::InvalidArgument(Where(key, n) + ": 'train' must be a map (the " +
                                            "halo-train config)");
           }
           YAML::Emitter out;
           out << n;
           c.train_yaml = std::string(out.c_str()) + "\n";
           return Status::OK();
         }},
    };
    return Map(root, "", top);
  }

  Status Hosts(const YAML::Node& n, const std::string& key) {
    if (!n || n.IsNull()) return Status::OK();
    if (!n.IsSequence()) {
      return Status::InvalidArgument(Where(key, n) + ": 'hosts' must be a list of hosts");
    }
    config_->hosts.resize(n.size());
    for (size_t i = 0; i < n.size(); ++i) {
      HostConfig& h = config_->hosts[i];
      const std::string sub = key + "." + std::to_string(i);
      config_->origin[sub] = Where(sub, n[i]);
      if (!n[i].IsMap()) {
        return Status::InvalidArgument(Where(sub, n[i]) + ": '" + sub + "' must be a map");
      }
      HALO_RETURN_IF_ERROR(Map(n[i], sub,
                               {{"name", Bind(&h.name, "a name")},
                                {"address", Bind(&h.address, "an address")},
                                {"exec", Bind(&h.exec, "local, ssh or prefix")},
                                {"ssh", Bind(&h.ssh, "an ssh target")},
                                {"ssh_options", Bind(&h.ssh_options, "a list of strings")},
                                {"prefix", Bind(&h.prefix, "a command template")},
                                {"stores", Bind(&h.stores, "a list of part numbers")},
                                {"trainers", Bind(&h.trainers, "an integer")},
                                {"gpus", Bind(&h.gpus, "a list of CUDA devices")}}));
    }
    return Status::OK();
  }

 private:
  std::string file_;
  LaunchConfig* config_;
  std::map<std::string, std::string> overrides_;
};

bool ValidName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

Status CheckTemplate(const LaunchConfig& c, size_t i) {
  const std::string& t = c.hosts[i].prefix;
  const std::string key = "hosts." + std::to_string(i) + ".prefix";
  for (size_t pos = t.find('{'); pos != std::string::npos; pos = t.find('{', pos + 1)) {
    const size_t end = t.find('}', pos);
    const std::string name =
        end == std::string::npos ? t.substr(pos) : t.substr(pos, end - pos + 1);
    if (name != "{host}" && name != "{address}") {
      return Status::InvalidArgument(c.Where(key) + "unknown placeholder '" + name + "' in '" +
                                     key + "' (known: {host}, {address})");
    }
  }
  return Status::OK();
}

// The ps: section; `host_names` are the hosts' names.
Status ValidatePs(const LaunchConfig& c, const std::set<std::string>& host_names) {
  if (c.ps.shards < 0) {
    return Status::InvalidArgument(c.Where("ps.shards") + "ps.shards must be >= 0 (0 = no " +
                                   "parameter server), got " + std::to_string(c.ps.shards));
  }
  if (c.ps.threads < 3) {
    return Status::InvalidArgument(c.Where("ps.threads") +
                                   "ps.threads must be >= 3 (halo-ps keeps 2 for clocks), got " +
                                   std::to_string(c.ps.threads));
  }
  for (size_t i = 0; i < c.ps.hosts.size(); ++i) {
    const std::string& name = c.ps.hosts[i];
    if (!host_names.count(name)) {
      std::string known;
      for (const HostConfig& h : c.hosts) known += (known.empty() ? "" : ", ") + h.name;
      return Status::InvalidArgument(c.Where("ps.hosts") + "ps.hosts." + std::to_string(i) + " '" +
                                     name + "' is not one of the hosts (" + known + ")");
    }
  }
  return Status::OK();
}

Status Validate(const LaunchConfig& c) {
  const Timeouts& t = c.timeouts;
  if (!(t.store_ready_s > 0)) {
    return Status::InvalidArgument(c.Where("timeouts.store_ready_s") +
                                   "timeouts.store_ready_s must be > 0");
  }
  if (!(t.shutdown_s >= 0)) {
    return Status::InvalidArgument(c.Where("timeouts.shutdown_s") +
                                   "timeouts.shutdown_s must be >= 0");
  }
  if (!(t.rendezvous_s >= 0) || !(t.heartbeat_s >= 0)) {
    return Status::InvalidArgument(
        c.Where(t.rendezvous_s >= 0 ? "timeouts.heartbeat_s" : "timeouts.rendezvous_s") +
        "timeouts.rendezvous_s and timeouts.heartbeat_s must be >= 0 (0 = no check)");
  }
  if (c.store.threads < 1) {
    return Status::InvalidArgument(c.Where("store.threads") + "store.threads must be >= 1");
  }
  if (!(c.store.mem_budget_mb >= 0)) {
    return Status::InvalidArgument(c.Where("store.mem_budget_mb") +
                                   "store.mem_budget_mb must be >= 0");
  }
  if (c.coordinator_port < 0 || c.coordinator_port > 65535) {
    return Status::InvalidArgument(c.Where("coordinator.port") +
                                   "coordinator.port must be in [0, 65535]");
  }
  if (!c.coordinator_host.empty() && !c.coordinator_address.empty()) {
    return Status::InvalidArgument(c.Where("coordinator.address") +
                                   "set coordinator.host or coordinator.address, not both");
  }
  if (c.hosts.empty()) {
    return Status::InvalidArgument(c.Where("hosts") + "no hosts: 'hosts' lists at least one");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < c.hosts.size(); ++i) {
    const HostConfig& h = c.hosts[i];
    const std::string k = "hosts." + std::to_string(i);
    if (!ValidName(h.name)) {
      return Status::InvalidArgument(c.Where(k) + k + ".name must be a non-empty name of " +
                                     "letters, digits, '-', '_' or '.', got '" + h.name + "'");
    }
    if (!names.insert(h.name).second) {
      return Status::InvalidArgument(c.Where(k + ".name") + "two hosts are named '" + h.name + "'");
    }
    if (h.address.empty()) {
      return Status::InvalidArgument(c.Where(k) + k + ".address (host " + h.name + ") is empty");
    }
    if (h.exec != "local" && h.exec != "ssh" && h.exec != "prefix") {
      return Status::InvalidArgument(c.Where(k + ".exec") + k + ".exec must be local, ssh or " +
                                     "prefix, got '" + h.exec + "'");
    }
    if (h.exec == "prefix" && h.prefix.empty()) {
      return Status::InvalidArgument(c.Where(k) + "host " + h.name +
                                     " has exec: prefix but no prefix template");
    }
    if (h.exec == "prefix") HALO_RETURN_IF_ERROR(CheckTemplate(c, i));
    if (h.trainers < 0) {
      return Status::InvalidArgument(c.Where(k + ".trainers") + k + ".trainers must be >= 0");
    }
    if (!h.gpus.empty() && static_cast<int>(h.gpus.size()) != h.trainers) {
      return Status::InvalidArgument(
          c.Where(k + ".gpus") + "host " + h.name + " lists " + std::to_string(h.gpus.size()) +
          " gpus for " + std::to_string(h.trainers) + " trainers (give one per trainer, or none)");
    }
    for (int g : h.gpus) {
      if (g < 0) {
        return Status::InvalidArgument(c.Where(k + ".gpus") + k + ".gpus entries must be >= 0");
      }
    }
  }
  if (!c.coordinator_host.empty() && !names.count(c.coordinator_host)) {
    return Status::InvalidArgument(c.Where("coordinator.host") + "coordinator.host '" +
                                   c.coordinator_host + "' is not one of the hosts");
  }
  return ValidatePs(c, names);
}

std::string Absolute(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::absolute(path, ec);
  if (ec) return path;
  return p.lexically_normal().string();
}

}  // namespace

std::string LaunchConfig::Where(const std::string& key) const {
  // The key itself, or the closest enclosing section that has an origin.
  std::string k = key;
  while (true) {
    auto it = origin.find(k);
    if (it != origin.end()) return it->second + ": ";
    const size_t dot = k.rfind('.');
    if (dot == std::string::npos) break;
    k = k.substr(0, dot);
  }
  return config_path.empty() ? "" : config_path + ": ";
}

Result<LaunchConfig> LoadLaunchConfig(const std::string& path,
                                      const std::vector<std::string>& overrides) {
  LaunchConfig config;
  config.config_path = path;
  YAML::Node root(YAML::NodeType::Map);
  if (!path.empty()) {
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
      return Status::NotFound(path + ": cannot open config file");
    } catch (const YAML::ParserException& e) {
      return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) +
                                     ": YAML syntax error: " + e.msg);
    }
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) {
      return Status::InvalidArgument(path + ": the config must be a YAML map");
    }
  }
  // Bad shapes the readers do not foresee (a list as a map key, a key below a scalar list entry)
  // surface as yaml-cpp exceptions; they stay errors.
  try {
    std::map<std::string, std::string> origins;
    for (const std::string& entry : overrides) {
      HALO_RETURN_IF_ERROR(ApplyOverride(root, entry, &origins));
    }
    Reader reader(path, &config, origins);
    HALO_RETURN_IF_ERROR(reader.Read(root));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(
        (path.empty() ? std::string("config") : path) +
        (e.mark.is_null() ? std::string() : ":" + std::to_string(e.mark.line + 1)) + ": " + e.msg);
  }
  HALO_RETURN_IF_ERROR(Validate(config));
  return config;
}

Status ResolveLaunchConfig(LaunchConfig* c, const std::string& default_bin_dir) {
  if (c->partition_dir.empty()) {
    return Status::InvalidArgument(c->Where("partition_dir") +
                                   "partition_dir is not set (in the config or --partition_dir)");
  }
  if (c->output_dir.empty()) {
    return Status::InvalidArgument(c->Where("output_dir") + "output_dir is empty");
  }
  c->partition_dir = Absolute(c->partition_dir);
  c->output_dir = Absolute(c->output_dir);
  c->bin_dir = Absolute(c->bin_dir.empty() ? default_bin_dir : c->bin_dir);
  c->store_binary =
      c->store_binary.empty() ? c->bin_dir + "/halo-store" : Absolute(c->store_binary);
  c->trainer_binary =
      c->trainer_binary.empty() ? c->bin_dir + "/halo-train" : Absolute(c->trainer_binary);
  c->ps_binary = c->ps_binary.empty() ? c->bin_dir + "/halo-ps" : Absolute(c->ps_binary);
  c->ps.snapshot_dir =
      c->ps.snapshot_dir.empty() ? c->output_dir + "/ps-snapshots" : Absolute(c->ps.snapshot_dir);
  for (HostConfig& h : c->hosts) {
    if (h.exec == "ssh" && h.ssh.empty()) h.ssh = h.address;
  }
  if (c->coordinator_host.empty() && c->coordinator_address.empty()) {
    c->coordinator_host = c->hosts.front().name;
  }
  return Status::OK();
}

std::string LaunchConfigToYaml(const LaunchConfig& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "partition_dir" << YAML::Value << c.partition_dir;
  out << YAML::Key << "output_dir" << YAML::Value << c.output_dir;
  out << YAML::Key << "bin_dir" << YAML::Value << c.bin_dir;
  out << YAML::Key << "store_binary" << YAML::Value << c.store_binary;
  out << YAML::Key << "trainer_binary" << YAML::Value << c.trainer_binary;
  out << YAML::Key << "ps_binary" << YAML::Value << c.ps_binary;
  out << YAML::Key << "coordinator" << YAML::Value << YAML::BeginMap;
  if (!c.coordinator_address.empty()) {
    out << YAML::Key << "address" << YAML::Value << c.coordinator_address;
  } else {
    out << YAML::Key << "host" << YAML::Value << c.coordinator_host;
  }
  out << YAML::Key << "port" << YAML::Value << c.coordinator_port << YAML::EndMap;
  out << YAML::Key << "timeouts" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "store_ready_s" << YAML::Value << c.timeouts.store_ready_s;
  out << YAML::Key << "rendezvous_s" << YAML::Value << c.timeouts.rendezvous_s;
  out << YAML::Key << "heartbeat_s" << YAML::Value << c.timeouts.heartbeat_s;
  out << YAML::Key << "shutdown_s" << YAML::Value << c.timeouts.shutdown_s << YAML::EndMap;
  out << YAML::Key << "store" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "mem_budget_mb" << YAML::Value << c.store.mem_budget_mb;
  out << YAML::Key << "threads" << YAML::Value << c.store.threads << YAML::EndMap;
  out << YAML::Key << "ps" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "shards" << YAML::Value << c.ps.shards;
  out << YAML::Key << "hosts" << YAML::Value << YAML::Flow << c.ps.hosts;
  out << YAML::Key << "threads" << YAML::Value << c.ps.threads;
  out << YAML::Key << "snapshot_dir" << YAML::Value << c.ps.snapshot_dir << YAML::EndMap;
  out << YAML::Key << "hosts" << YAML::Value << YAML::BeginSeq;
  for (const HostConfig& h : c.hosts) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << h.name;
    out << YAML::Key << "address" << YAML::Value << h.address;
    out << YAML::Key << "exec" << YAML::Value << h.exec;
    if (h.exec == "ssh") {
      out << YAML::Key << "ssh" << YAML::Value << h.ssh;
      out << YAML::Key << "ssh_options" << YAML::Value << YAML::Flow << h.ssh_options;
    }
    if (h.exec == "prefix") out << YAML::Key << "prefix" << YAML::Value << h.prefix;
    out << YAML::Key << "stores" << YAML::Value << YAML::Flow << h.stores;
    out << YAML::Key << "trainers" << YAML::Value << h.trainers;
    out << YAML::Key << "gpus" << YAML::Value << YAML::Flow << h.gpus;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "train" << YAML::Value << YAML::Load(c.train_yaml);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

Result<std::string> TrainConfigYaml(const LaunchConfig& c, std::vector<std::string>* warnings) {
  YAML::Node train;
  try {
    train = YAML::Load(c.train_yaml);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(c.Where("train") + "train: " + e.msg);
  }
  if (train.IsNull()) train = YAML::Node(YAML::NodeType::Map);
  if (!train.IsMap()) return Status::InvalidArgument(c.Where("train") + "train must be a map");
  auto replace = [&](YAML::Node parent, const std::string& key, const std::string& shown,
                     const std::string& value, const std::string& source) {
    const YAML::Node old = parent[key];
    if (old && old.IsScalar() && old.Scalar() != value && warnings != nullptr) {
      warnings->push_back("train." + shown + " '" + old.Scalar() + "' replaced by " + source +
                          " '" + value + "'");
    }
    parent[key] = value;
  };
  YAML::Node dataset = train["dataset"];
  if (dataset && !dataset.IsMap() && !dataset.IsNull()) {
    return Status::InvalidArgument(c.Where("train.dataset") + "train.dataset must be a map");
  }
  if (!dataset || dataset.IsNull()) {
    train["dataset"] = YAML::Node(YAML::NodeType::Map);
  }
  replace(train["dataset"], "partition_dir", "dataset.partition_dir", c.partition_dir,
          "partition_dir");
  replace(train, "output_dir", "output_dir", c.output_dir, "output_dir");
  YAML::Emitter out;
  out << train;
  return std::string(out.c_str()) + "\n";
}

}  // namespace halo::launch
