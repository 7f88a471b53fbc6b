// halo-embed: computes the node embeddings of a training run (layer-wise full-neighbor inference
// over every part, from the run's newest checkpoint) and writes them to an embedding store that
// halo-serve serves (docs/halo-embed.md).
// Usage: halo-embed --run_dir runs/cora-2parts --output out/cora-embeddings
#include <gflags/gflags.h>

#include <cstdio>
#include <filesystem>

#include "core/logging.h"
#include "core/npy.h"
#include "core/partition_book.h"
#include "core/progress.h"
#include "core/sys_stats.h"
#include "serving/embedding_store.h"
#include "serving/layerwise_inference.h"
#include "trainer/checkpoint.h"
#include "trainer/config.h"
#include "trainer/model.h"

DEFINE_string(run_dir, "", "Output directory of a training run (config.yaml + checkpoints/)");
DEFINE_string(output, "", "Embedding store directory to write");
DEFINE_string(checkpoint, "", "Checkpoint directory to use (default: the run's newest)");
DEFINE_string(partition_dir, "", "Partition to run over (default: the run's dataset)");
DEFINE_string(device, "cpu", "cpu or cuda");
DEFINE_bool(logits, true, "Also store each node's logits and predicted class");
DEFINE_string(export_npy, "", "Also write embeddings.npy (and logits/predictions) into this dir");
DEFINE_string(store_version, "", "Version string of the store (default: its creation time)");
DEFINE_bool(overwrite, false, "Replace an existing --output");

