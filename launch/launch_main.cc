// halo-launch: runs a distributed training job described by one YAML file: the coordinator,
// one halo-store per part, the halo-ps shards and the halo-train processes on every host, with
// their output multiplexed, and everything stopped when one fails. Usage: docs/halo-launch.md.
#include <gflags/gflags.h>
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <string>

#include "core/logging.h"
#include "core/overrides.h"
#include "core/partition_book.h"
#include "launch/config.h"
#include "launch/launcher.h"
#include "launch/plan.h"
#include "trainer/config.h"

DEFINE_string(config, "", "Cluster config (YAML, see docs/halo-launch.md)");
DEFINE_string(partition_dir, "", "Partition directory (overrides partition_dir)");
DEFINE_string(output_dir, "", "Output directory (overrides output_dir)");
DEFINE_string(set, "",
              "Config overrides: key=value[,key=value...], e.g. "
              "hosts.0.trainers=4,train.train.epochs=3 (list elements by index or host name)");
DEFINE_bool(dry_run, false, "Print the plan (every process and its command line) and exit");
DEFINE_bool(resume, false,
            "Pass --resume to every trainer (continue from the checkpoint), and --restore to the "
            "ps shards when their snapshot directory holds a snapshot");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "halo-launch: error: %s\n", message.c_str());
  return 1;
}

// The directory holding this executable (the default bin_dir).
std::string SelfDir(const char* argv0) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0, ec);
  return self.parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  // Before the coordinator's threads exist, so that every thread inherits the mask and the
  // launcher alone reads these signals (launch/launcher.h); children get default dispositions.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  gflags::SetUsageMessage(
      "run a distributed training job (stores, ps shards, trainers, coordinator) from one YAML "
      "file\n"
      "  halo-launch --config cluster.yaml\n"
      "  halo-launch --config cluster.yaml --set hosts.b.trainers=4,train.train.epochs=3 "
      "--dry_run");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  halo::core::SetLogTag("halo-launch");
  if (argc > 1) return Fail(std::string("unexpected argument '") + argv[1] + "'");
  if (FLAGS_config.empty()) return Fail("--config is required (see --help)");

  std::vector<std::string> overrides = halo::core::SplitOverrides(FLAGS_set);
  if (!FLAGS_partition_dir.empty()) overrides.push_back("partition_dir=" + FLAGS_partition_dir);
  if (!FLAGS_output_dir.empty()) overrides.push_back("output_dir=" + FLAGS_output_dir);
  auto config = halo::launch::LoadLaunchConfig(FLAGS_config, overrides);
  if (!config.ok()) return Fail(config.status().message());
  halo::core::Status resolved =
      halo::launch::ResolveLaunchConfig(&config.value(), SelfDir(argv[0]));
  if (!resolved.ok()) return Fail(resolved.message());
  auto meta = halo::core::ReadPartitionMeta(config->partition_dir);
  if (!meta.ok()) {
    return Fail(config->Where("partition_dir") + "partition_dir: " + meta.status().message());
  }
  auto plan = halo::launch::BuildPlan(config.value(), meta->num_parts);
  if (!plan.ok()) return Fail(plan.status().message());
  // The train: section is halo-train's config: check it here, before anything starts, so a bad
  // key fails now with its name rather than in every rank after the stores came up. (A
  // trainer_binary of the user's own reads its own keys.)
  if (std::filesystem::path(config->trainer_binary).filename() == "halo-train") {
    std::vector<std::string> unused_warnings;
    auto train_yaml = halo::launch::TrainConfigYaml(config.value(), &unused_warnings);
    if (!train_yaml.ok()) return Fail(train_yaml.status().message());
    auto train = halo::trainer::ParseTrainConfig(*train_yaml, config->Where("train") + "train");
    if (!train.ok()) return Fail(train.status().message());
    const halo::core::Status valid = halo::trainer::ValidateTrainConfig(*train);
    if (!valid.ok()) return Fail(config->Where("train") + "train: " + valid.message());
  }

  halo::launch::LaunchOptions options;
  options.resume = FLAGS_resume;
  options.interactive = isatty(STDERR_FILENO) == 1;
  if (FLAGS_dry_run) {
    auto text = halo::launch::DescribePlan(config.value(), plan.value(), options);
    if (!text.ok()) return Fail(text.status().message());
    std::fputs(text->c_str(), stdout);
    return 0;
  }

  halo::launch::Launcher launcher(std::move(config).value(), std::move(plan).value(), options);
  const halo::launch::RunOutcome outcome = launcher.Run();
  if (outcome.signal != 0) {
    std::fprintf(stderr, "halo-launch: %s\n", outcome.status.message().c_str());
  } else if (!outcome.status.ok()) {
    Fail(outcome.status.message());
  }
  return outcome.ExitCode();
}
