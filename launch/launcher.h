// The launcher: runs a LaunchPlan to completion. It serves the coordinator in-process, starts one
// halo-store per part through each host's executor and waits for their ready lines, then the
// halo-ps shards (if any; --restore with `resume` when a snapshot exists) and theirs, starts the
// trainers with the contract's flags, multiplexes every child's output with "[host/role] "
// prefixes, shows the trainers' progress, watches exits and heartbeats, tears everything down when
// one process fails or the launcher is interrupted, and writes <output_dir>/result.json when every
// trainer succeeds. Behaviour in detail: docs/halo-launch.md.
//
//   HALO_ASSIGN_OR_RETURN(LaunchPlan plan, BuildPlan(config, meta.num_parts));
//   Launcher launcher(config, plan, {.resume = false, .interactive = isatty(2)});
//   RunOutcome outcome = launcher.Run();    // outcome.ExitCode(): 0, 1, or 128 + signal
//
// Signals: Run reads SIGINT, SIGTERM, SIGHUP and SIGCHLD through a signalfd, for those of them the
// caller has blocked in every thread (halo-launch's main blocks them before any thread exists).
// SIGINT, SIGTERM or SIGHUP stops every process (SIGTERM to each process group, SIGKILL after
// timeouts.shutdown_s; a second signal skips the wait). When Run returns, no child is left.
//
// Errors name the process: "rank 1 (host b, part 0) exited with status 137 (killed by signal 9)",
// "store of part 1 on host b not ready within 60 s", "ps shard 1 (host b) exited with status 1
// while the run was going". Stores and ps shards are servers: one exiting at any time fails the
// run; at the end they are stopped with SIGTERM.
//
// Thread-safety: Run is called once, from one thread.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "launch/config.h"
#include "launch/plan.h"

namespace halo::launch {

struct LaunchOptions {
  bool resume = false;       // pass --resume to every trainer (and --restore to ps shards
                             // when ps.snapshot_dir holds a snapshot)
  bool interactive = false;  // draw a live status line on stderr (a terminal)
};

struct RunOutcome {
  core::Status status;  // OK: every trainer exited 0 (result.json written)
  int signal = 0;       // the SIGINT/SIGTERM that stopped the run, if one did
  int ExitCode() const { return signal != 0 ? 128 + signal : status.ok() ? 0 : 1; }
};

class Launcher {
 public:
  // `config` resolved (ResolveLaunchConfig), `plan` from BuildPlan(config, ...).
  Launcher(LaunchConfig config, LaunchPlan plan, LaunchOptions options);
  ~Launcher();
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  RunOutcome Run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The plan as text for --dry_run: every process with its host, role and full command line (as
// its host's executor runs it); endpoints known only at run time appear as @coordinator@,
// @store:P@ and @ps:S@.
core::Result<std::string> DescribePlan(const LaunchConfig& config, const LaunchPlan& plan,
                                       const LaunchOptions& options);

}  // namespace halo::launch
