#include "tests/launch/launch_harness.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tests/test_util.h"

namespace halo::testing {

using Clock = std::chrono::steady_clock;

std::string LaunchConfigYaml(const LaunchSpec& spec) {
  std::ostringstream y;
  y << "partition_dir: " << spec.partition_dir << "\n";
  y << "output_dir: " << spec.output_dir << "\n";
  if (!spec.store_binary.empty()) y << "store_binary: " << spec.store_binary << "\n";
  if (!spec.trainer_binary.empty()) y << "trainer_binary: " << spec.trainer_binary << "\n";
  if (!spec.ps_binary.empty()) y << "ps_binary: " << spec.ps_binary << "\n";
  if (spec.ps_shards > 0) {
    y << "ps: {shards: " << spec.ps_shards << ", threads: " << spec.ps_threads << "}\n";
  }
  y << "timeouts: {store_ready_s: " << spec.store_ready_s << ", rendezvous_s: " << spec.rendezvous_s
    << ", heartbeat_s: " << spec.heartbeat_s << ", shutdown_s: " << spec.shutdown_s << "}\n";
  y << "store: {mem_budget_mb: 64, threads: 2}\n";
  y << "hosts:\n";
  for (const LaunchHost& h : spec.hosts) {
    y << "  - name: " << h.name << "\n";
    y << "    address: " << h.address << "\n";
    y << "    exec: " << h.exec << "\n";
    if (!h.prefix.empty()) y << "    prefix: \"" << h.prefix << "\"\n";
    y << "    stores: [";
    for (size_t i = 0; i < h.stores.size(); ++i) y << (i ? ", " : "") << h.stores[i];
    y << "]\n";
    y << "    trainers: " << h.trainers << "\n";
    y << "    gpus: [";
    for (size_t i = 0; i < h.gpus.size(); ++i) y << (i ? ", " : "") << h.gpus[i];
    y << "]\n";
  }
  y << "train: " << spec.train_yaml << "\n";
  y << spec.extra_yaml;
  return y.str();
}

LaunchProcess::LaunchProcess(const std::vector<std::string>& args,
                             const std::vector<std::string>& env) {
  std::vector<std::string> argv = {BinDir() + "/halo-launch"};
  argv.insert(argv.end(), args.begin(), args.end());
  launch::SpawnOptions options;
  options.env = env;
  options.parent_death_signal = SIGKILL;
  auto child = launch::ChildProcess::Spawn(argv, options);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  if (child.ok()) child_ = std::move(child).value();
}

LaunchProcess::~LaunchProcess() = default;  // ChildProcess kills and reaps

pid_t LaunchProcess::pid() const { return child_ ? child_->pid() : -1; }

bool LaunchProcess::ReadSome(int timeout_ms) {
  if (!child_) return false;
  std::vector<pollfd> fds;
  std::vector<launch::Stream> streams;
  for (launch::Stream s : {launch::kStdout, launch::kStderr}) {
    if (child_->fd(s) >= 0) {
      fds.push_back({child_->fd(s), POLLIN, 0});
      streams.push_back(s);
    }
  }
  if (fds.empty()) return false;
  poll(fds.data(), fds.size(), timeout_ms);
  for (size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents == 0) continue;
    std::vector<std::string> lines;
    child_->Read(streams[i], &lines);
    std::string& sink = streams[i] == launch::kStdout ? out_ : err_;
    for (const std::string& l : lines) sink += l + "\n";
  }
  return true;
}

bool LaunchProcess::WaitForLine(launch::Stream stream, const std::string& text,
                                std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string& sink = stream == launch::kStdout ? out_ : err_;
  while (true) {
    if (sink.find(text) != std::string::npos) return true;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    if (!ReadSome(static_cast<int>(left))) return sink.find(text) != std::string::npos;
  }
}

std::optional<int> LaunchProcess::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  if (!child_) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  // Its output streams close when it exits (its children have pipes of their own).
  while (ReadSome(static_cast<int>(std::max<int64_t>(
      0,
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count())))) {
    if (Clock::now() >= deadline) return std::nullopt;
  }
  // Streams closed: the exit follows. Wait for it through a pidfd, bounded by the deadline.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child_->pid(), 0));
  if (pidfd >= 0) {
    pollfd pfd{pidfd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    poll(&pfd, 1, static_cast<int>(std::max<int64_t>(0, left)));
    close(pidfd);
  }
  if (!child_->Poll()) return std::nullopt;
  exit_code_ = child_->exit_code();
  return exit_code_;
}

void LaunchProcess::Signal(int signo) {
  if (child_ && !child_->exited()) kill(child_->pid(), signo);
}

std::vector<pid_t> LaunchProcess::StartedPids() const {
  // Lines "[I ... halo-launch] started <what> [<label>]: pid N".
  std::vector<pid_t> pids;
  std::istringstream lines(err_);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t started = line.find("halo-launch] started ");
    const size_t pid = line.rfind(": pid ");
    if (started == std::string::npos || pid == std::string::npos) continue;
    pids.push_back(static_cast<pid_t>(std::stol(line.substr(pid + 6))));
  }
  return pids;
}

bool ProcessAlive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t paren = content.rfind(')');
  if (paren == std::string::npos || paren + 2 >= content.size()) return false;
  return content[paren + 2] != 'Z';
}

}  // namespace halo::testing

namespace halo::testing {

bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  if (!ProcessAlive(pid)) return true;
  // A pidfd becomes readable when the process terminates (any process, not only a child).
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return !ProcessAlive(pid);
  pollfd pfd{pidfd, POLLIN, 0};
  poll(&pfd, 1, static_cast<int>(timeout.count()));
  close(pidfd);
  return !ProcessAlive(pid);
}

}  // namespace halo::testing
