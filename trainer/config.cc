#include "trainer/config.h"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <sstream>

namespace halo::trainer {

using core::Result;
using core::Status;

namespace {

// Each config key knows how to read itself from a YAML scalar/sequence and write itself back.
struct Field {
  std::function<void(const YAML::Node&)> read;  // throws YAML::Exception on a bad value
  std::function<YAML::Node()> write;
};

template <typename T>
Field Bind(T* target) {
  return Field{[target](const YAML::Node& n) { *target = n.as<T>(); },
               [target]() { return YAML::Node(*target); }};
}

std::map<std::string, Field> Fields(TrainConfig* c) {
  return {
      {"dataset.partition_dir", Bind(&c->dataset.partition_dir)},
      {"dataset.part", Bind(&c->dataset.part)},
      {"dataset.normalize_features", Bind(&c->dataset.normalize_features)},
      {"model.type", Bind(&c->model.type)},
      {"model.hidden", Bind(&c->model.hidden)},
      {"model.num_layers", Bind(&c->model.num_layers)},
      {"model.dropout", Bind(&c->model.dropout)},
      {"model.activation", Bind(&c->model.activation)},
      {"model.aggregator", Bind(&c->model.aggregator)},
      {"model.root_weight", Bind(&c->model.root_weight)},
      {"model.normalize", Bind(&c->model.normalize)},
      {"model.heads", Bind(&c->model.heads)},
      {"model.out_heads", Bind(&c->model.out_heads)},
      {"model.attn_dropout", Bind(&c->model.attn_dropout)},
      {"model.negative_slope", Bind(&c->model.negative_slope)},
      {"train.mode", Bind(&c->train.mode)},
      {"train.fanouts", Bind(&c->train.fanouts)},
      {"train.replace", Bind(&c->train.replace)},
      {"train.batch_size", Bind(&c->train.batch_size)},
      {"train.epochs", Bind(&c->train.epochs)},
      {"train.lr", Bind(&c->train.lr)},
      {"train.weight_decay", Bind(&c->train.weight_decay)},
      {"train.optimizer", Bind(&c->train.optimizer)},
      {"train.momentum", Bind(&c->train.momentum)},
      {"train.seed", Bind(&c->train.seed)},
      {"train.eval_every", Bind(&c->train.eval_every)},
      {"train.device", Bind(&c->train.device)},
      {"train.num_threads", Bind(&c->train.num_threads)},
      {"train.prefetch", Bind(&c->train.prefetch)},
      {"train.loader_threads", Bind(&c->train.loader_threads)},
      {"train.remote_cache_mb", Bind(&c->train.remote_cache_mb)},
      {"checkpoint.every_epochs", Bind(&c->checkpoint.every_epochs)},
      {"checkpoint.every_steps", Bind(&c->checkpoint.every_steps)},
      {"checkpoint.keep", Bind(&c->checkpoint.keep)},
      {"comm.timeout_s", Bind(&c->comm.timeout_s)},
      {"comm.bucket_mb", Bind(&c->comm.bucket_mb)},
      {"input_embedding.dim", Bind(&c->input_embedding.dim)},
      {"input_embedding.combine", Bind(&c->input_embedding.combine)},
      {"input_embedding.optimizer", Bind(&c->input_embedding.optimizer)},
      {"input_embedding.lr", Bind(&c->input_embedding.lr)},
      {"input_embedding.init_scale", Bind(&c->input_embedding.init_scale)},
      {"sync.mode", Bind(&c->sync.mode)},
      {"sync.staleness", Bind(&c->sync.staleness)},
      {"sync.scale_lr", Bind(&c->sync.scale_lr)},
      {"straggler.rank", Bind(&c->straggler.rank)},
      {"straggler.delay_ms", Bind(&c->straggler.delay_ms)},
      {"output_dir", Bind(&c->output_dir)},
  };
}

std::string Where(const std::string& path, const YAML::Mark& mark) {
  if (mark.is_null()) return path;
  return path + ":" + std::to_string(mark.line + 1);
}

// Flattens nested maps into dotted keys.
void Flatten(const YAML::Node& node, const std::string& prefix,
             std::vector<std::pair<std::string, YAML::Node>>* out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      Flatten(kv.second, prefix.empty() ? key : prefix + "." + key, out);
    }
    return;
  }
  out->emplace_back(prefix, node);
}

Status Apply(std::map<std::string, Field>& fields, const std::string& key, const YAML::Node& value,
             const std::string& where) {
  auto it = fields.find(key);
  if (it == fields.end()) {
    std::string known;
    for (const auto& kv : fields) known += (known.empty() ? "" : ", ") + kv.first;
    return Status::InvalidArgument(where + ": unknown config key '" + key + "' (known: " + known +
                                   ")");
  }
  try {
    it->second.read(value);
  } catch (const YAML::Exception&) {
    std::ostringstream text;
    text << value;
    return Status::InvalidArgument(where + ": bad value '" + text.str() + "' for config key '" +
                                   key + "'");
  }
  return Status::OK();
}

}  // namespace

Result<TrainConfig> LoadTrainConfig(const std::string& path,
                                    const std::vector<std::string>& overrides) {
  TrainConfig config;
  auto fields = Fields(&config);
  if (!path.empty()) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
      return Status::NotFound(path + ": cannot open config file");
    } catch (const YAML::ParserException& e) {
      return Status::InvalidArgument(Where(path, e.mark) + ": YAML syntax error: " + e.msg);
    }
    std::vector<std::pair<std::string, YAML::Node>> entries;
    Flatten(root, "", &entries);
    for (const auto& [key, node] : entries) {
      HALO_RETURN_IF_ERROR(Apply(fields, key, node, Where(path, node.Mark())));
    }
  }
  return ApplyOverrides(std::move(config), overrides);
}

