#include "core/server_process.h"

#include <cstdio>
#include <filesystem>

#include "core/fs.h"

namespace halo::core {

sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

int WaitForStopSignal(const sigset_t& signals) {
  int signo = 0;
  while (sigwait(&signals, &signo) != 0) {
  }
  return signo;
}

std::string SignalName(int signo) {
  switch (signo) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(signo);
  }
}

Status AnnounceReady(const std::string& ready_file, const std::string& line,
                     const std::string& endpoint) {
  if (!ready_file.empty()) {
    const std::string parent = std::filesystem::path(ready_file).parent_path().string();
    if (!parent.empty()) HALO_RETURN_IF_ERROR(MakeDirs(parent));
    Status s = WriteFileAtomic(ready_file, endpoint + "\n");
    if (!s.ok()) return Status::IOError("--ready_file: " + s.ToString());
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  return Status::OK();
}

}  // namespace halo::core
