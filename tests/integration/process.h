// A child process for integration tests: fork/exec (no shell), stdout read through a pipe with
// deadlines, signals, and a bounded wait. Synchronization is by what the child prints (or by its
// exit), never by sleeping.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace halo::testing {

class Process {
 public:
  // Starts argv[0] (a path) with argv; stdout comes to this object, stderr is inherited (it
  // lands in the test log). Aborts the test binary only if fork/pipe fail.
  explicit Process(const std::vector<std::string>& argv);
  // SIGKILLs the child if it still runs, and reaps it.
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Everything read from the child's stdout so far.
  const std::string& output() const { return output_; }

  // Reads stdout until a complete line starting with `prefix` has arrived (returned, without the
  // newline) or `timeout` passes or stdout closes (nullopt).
  std::optional<std::string> WaitForLine(const std::string& prefix,
                                         std::chrono::milliseconds timeout);
  void Signal(int signo);
  // Waits for the child to exit within `timeout`: its exit code, or -signal when killed by one;
  // nullopt on timeout (the child then still runs). Reads (and keeps) its remaining stdout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);

 private:
  // Reads what is available within `timeout` into output_; false on EOF or error.
  bool ReadSome(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  bool exited_ = false;
  int exit_code_ = 0;
  std::string output_;
  size_t scanned_ = 0;  // output_ before this offset holds no unmatched complete line
};

}  // namespace halo::testing
