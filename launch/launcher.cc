#include "launch/launcher.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>

#include "core/fs.h"
#include "core/logging.h"
#include "launch/child_process.h"
#include "launch/executor.h"
#include "launch/run_monitor.h"
#include "net/coordinator.h"

namespace halo::launch {

using core::Result;
using core::Status;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kPollMs = 100;  // upper bound between heartbeat checks and deadline checks

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", s);
  return buf;
}

std::string SignalName(int sig) {
  return sig == SIGINT    ? "SIGINT"
         : sig == SIGTERM ? "SIGTERM"
         : sig == SIGHUP  ? "SIGHUP"
                          : "signal " + std::to_string(sig);
}

// A server's ready line -> its endpoint: "halo-store: part P serving on tcp://ADDR:PORT" for
// the store of part P, "halo-ps: shard S serving on tcp://ADDR:PORT" for ps shard S.
std::optional<std::string> ParseReady(const ProcessSpec& spec, const std::string& line) {
  const std::string prefix = spec.role == Role::kPs
                                 ? "halo-ps: shard " + std::to_string(spec.shard) + " serving on "
                                 : "halo-store: part " + std::to_string(spec.part) + " serving on ";
  if (line.rfind(prefix, 0) != 0) return std::nullopt;
  std::string endpoint = line.substr(prefix.size());
  while (!endpoint.empty() && std::isspace(static_cast<unsigned char>(endpoint.back()))) {
    endpoint.pop_back();
  }
  if (endpoint.empty()) return std::nullopt;
  return endpoint;
}

}  // namespace

class Launcher::Impl {
 public:
  Impl(LaunchConfig config, LaunchPlan plan, LaunchOptions options)
      : config_(std::move(config)), plan_(std::move(plan)), options_(options), monitor_(plan_) {}

  ~Impl() {
    if (signal_fd_ >= 0) close(signal_fd_);
  }

  RunOutcome Run();

 private:
  struct Proc {
    ProcessSpec spec;
    std::unique_ptr<ChildProcess> child;
    Clock::time_point started;
    bool ready = false;  // stores and ps shards: the ready line was seen
    std::string endpoint;
    bool done = false;  // its exit has been handled
  };

  Status Prepare();
  Status CheckBinaries() const;
  Status Start(Proc* proc, const std::vector<std::string>& command);
  // Waits until every one of `servers` has printed its ready line, within
  // timeouts.store_ready_s of now.
  void WaitForReady(const std::vector<Proc*>& servers);
  // Starts `procs` (stores or ps shards) with their commands; false after a failure.
  bool StartServers(const std::vector<ProcessSpec>& specs,
                    std::vector<std::unique_ptr<Proc>>* procs, bool restore);
  void Supervise();
  void StopAll(const std::vector<Proc*>& procs, const std::string& what);
  void Pump(int timeout_ms);
  void HandleLine(Proc* proc, Stream stream, const std::string& line);
  void HandleExit(Proc* proc);
  void CheckHeartbeats();
  void Fail(const std::string& message);
  static bool Running(const std::vector<Proc*>& procs);
  static std::vector<Proc*> Pointers(const std::vector<std::unique_ptr<Proc>>& procs);
  void Print(Stream stream, const std::string& text);
  void Log(const std::string& text);
  void RedrawStatus();
  void ClearStatus();
  void OpenSignalFd();
  void ReadSignals();

  LaunchConfig config_;
  LaunchPlan plan_;
  LaunchOptions options_;
  RunMonitor monitor_;
  net::CoordinatorServer coordinator_;
  std::vector<std::unique_ptr<Proc>> stores_;
  std::vector<std::unique_ptr<Proc>> ps_;
  std::vector<std::unique_ptr<Proc>> trainers_;
  Clock::time_point start_ = Clock::now();
  std::optional<std::string> failure_;
  int stop_signal_ = 0;
  bool hurry_ = false;     // a second stop signal: skip the grace period
  bool stopping_ = false;  // exits are expected now
  int signal_fd_ = -1;
  std::string status_line_;
  bool status_drawn_ = false;
  Clock::time_point status_drawn_at_;
};