namespace {

using halo::core::Result;
using halo::core::Status;

Status Embed() {
  if (FLAGS_run_dir.empty()) return Status::InvalidArgument("--run_dir is required (see --help)");
  if (FLAGS_output.empty()) return Status::InvalidArgument("--output is required (see --help)");
  const std::string config_path = FLAGS_run_dir + "/config.yaml";
  if (!std::filesystem::exists(config_path)) {
    return Status::NotFound(config_path + ": not a training run (no config.yaml)");
  }
  HALO_ASSIGN_OR_RETURN(halo::trainer::TrainConfig config,
                        halo::trainer::LoadTrainConfig(config_path, {}));
  const std::string partition_dir =
      FLAGS_partition_dir.empty() ? config.dataset.partition_dir : FLAGS_partition_dir;
  std::string checkpoint = FLAGS_checkpoint;
  if (checkpoint.empty()) {
    HALO_ASSIGN_OR_RETURN(auto latest, halo::trainer::FindLatestCheckpoint(FLAGS_run_dir));
    if (!latest) {
      return Status::NotFound(halo::trainer::CheckpointDir(FLAGS_run_dir) +
                              ": the run has no checkpoint yet");
    }
    checkpoint = *latest;
  }
  HALO_ASSIGN_OR_RETURN(halo::core::Device device, halo::core::ParseDevice(FLAGS_device));
  HALO_ASSIGN_OR_RETURN(halo::core::PartitionMeta meta,
                        halo::core::ReadPartitionMeta(partition_dir));
  // A model with learnable input embeddings reads them from the run (written at its end).
  halo::serving::InputEmbedding input_embedding;
  int64_t in_dim = meta.feature_dim;
  if (config.input_embedding.dim > 0) {
    const std::string path = FLAGS_run_dir + "/input_embedding.npy";
    std::vector<int64_t> shape;
    HALO_ASSIGN_OR_RETURN(input_embedding.rows, halo::core::ReadNpyAs<float>(path, &shape));
    if (shape.size() != 2 || shape[0] != meta.num_nodes || shape[1] != config.input_embedding.dim) {
      return Status::Corruption(path + ": expected " + std::to_string(meta.num_nodes) + " x " +
                                std::to_string(config.input_embedding.dim) + " input embeddings");
    }
    input_embedding.dim = config.input_embedding.dim;
    input_embedding.replace_features = config.input_embedding.combine == "replace";
    in_dim = input_embedding.replace_features ? input_embedding.dim
                                              : meta.feature_dim + input_embedding.dim;
  }
  HALO_ASSIGN_OR_RETURN(auto model,
                        halo::trainer::Model::Create(config.model, in_dim, meta.num_classes, device,
                                                     config.train.seed));
  HALO_RETURN_IF_ERROR(
      halo::trainer::LoadCheckpoint(checkpoint, model->parameters(), nullptr).status());
  HALO_LOG(Info) << "embedding " << meta.num_nodes << " nodes of " << partition_dir << " ("
                 << meta.num_parts << " parts) with the " << config.model.type << " model of "
                 << checkpoint;
  halo::core::Stopwatch watch;
  std::optional<halo::core::Progress> progress;
  progress.emplace("layer-wise inference (layers x parts)",
                   static_cast<int64_t>(config.model.num_layers) * meta.num_parts);
  HALO_ASSIGN_OR_RETURN(halo::serving::InferenceResult r,
                        halo::serving::LayerwiseInference(
                            model.get(), partition_dir, config.dataset.normalize_features, device,
                            [&](int64_t, int64_t) { progress->Add(1); }, &input_embedding));
  progress->Finish();

  halo::serving::EmbeddingStoreOptions options;
  options.dim = r.dim;
  options.num_nodes = r.num_nodes;
  options.num_classes = FLAGS_logits ? r.num_classes : 0;
  options.overwrite = FLAGS_overwrite;
  options.version = FLAGS_store_version;
  options.model = {{"type", config.model.type},
                   {"run_dir", FLAGS_run_dir},
                   {"checkpoint", checkpoint},
                   {"partition_dir", partition_dir}};
  HALO_ASSIGN_OR_RETURN(auto writer,
                        halo::serving::EmbeddingStoreWriter::Create(FLAGS_output, options));
  constexpr int64_t kChunk = 65536;
  std::vector<int64_t> ids;
  for (int64_t begin = 0; begin < r.num_nodes; begin += kChunk) {
    const int64_t end = std::min(r.num_nodes, begin + kChunk);
    ids.resize(static_cast<size_t>(end - begin));
    for (int64_t i = begin; i < end; ++i) ids[static_cast<size_t>(i - begin)] = i;
    HALO_RETURN_IF_ERROR(
        writer->Add(ids.data(), ids.size(), r.embeddings.data() + begin * r.dim,
                    FLAGS_logits ? r.logits.data() + begin * r.num_classes : nullptr));
  }
  if (!meta.node_map_file.empty()) {
    HALO_ASSIGN_OR_RETURN(std::vector<int64_t> node_map,
                          halo::core::ReadNpyAs<int64_t>(partition_dir + "/" + meta.node_map_file));
    HALO_RETURN_IF_ERROR(writer->SetNodeMap(std::move(node_map)));
  }
  const std::string version = writer->version();
  HALO_RETURN_IF_ERROR(writer->Finish());
  if (!FLAGS_export_npy.empty()) {
    HALO_ASSIGN_OR_RETURN(auto store, halo::serving::EmbeddingStore::Open(FLAGS_output));
    HALO_RETURN_IF_ERROR(store->ExportNpy(FLAGS_export_npy));
  }
  std::printf("halo-embed: wrote %lld embeddings (dim %lld%s) to %s, version %s, in %.2f s\n",
              static_cast<long long>(r.num_nodes), static_cast<long long>(r.dim),
              FLAGS_logits ? ", with logits and predictions" : "", FLAGS_output.c_str(),
              version.c_str(), watch.seconds());
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "write the node embeddings of a training run to an embedding store\n"
      "  halo-embed --run_dir runs/cora-2parts --output out/cora-embeddings");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  halo::core::SetLogTag("halo-embed");
  if (argc > 1) {
    std::fprintf(stderr, "halo-embed: error: unexpected argument '%s'\n", argv[1]);
    return 1;
  }
  const Status s = Embed();
  if (!s.ok()) {
    std::fprintf(stderr, "halo-embed: error: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
