// halo-train: trains a GNN on one part of a partitioned graph: alone, or as one rank of a
// distributed run started by halo-launch (docs/halo-train.md, docs/halo-launch.md).
// Usage: halo-train --config configs/cora-gcn.yaml [--partition_dir D] [--output_dir O]
//                   [--set key=value[,key=value...]] [--resume]
#include <gflags/gflags.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/file_reader.h"
#include "core/logging.h"
#include "core/overrides.h"
#include "trainer/config.h"
#include "trainer/trainer.h"

DEFINE_string(config, "", "YAML training config (configs/*.yaml)");
DEFINE_string(partition_dir, "", "Partition directory (overrides dataset.partition_dir)");
DEFINE_string(output_dir, "", "Output directory (overrides output_dir)");
DEFINE_string(set, "", "Config overrides: key=value[,key=value...], e.g. model.hidden=32");
DEFINE_bool(resume, false, "Continue from the newest checkpoint in the output directory");
// Set by halo-launch for each rank of a distributed run.
DEFINE_int32(rank, 0, "This trainer's rank");
DEFINE_int32(world_size, 1, "Number of trainers in the run");
DEFINE_string(coordinator, "", "Coordinator endpoint (tcp://host:port) of a distributed run");
DEFINE_string(host, "local", "Name of this host (for messages)");
DEFINE_string(host_address, "127.0.0.1", "Address of this host, where collectives listen");
DEFINE_int32(part, -1, "Part to train (overrides dataset.part)");
DEFINE_int32(part_rank, 0, "This trainer's index among the trainers of its part");
DEFINE_int32(part_trainers, 1, "Number of trainers of this part");
DEFINE_string(store_endpoints, "", "halo-store endpoint of every part, comma-separated");
DEFINE_int32(cuda_device, -1, "CUDA device of this trainer (-1: the default device)");
DEFINE_string(ps_endpoints, "", "halo-ps shard endpoints, comma-separated, in shard order");

namespace {

std::vector<std::string> SplitCommas(const std::string& text) {
  if (text.empty()) return {};
  std::vector<std::string_view> fields;
  halo::core::SplitFields(text, ',', &fields);
  return std::vector<std::string>(fields.begin(), fields.end());
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a launcher that went away must not kill us mid-checkpoint
  gflags::SetUsageMessage("train a GNN on one part\n  halo-train --config configs/cora-gcn.yaml");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_cuda_device >= 0) {
    // Before any CUDA call: the chosen GPU becomes this process's device 0.
    setenv("CUDA_VISIBLE_DEVICES", std::to_string(FLAGS_cuda_device).c_str(), 1);
  }
  halo::core::SetLogTag(FLAGS_world_size > 1 ? "halo-train[" + std::to_string(FLAGS_rank) + "]"
                                             : std::string("halo-train"));
  auto fail = [](const std::string& m) {
    std::fprintf(stderr, "halo-train: error: %s\n", m.c_str());
    return 1;
  };
  if (argc > 1) return fail(std::string("unexpected argument '") + argv[1] + "'");
  std::vector<std::string> overrides = halo::core::SplitOverrides(FLAGS_set);
  if (!FLAGS_partition_dir.empty())
    overrides.push_back("dataset.partition_dir=" + FLAGS_partition_dir);
  if (!FLAGS_output_dir.empty()) overrides.push_back("output_dir=" + FLAGS_output_dir);
  if (FLAGS_part >= 0) overrides.push_back("dataset.part=" + std::to_string(FLAGS_part));
  auto config = halo::trainer::LoadTrainConfig(FLAGS_config, overrides);
  if (!config.ok()) return fail(config.status().message());
  halo::trainer::DistOptions dist;
  dist.rank = FLAGS_rank;
  dist.world_size = FLAGS_world_size;
  dist.coordinator = FLAGS_coordinator;
  dist.host = FLAGS_host;
  dist.host_address = FLAGS_host_address;
  dist.part_rank = FLAGS_part_rank;
  dist.part_trainers = FLAGS_part_trainers;
  dist.store_endpoints = SplitCommas(FLAGS_store_endpoints);
  dist.ps_endpoints = SplitCommas(FLAGS_ps_endpoints);
  dist.resume = FLAGS_resume;
  auto trainer = halo::trainer::Trainer::Create(config.value(), dist);
  if (!trainer.ok()) return fail(trainer.status().message());
  auto result = trainer.value()->Run();
  if (!result.ok()) return fail(result.status().message());
  if (!dist.distributed()) std::printf("%s", result.value().ToJson().c_str());
  return 0;
}