Launcher::Launcher(LaunchConfig config, LaunchPlan plan, LaunchOptions options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(plan), options)) {}
Launcher::~Launcher() = default;
RunOutcome Launcher::Run() { return impl_->Run(); }

void Launcher::Impl::OpenSignalFd() {
  sigset_t blocked;
  sigemptyset(&blocked);
  pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
  sigset_t watch;
  sigemptyset(&watch);
  bool any = false;
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) {
    if (sigismember(&blocked, s) == 1) {
      sigaddset(&watch, s);
      any = true;
    }
  }
  if (any) signal_fd_ = signalfd(-1, &watch, SFD_NONBLOCK | SFD_CLOEXEC);
}

void Launcher::Impl::ReadSignals() {
  signalfd_siginfo info;
  while (signal_fd_ >= 0 && read(signal_fd_, &info, sizeof(info)) == sizeof(info)) {
    const int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGCHLD) continue;  // only wakes the loop
    if (stop_signal_ == 0) {
      stop_signal_ = sig;
      Log("received " + SignalName(sig) + ": stopping every process");
    } else if (!hurry_) {
      hurry_ = true;
      Log("received " + SignalName(sig) + " again: killing every process now");
    }
  }
}

void Launcher::Impl::Print(Stream stream, const std::string& text) {
  ClearStatus();
  FILE* f = stream == kStdout ? stdout : stderr;
  std::fwrite(text.data(), 1, text.size(), f);
  std::fputc('\n', f);
  std::fflush(f);
}

void Launcher::Impl::Log(const std::string& text) {
  ClearStatus();
  HALO_LOG(Info) << text;
}

void Launcher::Impl::ClearStatus() {
  if (!status_drawn_) return;
  core::DrawProgressLine("");  // erases the live line
  status_drawn_ = false;
}

void Launcher::Impl::RedrawStatus() {
  if (!options_.interactive || status_line_.empty() || stopping_) return;
  // Redraw after other output, and once a second for the clock.
  if (status_drawn_ && SecondsSince(status_drawn_at_) < 1.0) return;
  core::DrawProgressLine(monitor_.StatusLine(SecondsSince(start_)));
  status_drawn_ = true;
  status_drawn_at_ = Clock::now();
}

void Launcher::Impl::Fail(const std::string& message) {
  if (failure_ || stopping_) return;
  failure_ = message;
  Log("error: " + message + "; stopping every process");
}

bool Launcher::Impl::Running(const std::vector<Proc*>& procs) {
  for (const Proc* p : procs) {
    if (p->child && !p->done) return true;
  }
  return false;
}

std::vector<Launcher::Impl::Proc*> Launcher::Impl::Pointers(
    const std::vector<std::unique_ptr<Proc>>& procs) {
  std::vector<Proc*> out;
  for (const auto& p : procs) out.push_back(p.get());
  return out;
}

Status Launcher::Impl::CheckBinaries() const {
  bool local = false;
  for (const HostConfig& h : config_.hosts) local = local || h.exec != "ssh";
  if (!local) return Status::OK();  // remote paths cannot be checked from here
  for (const auto& [binary, key] : {std::pair{config_.store_binary, "store_binary"},
                                    std::pair{config_.trainer_binary, "trainer_binary"},
                                    std::pair{config_.ps_binary, "ps_binary"}}) {
    if (binary == config_.ps_binary && plan_.ps_shards.empty()) continue;
    Result<std::string> found = FindExecutable(binary);
    if (!found.ok()) {
      return Status::NotFound(found.status().message() + " (set bin_dir or " + key + ")");
    }
  }
  return Status::OK();
}

Status Launcher::Impl::Prepare() {
  HALO_RETURN_IF_ERROR(CheckBinaries());
  HALO_RETURN_IF_ERROR(core::MakeDirs(config_.output_dir));
  std::vector<std::string> warnings;
  HALO_ASSIGN_OR_RETURN(std::string train_yaml, TrainConfigYaml(config_, &warnings));
  for (const std::string& w : warnings) Log("warning: " + w);
  HALO_RETURN_IF_ERROR(core::WriteFileAtomic(TrainConfigPath(config_), train_yaml));
  HALO_RETURN_IF_ERROR(core::WriteFileAtomic(
      config_.output_dir + "/launch.yaml",
      "# Resolved by halo-launch from " +
          (config_.config_path.empty() ? std::string("defaults") : config_.config_path) +
          "; run it again with halo-launch --config <this file>.\n" + LaunchConfigToYaml(config_)));
  // A result.json present after the run always belongs to this run.
  std::error_code ec;
  std::filesystem::remove(config_.output_dir + "/result.json", ec);
  return Status::OK();
}

