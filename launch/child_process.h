// A child process of the launcher: fork/exec of an argv (no shell), in its own process group so
// that one signal reaches everything it started, with stdout and stderr through non-blocking
// pipes that the caller's poll loop reads line by line, and stdin /dev/null or a pipe the
// launcher holds open (ssh: the remote command is stopped when it closes).
//
//   HALO_ASSIGN_OR_RETURN(auto child, ChildProcess::Spawn({"/bin/halo-store", "--part=0"}));
//   poll on child->fd(kStdout), child->fd(kStderr); child->Read(kStdout, &lines);
//   if (child->Poll()) ... child->DescribeExit() ...;
//   child->SignalGroup(SIGTERM);
//
// Spawn errors (argv[0] not found or not executable, exec failing in the child) are returned,
// naming the program. The destructor SIGKILLs the process group if the child still runs and
// reaps it, so a dropped ChildProcess never leaves a process behind. The parent death signal
// (Linux prctl) also stops local children if the launcher itself dies abruptly.
//
// Thread-safety: one thread uses an object. Spawn is safe with other threads running (only
// async-signal-safe calls between fork and exec).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace halo::launch {

enum Stream { kStdout = 0, kStderr = 1 };

struct SpawnOptions {
  bool stdin_pipe = false;       // else /dev/null
  int parent_death_signal = 0;   // sent to the child when the launcher dies (0: none)
  std::vector<std::string> env;  // "NAME=value" entries added to (or replacing in) the environment
};

class ChildProcess {
 public:
  static core::Result<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                           const SpawnOptions& options = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The read end of a stream, or -1 once it reached EOF.
  int fd(Stream s) const { return fds_[s]; }
  // Reads what is available without blocking; appends complete lines (without the newline).
  // At EOF a partial last line is appended and the fd closed. Lines longer than 1 MiB are split.
  void Read(Stream s, std::vector<std::string>* lines);

  // Reaps the child if it has exited (non-blocking); true once it has.
  bool Poll();
  bool exited() const { return exited_; }
  // After exit: whether it exited with status 0.
  bool succeeded() const;
  // After exit: the exit status, or 128 + signal when killed by one (as a shell reports it).
  int exit_code() const;
  // "exited with status 3", "exited with status 137 (killed by signal 9)".
  std::string DescribeExit() const;

  // Sends `signo` to the child's process group (no-op once the group is gone).
  void SignalGroup(int signo);
  // Closes the stdin pipe (if any).
  void CloseStdin();

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int fds_[2] = {-1, -1};
  int stdin_fd_ = -1;
  std::string partial_[2];
  bool exited_ = false;
  int status_ = 0;
};

// Finds `program` on PATH (or checks it when it contains '/'); NotFound naming it otherwise.
core::Result<std::string> FindExecutable(const std::string& program);

}  // namespace halo::launch
