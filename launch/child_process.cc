#include "launch/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace halo::launch {

using core::Result;
using core::Status;

namespace {

constexpr size_t kMaxLine = size_t{1} << 20;

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// Writes `value` fully to `fd` in the child (async-signal-safe).
void WriteAll(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w <= 0) {
      if (w < 0 && errno == EINTR) continue;
      return;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

Result<std::string> FindExecutable(const std::string& program) {
  if (program.empty()) return Status::InvalidArgument("empty program name");
  if (program.find('/') != std::string::npos) {
    if (access(program.c_str(), X_OK) != 0) {
      return Status::NotFound("cannot run " + program + ": " + std::strerror(errno));
    }
    return program;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return Status::NotFound("cannot run '" + program + "': not found on PATH");
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const std::vector<std::string>& argv,
                                                          const SpawnOptions& options) {
  if (argv.empty()) return Status::InvalidArgument("Spawn: empty argv");
  HALO_ASSIGN_OR_RETURN(const std::string program, FindExecutable(argv[0]));
  // Everything the child needs is prepared here: between fork and exec only async-signal-safe
  // calls are allowed (other threads may hold locks).
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const std::string& add : options.env)
      replaced = replaced || add.substr(0, add.find('=')) == name;
    if (!replaced) env_strings.push_back(entry);
  }
  env_strings.insert(env_strings.end(), options.env.begin(), options.env.end());
  std::vector<char*> envp;
  for (const std::string& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int out[2], err[2], in[2] = {-1, -1}, exec_err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Status::IOError(std::string("pipe: ") + strerror(errno));
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]), close(out[1]);
    return Status::IOError(std::string("pipe: ") + strerror(errno));
  }
  int null_fd = -1;
  bool ok = pipe2(exec_err, O_CLOEXEC) == 0;
  if (ok && options.stdin_pipe) ok = pipe2(in, O_CLOEXEC) == 0;
  if (ok && !options.stdin_pipe) {
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ok = null_fd >= 0;
  }
  if (!ok) {
    const int e = errno;
    for (int fd : {out[0], out[1], err[0], err[1], in[0], in[1], exec_err[0], exec_err[1]}) {
      if (fd >= 0) close(fd);
    }
    return Status::IOError(std::string("pipe: ") + strerror(e));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    for (int fd :
         {out[0], out[1], err[0], err[1], in[0], in[1], exec_err[0], exec_err[1], null_fd}) {
      if (fd >= 0) close(fd);
    }
    return Status::IOError(std::string("fork: ") + strerror(e));
  }
  if (pid == 0) {
    setpgid(0, 0);
    if (options.parent_death_signal != 0) {
      prctl(PR_SET_PDEATHSIG, options.parent_death_signal);
      if (getppid() != parent) _exit(127);  // the launcher died before prctl took effect
    }
    // The launcher blocks and ignores signals for itself; the child starts with defaults.
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGCHLD, SIGHUP}) sigaction(s, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(options.stdin_pipe ? in[0] : null_fd, STDIN_FILENO);  // dup2 clears O_CLOEXEC
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    // Nothing else the launcher holds (or inherited) reaches the child; the exec-error pipe closes
    // itself on exec (O_CLOEXEC).
    if (exec_err[1] > 3) close_range(3, static_cast<unsigned>(exec_err[1]) - 1, 0);
    close_range(static_cast<unsigned>(exec_err[1]) + 1, ~0U, 0);
    execve(program.c_str(), args.data(), envp.data());
    const int e = errno;
    WriteAll(exec_err[1], &e, sizeof(e));
    _exit(127);
  }
  setpgid(pid, pid);  // also in the parent, so the group exists before any signal is sent
  close(out[1]);
  close(err[1]);
  close(exec_err[1]);
  if (in[0] >= 0) close(in[0]);
  if (null_fd >= 0) close(null_fd);

  auto child = std::unique_ptr<ChildProcess>(new ChildProcess());
  child->pid_ = pid;
  child->fds_[kStdout] = out[0];
  child->fds_[kStderr] = err[0];
  child->stdin_fd_ = in[1];
  // The exec-error pipe closes on a successful exec (O_CLOEXEC) or carries errno.
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(exec_err[0], &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  close(exec_err[0]);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    waitpid(pid, nullptr, 0);
    child->exited_ = true;
    return Status::IOError("cannot exec " + program + ": " + strerror(exec_errno));
  }
  for (int fd : child->fds_) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return child;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exited_) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  CloseFd(&fds_[0]);
  CloseFd(&fds_[1]);
  CloseFd(&stdin_fd_);
}

void ChildProcess::Read(Stream s, std::vector<std::string>* lines) {
  int& fd = fds_[s];
  std::string& partial = partial_[s];
  char buf[65536];
  while (fd >= 0) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    }
    if (n <= 0) {  // EOF or a read error: the stream is over
      if (!partial.empty()) lines->push_back(std::move(partial));
      partial.clear();
      CloseFd(&fd);
      return;
    }
    size_t start = 0;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      if (buf[i] == '\n') {
        partial.append(buf + start, i - start);
        lines->push_back(std::move(partial));
        partial.clear();
        start = i + 1;
      }
    }
    partial.append(buf + start, static_cast<size_t>(n) - start);
    if (partial.size() >= kMaxLine) {
      lines->push_back(std::move(partial));
      partial.clear();
    }
  }
}

bool ChildProcess::Poll() {
  if (exited_) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exited_ = true;
    status_ = status;
  }
  return exited_;
}

bool ChildProcess::succeeded() const {
  return exited_ && WIFEXITED(status_) && WEXITSTATUS(status_) == 0;
}

int ChildProcess::exit_code() const {
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

std::string ChildProcess::DescribeExit() const {
  if (!exited_) return "is running";
  if (WIFSIGNALED(status_)) {
    const int sig = WTERMSIG(status_);
    return "exited with status " + std::to_string(128 + sig) + " (killed by signal " +
           std::to_string(sig) + ")";
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status_));
}

void ChildProcess::SignalGroup(int signo) {
  if (pid_ <= 0) return;
  if (kill(-pid_, signo) != 0 && !exited_) kill(pid_, signo);
}

void ChildProcess::CloseStdin() { CloseFd(&stdin_fd_); }

}  // namespace halo::launch