Result<TrainConfig> ParseTrainConfig(const std::string& yaml_text, const std::string& origin) {
  TrainConfig config;
  auto fields = Fields(&config);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(origin + ": YAML syntax error: " + e.msg);
  }
  std::vector<std::pair<std::string, YAML::Node>> entries;
  Flatten(root, "", &entries);
  for (const auto& [key, node] : entries) {
    HALO_RETURN_IF_ERROR(Apply(fields, key, node, origin));
  }
  return config;
}

Result<TrainConfig> ApplyOverrides(TrainConfig config, const std::vector<std::string>& overrides) {
  auto fields = Fields(&config);
  for (const std::string& entry : overrides) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("override '" + entry + "' is not of the form key=value");
    }
    YAML::Node value;
    try {
      value = YAML::Load(entry.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument("override '" + entry + "': " + e.what());
    }
    HALO_RETURN_IF_ERROR(Apply(fields, entry.substr(0, eq), value, "override '" + entry + "'"));
  }
  return config;
}

std::string TrainConfigToYaml(const TrainConfig& config) {
  TrainConfig copy = config;
  auto fields = Fields(&copy);
  YAML::Node root;
  for (const auto& [key, field] : fields) {
    const size_t dot = key.find('.');
    if (dot == std::string::npos) {
      root[key] = field.write();
    } else {
      root[key.substr(0, dot)][key.substr(dot + 1)] = field.write();
    }
  }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

Status ValidateTrainConfig(const TrainConfig& c) {
  const auto& m = c.model;
  const auto& t = c.train;
  if (m.type != "sage" && m.type != "gcn" && m.type != "gat") {
    return Status::InvalidArgument("model.type must be sage, gcn or gat, got '" + m.type + "'");
  }
  if (m.hidden <= 0 || m.num_layers <= 0 || m.heads <= 0 || m.out_heads <= 0) {
    return Status::InvalidArgument(
        "model.hidden, num_layers, heads and out_heads must be positive");
  }
  if (m.dropout < 0 || m.dropout >= 1 || m.attn_dropout < 0 || m.attn_dropout >= 1) {
    return Status::InvalidArgument("model.dropout and model.attn_dropout must be in [0, 1)");
  }
  if (t.mode != "full" && t.mode != "sampled") {
    return Status::InvalidArgument("train.mode must be full or sampled, got '" + t.mode + "'");
  }
  if (t.mode == "sampled" && static_cast<int>(t.fanouts.size()) != m.num_layers) {
    return Status::InvalidArgument("train.fanouts has " + std::to_string(t.fanouts.size()) +
                                   " entries but model.num_layers is " +
                                   std::to_string(m.num_layers));
  }
  for (int64_t f : t.fanouts) {
    if (f == 0 || f < -1)
      return Status::InvalidArgument("train.fanouts entries must be >= 1 or -1");
  }
  if (t.batch_size <= 0 || t.epochs < 0 || t.eval_every < 0 || t.lr <= 0) {
    return Status::InvalidArgument(
        "train.batch_size and train.lr must be positive, train.eval_every >= 0");
  }
  if (t.prefetch < 0 || t.loader_threads < 1 || t.remote_cache_mb < 0) {
    return Status::InvalidArgument(
        "train.prefetch and train.remote_cache_mb must be >= 0, train.loader_threads >= 1");
  }
  if (c.checkpoint.every_epochs < 0 || c.checkpoint.every_steps < 0 || c.checkpoint.keep < 1) {
    return Status::InvalidArgument(
        "checkpoint.every_epochs and every_steps must be >= 0, checkpoint.keep >= 1");
  }
  const auto& e = c.input_embedding;
  if (e.dim < 0 || (e.combine != "concat" && e.combine != "replace") || e.lr <= 0 ||
      e.init_scale < 0) {
    return Status::InvalidArgument(
        "input_embedding: dim must be >= 0, combine concat or replace, lr > 0, init_scale >= 0");
  }
  if (e.optimizer != "sgd" && e.optimizer != "adagrad" && e.optimizer != "adam") {
    return Status::InvalidArgument("input_embedding.optimizer must be sgd, adagrad or adam, got '" +
                                   e.optimizer + "'");
  }
  if (c.sync.mode != "allreduce" && c.sync.mode != "ps") {
    return Status::InvalidArgument("sync.mode must be allreduce or ps, got '" + c.sync.mode + "'");
  }
  if (c.sync.staleness < -1) {
    return Status::InvalidArgument("sync.staleness must be >= 0, or -1 for unbounded (ASP)");
  }
  if (c.straggler.delay_ms < 0) {
    return Status::InvalidArgument("straggler.delay_ms must be >= 0");
  }
  if (c.comm.timeout_s <= 0 || c.comm.bucket_mb <= 0) {
    return Status::InvalidArgument("comm.timeout_s and comm.bucket_mb must be positive");
  }
  if (t.optimizer != "adam" && t.optimizer != "adamw" && t.optimizer != "sgd") {
    return Status::InvalidArgument("train.optimizer must be adam, adamw or sgd, got '" +
                                   t.optimizer + "'");
  }
  if (c.dataset.partition_dir.empty()) {
    return Status::InvalidArgument("dataset.partition_dir is not set (config or --partition_dir)");
  }
  return Status::OK();
}

}  // namespace halo::trainer