Status Launcher::Impl::Start(Proc* proc, const std::vector<std::string>& command) {
  const HostConfig& host = config_.hosts[static_cast<size_t>(proc->spec.host)];
  HALO_ASSIGN_OR_RETURN(std::vector<std::string> argv, HostCommand(host, command));
  SpawnOptions options;
  options.stdin_pipe = NeedsStdinPipe(host);
  // A launcher that dies abruptly takes its local children along; ssh and prefix commands get
  // SIGTERM, which ssh and sudo-like wrappers pass on.
  options.parent_death_signal = host.exec == "local" ? SIGKILL : SIGTERM;
  Result<std::unique_ptr<ChildProcess>> child = ChildProcess::Spawn(argv, options);
  if (!child.ok()) {
    return Status(child.status().code(),
                  "cannot start " + proc->spec.Describe() + ": " + child.status().message());
  }
  proc->child = std::move(child).value();
  proc->started = Clock::now();
  Log("started " + proc->spec.Describe() + " [" + proc->spec.Label() + "]: pid " +
      std::to_string(proc->child->pid()));
  return Status::OK();
}

void Launcher::Impl::HandleLine(Proc* proc, Stream stream, const std::string& line) {
  const ProcessSpec& spec = proc->spec;
  if (spec.role != Role::kTrainer && stream == kStdout && !proc->ready) {
    if (std::optional<std::string> endpoint = ParseReady(spec, line)) {
      proc->ready = true;
      proc->endpoint = *endpoint;
    }
  }
  if (spec.role == Role::kTrainer && stream == kStdout) {
    Result<RunMonitor::LineKind> kind = monitor_.OnLine(spec.rank, line);
    if (!kind.ok()) {
      Log("warning: " + kind.status().message());
    } else if (kind.value() == RunMonitor::LineKind::kProgress) {
      status_line_ = monitor_.StatusLine(SecondsSince(start_));
      if (options_.interactive) {
        status_drawn_at_ = {};  // redraw at the end of this round
      } else if (spec.rank == 0) {
        Print(kStdout, "[progress] " + status_line_);
      }
      return;
    }
  }
  Print(stream, "[" + spec.Label() + "] " + line);
}

void Launcher::Impl::HandleExit(Proc* proc) {
  proc->done = true;
  const ProcessSpec& spec = proc->spec;
  ChildProcess& c = *proc->child;
  if (spec.role == Role::kTrainer) monitor_.OnExit(spec.rank, c.exit_code());
  if (stopping_) {
    if (!c.succeeded() && spec.role != Role::kTrainer) {
      Log(spec.Describe() + " " + c.DescribeExit() + " on shutdown");
    }
    return;
  }
  if (spec.role != Role::kTrainer) {  // servers run until the launcher stops them
    Fail(spec.Describe() + " " + c.DescribeExit() +
         (proc->ready ? " while the run was going" : " before it was ready"));
    return;
  }
  if (!c.succeeded()) {
    Fail(spec.Describe() + " " + c.DescribeExit());
    return;
  }
  Log(spec.Describe() + " finished");
}

