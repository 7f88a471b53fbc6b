// halo-train: trains a GNN on one part of a partitioned graph (single process).
// Usage: halo-train --config configs/cora-gcn.yaml [--partition_dir D] [--output_dir O]
//                   [--set key=value[,key=value...]]
#include <gflags/gflags.h>

#include <cstdio>

#include "core/logging.h"
#include "trainer/config.h"
#include "trainer/trainer.h"

DEFINE_string(config, "", "YAML training config (configs/*.yaml)");
DEFINE_string(partition_dir, "", "Partition directory (overrides dataset.partition_dir)");
DEFINE_string(output_dir, "", "Output directory (overrides output_dir)");
DEFINE_string(set, "", "Config overrides: key=value[,key=value...], e.g. model.hidden=32");

int main(int argc, char** argv) {
  gflags::SetUsageMessage("train a GNN on one part\n  halo-train --config configs/cora-gcn.yaml");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  halo::core::SetLogTag("halo-train");
  auto fail = [](const std::string& m) {
    std::fprintf(stderr, "halo-train: error: %s\n", m.c_str());
    return 1;
  };
  if (argc > 1) return fail(std::string("unexpected argument '") + argv[1] + "'");
  std::vector<std::string> overrides = halo::trainer::SplitOverrides(FLAGS_set);
  if (!FLAGS_partition_dir.empty())
    overrides.push_back("dataset.partition_dir=" + FLAGS_partition_dir);
  if (!FLAGS_output_dir.empty()) overrides.push_back("output_dir=" + FLAGS_output_dir);
  auto config = halo::trainer::LoadTrainConfig(FLAGS_config, overrides);
  if (!config.ok()) return fail(config.status().message());
  auto trainer = halo::trainer::Trainer::Create(config.value());
  if (!trainer.ok()) return fail(trainer.status().message());
  auto result = trainer.value()->Run();
  if (!result.ok()) return fail(result.status().message());
  std::printf("%s", result.value().ToJson().c_str());
  return 0;
}
