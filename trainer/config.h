// The training configuration: a YAML file (configs/*.yaml) plus `key=value` overrides of any
// dotted key ("model.hidden=64", "train.fanouts=[10,5]"). Unknown keys and bad values are errors
// that name the key (and the file and line when they come from the file). Every run writes the
// resolved configuration next to its outputs.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace halo::trainer {

struct ModelConfig {
  std::string type = "sage";  // sage | gcn | gat
  int64_t hidden = 64;        // per head for GAT
  int num_layers = 2;
  float dropout = 0.5f;             // on each layer's input
  std::string activation = "relu";  // between layers: relu | elu | leaky_relu | none
  // SAGE
  std::string aggregator = "mean";  // mean | gcn | pool
  bool root_weight = true;
  bool normalize = false;
  // GAT
  int64_t heads = 8;
  int64_t out_heads = 1;  // heads of the output layer (averaged)
  float attn_dropout = 0.6f;
  float negative_slope = 0.2f;
};

struct TrainSettings {
  std::string mode = "sampled";          // full | sampled
  std::vector<int64_t> fanouts{25, 10};  // fanouts[0]: first hop from the seeds; -1 = all
  bool replace = false;
  int64_t batch_size = 512;
  int epochs = 100;
  float lr = 0.01f;
  float weight_decay = 5e-4f;
  std::string optimizer = "adam";  // adam | adamw | sgd
  float momentum = 0.9f;
  uint64_t seed = 0;
  int eval_every = 1;          // epochs between evaluations; 0 = never (benchmarks)
  std::string device = "cpu";  // cpu | cuda
  int num_threads = 0;         // OpenMP threads, 0 = library default
  int prefetch = 2;            // minibatches prepared ahead (sampling + features); 0 = inline
  int loader_threads = 1;      // background threads preparing minibatches
  int remote_cache_mb = 256;   // feature rows of other parts kept after fetching (0: none)
};

struct CheckpointConfig {
  int every_epochs = 1;  // 0 = only at the end of the run
  int every_steps = 0;   // additionally every N steps; 0 = off
  int keep = 2;          // newest checkpoints kept
};

// Gradient synchronization among trainers (distributed runs).
struct CommSettings {
  int timeout_s = 60;  // rendezvous and each collective
  int bucket_mb = 16;  // gradients fused per all-reduce
};

struct DatasetConfig {
  std::string partition_dir;
  int part = 0;
  bool normalize_features = true;  // row-normalize input features (sum to 1), as in GCN's setup
};

// Learnable per-node input embeddings, kept on the parameter server (halo-ps).
struct InputEmbeddingConfig {
  int64_t dim = 0;                 // 0 = none
  std::string combine = "concat";  // concat (features, then embedding) | replace (embedding only)
  std::string optimizer = "adagrad";  // server side: sgd | adagrad | adam
  float lr = 0.05f;
  float init_scale = 0.1f;  // rows start uniform in [-init_scale, init_scale)
};

// How trainers share parameters: dense gradients all-reduced every step (allreduce), or dense
// parameters on the parameter server too, each worker advancing within the staleness bound (ps).
struct SyncConfig {
  std::string mode = "allreduce";  // allreduce | ps
  int64_t staleness = 0;           // the PS tables' bound s: 0 = BSP, -1 = unbounded (ASP)
  // Outside BSP each worker's push is its own Adam/Adagrad update: divide the dense rate by the
  // number of workers, so that one clock moves the parameters about as far as one BSP update.
  bool scale_lr = false;
};

// A deliberately slow rank, for staleness experiments.
struct StragglerConfig {
  int rank = -1;     // -1 = none
  int delay_ms = 0;  // added to each of its steps
};

struct TrainConfig {
  DatasetConfig dataset;
  ModelConfig model;
  TrainSettings train;
  CheckpointConfig checkpoint;
  CommSettings comm;
  InputEmbeddingConfig input_embedding;
  SyncConfig sync;
  StragglerConfig straggler;
  std::string output_dir = "runs/latest";
};

// Loads `path` (may be empty: defaults only), then applies `overrides` ("a.b=value", in order).
core::Result<TrainConfig> LoadTrainConfig(const std::string& path,
                                          const std::vector<std::string>& overrides);
// The same from YAML text; errors name `origin` (e.g. "cluster.yaml: train:") and the key.
core::Result<TrainConfig> ParseTrainConfig(const std::string& yaml_text, const std::string& origin);

// Applies `overrides` ("a.b=value", in order) to `config`.
core::Result<TrainConfig> ApplyOverrides(TrainConfig config,
                                         const std::vector<std::string>& overrides);

// The resolved configuration as YAML.
std::string TrainConfigToYaml(const TrainConfig& config);
// Checks ranges and names (model type, optimizer, dims > 0, ...).
core::Status ValidateTrainConfig(const TrainConfig& config);

}  // namespace halo::trainer