void Launcher::Impl::Pump(int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<std::pair<Proc*, Stream>> owners;
  if (signal_fd_ >= 0) fds.push_back({signal_fd_, POLLIN, 0});
  auto all = [this](auto&& fn) {
    for (auto& p : stores_) fn(p.get());
    for (auto& p : ps_) fn(p.get());
    for (auto& p : trainers_) fn(p.get());
  };
  all([&](Proc* p) {
    if (!p->child) return;
    for (Stream s : {kStdout, kStderr}) {
      if (p->child->fd(s) >= 0) {
        fds.push_back({p->child->fd(s), POLLIN, 0});
        owners.emplace_back(p, s);
      }
    }
  });
  const int n = poll(fds.data(), fds.size(), timeout_ms);
  if (n > 0) {
    size_t i = 0;
    if (signal_fd_ >= 0) {
      if (fds[0].revents != 0) ReadSignals();
      i = 1;
    }
    std::vector<std::string> lines;
    for (size_t k = 0; i < fds.size(); ++i, ++k) {
      if (fds[i].revents == 0) continue;
      auto [proc, stream] = owners[k];
      lines.clear();
      proc->child->Read(stream, &lines);
      for (const std::string& line : lines) HandleLine(proc, stream, line);
    }
  }
  // Exits, after the output that came before them.
  all([&](Proc* p) {
    if (!p->child || p->done || !p->child->Poll()) return;
    std::vector<std::string> lines;
    for (Stream s : {kStdout, kStderr}) {
      lines.clear();
      p->child->Read(s, &lines);
      for (const std::string& line : lines) HandleLine(p, s, line);
    }
    HandleExit(p);
  });
  RedrawStatus();
}

void Launcher::Impl::CheckHeartbeats() {
  const Timeouts& t = config_.timeouts;
  for (auto& p : trainers_) {
    if (p->done) continue;
    const std::string key = "heartbeat/" + std::to_string(p->spec.rank);
    const std::optional<double> age = coordinator_.SecondsSinceSet(key);
    if (age) {
      if (t.heartbeat_s > 0 && *age > t.heartbeat_s) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.1f", *age);
        Fail(p->spec.Describe() + " sent no heartbeat for " + buf +
             " s (timeouts.heartbeat_s = " + Seconds(t.heartbeat_s) + ")");
        return;
      }
    } else if (t.rendezvous_s > 0 && SecondsSince(p->started) > t.rendezvous_s) {
      Fail(p->spec.Describe() + " sent no heartbeat to the coordinator within " +
           Seconds(t.rendezvous_s) + " s of its start (timeouts.rendezvous_s)");
      return;
    }
  }
}

bool Launcher::Impl::StartServers(const std::vector<ProcessSpec>& specs,
                                  std::vector<std::unique_ptr<Proc>>* procs, bool restore) {
  for (const ProcessSpec& spec : specs) {
    procs->push_back(std::make_unique<Proc>());
    procs->back()->spec = spec;
    Status s =
        Start(procs->back().get(), spec.role == Role::kPs ? PsCommand(config_, plan_, spec, restore)
                                                          : StoreCommand(config_, spec));
    if (!s.ok()) {
      Fail(s.message());
      return false;
    }
  }
  return true;
}

void Launcher::Impl::WaitForReady(const std::vector<Proc*>& servers) {
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(config_.timeouts.store_ready_s));
  while (!failure_ && stop_signal_ == 0) {
    const auto waiting =
        std::find_if(servers.begin(), servers.end(), [](const Proc* p) { return !p->ready; });
    if (waiting == servers.end()) return;
    if (Clock::now() >= deadline) {
      const ProcessSpec& spec = (*waiting)->spec;
      Fail((spec.role == Role::kPs ? "ps shard " + std::to_string(spec.shard)
                                   : "store of part " + std::to_string(spec.part)) +
           " on host " + spec.host_name + " not ready within " +
           Seconds(config_.timeouts.store_ready_s) + " s (timeouts.store_ready_s)");
      return;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    Pump(static_cast<int>(std::clamp<int64_t>(left.count() + 1, 0, kPollMs)));
  }
  // failure_ / stop_signal_ say why it stopped.
}

void Launcher::Impl::Supervise() {
  const std::vector<Proc*> trainers = Pointers(trainers_);
  while (!failure_ && stop_signal_ == 0 && Running(trainers)) {
    Pump(kPollMs);
    if (!failure_ && stop_signal_ == 0) CheckHeartbeats();
  }
}

