// Helpers for tests that run halo-launch as a real process: a cluster config writer, a running
// halo-launch with both output streams captured (waits are on lines or on its exit, with
// deadlines), and a check that a process is gone.
//
//   LaunchSpec spec;
//   spec.partition_dir = cora.dir;  spec.output_dir = tmp.File("run");
//   LaunchHost a;  a.name = "a";  a.stores = {0, 1};  a.trainers = 2;
//   spec.hosts = {a};
//   spec.train_yaml = "{train: {epochs: 3}}";
//   WriteTextFile(tmp.File("cluster.yaml"), LaunchConfigYaml(spec));
//   LaunchProcess launch({"--config=" + tmp.File("cluster.yaml")});
//   ASSERT_EQ(launch.Wait(std::chrono::seconds(120)), 0) << launch.err();
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "launch/child_process.h"

namespace halo::testing {

struct LaunchHost {
  std::string name;
  std::string address = "127.0.0.1";
  std::string exec = "local";
  std::string prefix;
  std::vector<int> stores;
  int trainers = 0;
  std::vector<int> gpus;
};

struct LaunchSpec {
  std::string partition_dir;
  std::string output_dir;
  std::vector<LaunchHost> hosts;
  std::string store_binary;    // "": the real halo-store next to halo-launch
  std::string trainer_binary;  // "": the real halo-train
  std::string ps_binary;       // "": the real halo-ps
  int ps_shards = 0;           // > 0: a ps: section with this many halo-ps shards
  int ps_threads = 3;
  double store_ready_s = 60;
  double rendezvous_s = 60;
  double heartbeat_s = 30;
  double shutdown_s = 5;
  std::string train_yaml = "{}";  // the train: section (YAML, flow style is fine)
  std::string extra_yaml;         // appended at the top level, e.g. "coordinator: {port: 7000}\n"
};

// The cluster config for `spec` (docs/halo-launch.md schema).
std::string LaunchConfigYaml(const LaunchSpec& spec);

class LaunchProcess {
 public:
  // Starts <bin>/halo-launch with `args`; `env` entries ("NAME=value") are added to its
  // environment.
  explicit LaunchProcess(const std::vector<std::string>& args,
                         const std::vector<std::string>& env = {});
  ~LaunchProcess();  // kills halo-launch if it still runs

  pid_t pid() const;
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  // Waits until a complete line containing `text` has arrived on `stream` (true), or the
  // deadline passes or halo-launch exits without one (false).
  bool WaitForLine(launch::Stream stream, const std::string& text,
                   std::chrono::milliseconds timeout);
  // Waits for halo-launch to exit: its exit code (128 + signal when killed), or nullopt on
  // timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  void Signal(int signo);
  // The pids of the processes halo-launch started (its "started ...: pid N" lines).
  std::vector<pid_t> StartedPids() const;

 private:
  // Reads what arrives within `timeout_ms`; returns false once both streams are closed.
  bool ReadSome(int timeout_ms);

  std::unique_ptr<launch::ChildProcess> child_;
  std::string out_, err_;
  std::optional<int> exit_code_;
};

// Whether `pid` is a live process (a zombie or a missing pid is not).
bool ProcessAlive(pid_t pid);
// Waits until `pid` is gone (exited, zombie or missing): true, or false after `timeout`.
bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout);

}  // namespace halo::testing