void Launcher::Impl::StopAll(const std::vector<Proc*>& procs, const std::string& what) {
  stopping_ = true;
  ClearStatus();
  int running = 0;
  for (Proc* p : procs) {
    if (!p->child || p->done) continue;
    p->child->SignalGroup(SIGTERM);
    p->child->CloseStdin();
    ++running;
  }
  if (running > 0) Log("stopping " + std::to_string(running) + " " + what + " (SIGTERM)");
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(config_.timeouts.shutdown_s));
  while (Running(procs) && !hurry_ && Clock::now() < deadline) Pump(kPollMs);
  bool killed = false;
  for (Proc* p : procs) {
    if (!p->child || p->done) continue;
    if (!killed) {
      Log(std::string(hurry_ ? ""
                             : "still running after timeouts.shutdown_s = " +
                                   Seconds(config_.timeouts.shutdown_s) + " s; ") +
          "sending SIGKILL");
    }
    killed = true;
    p->child->SignalGroup(SIGKILL);
  }
  // SIGKILL is final; only a process stuck in the kernel outlives it for long. Do not wait
  // forever for one (its ChildProcess reaps it at destruction).
  const auto kill_deadline = Clock::now() + std::chrono::seconds(30);
  while (Running(procs) && Clock::now() < kill_deadline) Pump(kPollMs);
  for (Proc* p : procs) {
    if (p->child && !p->done) Log("warning: " + p->spec.Describe() + " survives SIGKILL");
  }
  // Anything a child left in its process group goes too (the group of a reaped leader keeps its
  // id until its last member is gone, so this reaches only our processes).
  for (Proc* p : procs) {
    if (p->child) p->child->SignalGroup(SIGKILL);
  }
}

RunOutcome Launcher::Impl::Run() {
  start_ = Clock::now();
  OpenSignalFd();
  RunOutcome outcome;
  Status prepared = Prepare();
  if (!prepared.ok()) {
    outcome.status = prepared;
    return outcome;
  }
  Status served = coordinator_.Start(plan_.coordinator_bind);
  if (!served.ok()) {
    outcome.status = Status(served.code(), "cannot serve the coordinator on " +
                                               plan_.coordinator_bind + ": " + served.message());
    return outcome;
  }
  Log("coordinator serving on " + coordinator_.endpoint() + "; " + std::to_string(plan_.num_parts) +
      " stores, " +
      (plan_.ps_shards.empty() ? "" : std::to_string(plan_.ps_shards.size()) + " ps shards, ") +
      std::to_string(plan_.world_size) + " trainers, outputs in " + config_.output_dir);
  coordinator_.Set("plan/world_size", std::to_string(plan_.world_size));
  for (const ProcessSpec& t : plan_.trainers) {
    coordinator_.Set("plan/rank/" + std::to_string(t.rank) + "/host", t.host_name);
  }

  // Stores, then ps shards (each set within timeouts.store_ready_s), then trainers.
  if (StartServers(plan_.stores, &stores_, false)) WaitForReady(Pointers(stores_));
  if (!failure_ && stop_signal_ == 0 && !plan_.ps_shards.empty()) {
    const bool restore = PsRestore(config_, options_.resume);
    Log("all " + std::to_string(stores_.size()) + " stores ready; starting " +
        std::to_string(plan_.ps_shards.size()) + " ps shards" +
        (restore ? " from the latest snapshot in " + config_.ps.snapshot_dir : ""));
    if (StartServers(plan_.ps_shards, &ps_, restore)) WaitForReady(Pointers(ps_));
  }
  if (!failure_ && stop_signal_ == 0) {
    std::vector<std::string> endpoints, ps_endpoints;
    for (const auto& s : stores_) endpoints.push_back(s->endpoint);
    for (const auto& s : ps_) ps_endpoints.push_back(s->endpoint);
    Log("all " + std::to_string(stores_.size()) + " stores" +
        (ps_.empty() ? "" : " and " + std::to_string(ps_.size()) + " ps shards") +
        " ready; starting " + std::to_string(plan_.world_size) + " trainers");
    for (const ProcessSpec& spec : plan_.trainers) {
      trainers_.push_back(std::make_unique<Proc>());
      trainers_.back()->spec = spec;
      Status s = Start(trainers_.back().get(),
                       TrainerCommand(config_, plan_, spec, coordinator_.endpoint(), endpoints,
                                      options_.resume, ps_endpoints));
      if (!s.ok()) {
        Fail(s.message());
        break;
      }
    }
    Supervise();
  }

  if (failure_ || stop_signal_ != 0) {
    std::vector<Proc*> all = Pointers(trainers_);
    for (Proc* p : Pointers(stores_)) all.push_back(p);
    for (Proc* p : Pointers(ps_)) all.push_back(p);
    StopAll(all, "processes");
    coordinator_.Stop();
    outcome.signal = stop_signal_;
    outcome.status = failure_ ? Status::Internal(*failure_)
                              : Status::Unavailable("interrupted by " + SignalName(stop_signal_) +
                                                    "; stopped every process");
    return outcome;
  }

  // Every trainer exited 0.
  ClearStatus();
  const std::string final_status = monitor_.StatusLine(SecondsSince(start_));
  if (!final_status.empty()) Log("trainers done: " + final_status);
  std::vector<Proc*> servers = Pointers(stores_);
  for (Proc* p : Pointers(ps_)) servers.push_back(p);
  StopAll(servers, ps_.empty() ? "stores" : "stores and ps shards");
  coordinator_.Stop();
  for (int r : monitor_.MissingResults()) {
    Log("warning: " + plan_.trainers[static_cast<size_t>(r)].Describe() +
        " exited 0 without a halo-result line");
  }
  const double wall = SecondsSince(start_);
  const std::string result_path = config_.output_dir + "/result.json";
  outcome.status =
      core::WriteFileAtomic(result_path, monitor_.ResultJson(config_.output_dir, wall));
  if (outcome.status.ok()) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f", wall);
    Log("done in " + std::string(buf) + " s; results in " + result_path);
  }
  return outcome;
}

Result<std::string> DescribePlan(const LaunchConfig& config, const LaunchPlan& plan,
                                 const LaunchOptions& options) {
  std::string out = "halo-launch: dry run (nothing is started)\n";
  out += "partition " + config.partition_dir + ": " + std::to_string(plan.num_parts) + " parts; " +
         (plan.ps_shards.empty() ? ""
                                 : std::to_string(plan.ps_shards.size()) + " ps shards (" +
                                       "snapshots in " + config.ps.snapshot_dir + "); ") +
         std::to_string(plan.world_size) + " trainers on " + std::to_string(config.hosts.size()) +
         " host(s); coordinator on " + plan.coordinator_bind + "\n";
  out += "writes " + TrainConfigPath(config) + ", " + config.output_dir + "/launch.yaml, " +
         config.output_dir + "/result.json\n";
  std::vector<std::string> endpoints, ps_endpoints;
  for (int p = 0; p < plan.num_parts; ++p) endpoints.push_back("@store:" + std::to_string(p) + "@");
  for (const ProcessSpec& s : plan.ps_shards) {
    ps_endpoints.push_back("@ps:" + std::to_string(s.shard) + "@");
  }
  for (const ProcessSpec& s : plan.stores) {
    HALO_ASSIGN_OR_RETURN(
        std::vector<std::string> argv,
        HostCommand(config.hosts[static_cast<size_t>(s.host)], StoreCommand(config, s)));
    out += "\n[" + s.Label() + "] " + s.Describe() + "\n  " + ShellJoin(argv) + "\n";
  }
  const bool restore = PsRestore(config, options.resume);
  for (const ProcessSpec& s : plan.ps_shards) {
    HALO_ASSIGN_OR_RETURN(std::vector<std::string> argv,
                          HostCommand(config.hosts[static_cast<size_t>(s.host)],
                                      PsCommand(config, plan, s, restore)));
    out += "\n[" + s.Label() + "] " + s.Describe() + "; " + std::to_string(plan.ps_shards.size()) +
           " shards, " + std::to_string(plan.world_size) + " workers\n  " + ShellJoin(argv) + "\n";
  }
  for (const ProcessSpec& t : plan.trainers) {
    HALO_ASSIGN_OR_RETURN(std::vector<std::string> argv,
                          HostCommand(config.hosts[static_cast<size_t>(t.host)],
                                      TrainerCommand(config, plan, t, "@coordinator@", endpoints,
                                                     options.resume, ps_endpoints)));
    out += "\n[" + t.Label() + "] " + t.Describe() + ", trainer " + std::to_string(t.part_rank) +
           " of " + std::to_string(t.part_trainers) + " of its part" +
           (t.cuda_device >= 0 ? ", cuda device " + std::to_string(t.cuda_device) : "") + "\n  " +
           ShellJoin(argv) + "\n";
  }
  return out;
}

}  // namespace halo::launch
