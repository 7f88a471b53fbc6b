// Executors and child processes: shell quoting checked by a real /bin/sh, prefix templates, the
// ssh command line and its remote wrapper (run by a local sh in place of the remote one), and
// ChildProcess (lines, exit statuses, process groups, spawn errors).
#include "launch/executor.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <random>

#include "launch/child_process.h"
#include "tests/launch/launch_harness.h"
#include "tests/test_util.h"

namespace halo::launch {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

struct Finished {
  std::vector<std::string> out, err;
  int exit_code = -1;
  bool timed_out = false;
};

// Reads a child's output until both streams close and it exits, within `timeout`.
Finished RunToEnd(ChildProcess& child,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  Finished f;
  const auto deadline = Clock::now() + timeout;
  while (child.fd(kStdout) >= 0 || child.fd(kStderr) >= 0 || !child.Poll()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      f.timed_out = true;
      return f;
    }
    std::vector<pollfd> fds;
    std::vector<Stream> streams;
    for (Stream s : {kStdout, kStderr}) {
      if (child.fd(s) >= 0) {
        fds.push_back({child.fd(s), POLLIN, 0});
        streams.push_back(s);
      }
    }
    // With both streams closed the exit is imminent: look again shortly.
    poll(fds.data(), fds.size(), fds.empty() ? 5 : static_cast<int>(left));
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents != 0) child.Read(streams[i], streams[i] == kStdout ? &f.out : &f.err);
    }
  }
  f.exit_code = child.exit_code();
  return f;
}

Finished RunArgv(const std::vector<std::string>& argv, const SpawnOptions& options = {}) {
  auto child = ChildProcess::Spawn(argv, options);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  if (!child.ok()) return {};
  return RunToEnd(*child.value());
}

TEST(ShellQuoteTest, KnownCases) {
  EXPECT_EQ(ShellQuote("plain/path-1.0_x=y:z,@%+"), "plain/path-1.0_x=y:z,@%+");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote("$HOME"), "'$HOME'");
  EXPECT_EQ(ShellJoin({"echo", "a b", "c"}), "echo 'a b' c");
}

TEST(ShellQuoteTest, ShellGivesBackEveryWord) {
  // Random words of awkward characters survive a round trip through /bin/sh.
  std::mt19937 rng(7);
  const std::string alphabet = "ab '\"\\$`!*?;&|<>(){}[]#~=%\t\n-";
  std::vector<std::string> words = {"", "'", "''", "\\", "a\nb", "*", "$(echo x)"};
  for (int i = 0; i < 40; ++i) {
    std::string w;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) w += alphabet[rng() % alphabet.size()];
    words.push_back(w);
  }
  // Each word printed in brackets on its own line(s) must come back as it was.
  std::string script = "for w in";
  for (const std::string& w : words) script += " " + ShellQuote(w);
  script += "; do printf '[%s]\\n' \"$w\"; done";
  Finished f = RunArgv({"/bin/sh", "-c", script});
  ASSERT_EQ(f.exit_code, 0);
  std::string joined;
  for (const std::string& line : f.out) joined += line + "\n";
  std::string expected;
  for (const std::string& w : words) expected += "[" + w + "]\n";
  EXPECT_EQ(joined, expected);
}

TEST(PrefixTest, SplitsQuotesAndSubstitutes) {
  HostConfig h;
  h.name = "b";
  h.address = "10.0.0.2";
  auto words = ExpandPrefix("ip netns exec halo_{host}  env 'A=x y' \"B={address}\"", h);
  ASSERT_TRUE(words.ok()) << words.status().ToString();
  EXPECT_EQ(words.value(), (std::vector<std::string>{"ip", "netns", "exec", "halo_b", "env",
                                                     "A=x y", "B=10.0.0.2"}));
  EXPECT_THAT(ExpandPrefix("run {nope}", h).status().message(),
              HasSubstr("unknown placeholder '{nope}'"));
  EXPECT_THAT(ExpandPrefix("run 'open", h).status().message(), HasSubstr("unbalanced quote"));
  EXPECT_THAT(ExpandPrefix("   ", h).status().message(), HasSubstr("empty prefix"));

  h.exec = "prefix";
  h.prefix = "ip netns exec halo_{host}";
  auto argv = HostCommand(h, {"/bin/halo-train", "--rank=1"});
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(argv.value(), (std::vector<std::string>{"ip", "netns", "exec", "halo_b",
                                                    "/bin/halo-train", "--rank=1"}));
  EXPECT_FALSE(NeedsStdinPipe(h));
}

TEST(PrefixTest, PrefixRunsTheCommand) {
  HostConfig h;
  h.name = "b";
  h.exec = "prefix";
  h.prefix = "env HALO_PREFIX_TEST={host}:{address}";
  auto argv = HostCommand(h, {"/bin/sh", "-c", "echo \"$HALO_PREFIX_TEST\" \"$1\"", "sh", "x y"});
  ASSERT_TRUE(argv.ok());
  Finished f = RunArgv(argv.value());
  ASSERT_EQ(f.exit_code, 0);
  EXPECT_EQ(f.out, (std::vector<std::string>{"b:127.0.0.1 x y"}));
}

TEST(LocalTest, LocalIsTheCommandItself) {
  HostConfig h;
  h.name = "a";
  auto argv = HostCommand(h, {"/bin/true", "x"});
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(argv.value(), (std::vector<std::string>{"/bin/true", "x"}));
  h.exec = "telnet";
  EXPECT_FALSE(HostCommand(h, {"/bin/true"}).ok());
}

TEST(SshTest, CommandLine) {
  HostConfig h;
  h.name = "c";
  h.address = "10.0.0.3";
  h.exec = "ssh";
  h.ssh = "halo@node-c";
  h.ssh_options = {"-p", "2222"};
  auto argv = HostCommand(h, {"/opt/halo/halo-train", "--host=c d"});
  ASSERT_TRUE(argv.ok());
  ASSERT_EQ(argv->size(), 7u);
  EXPECT_EQ((std::vector<std::string>(argv->begin(), argv->begin() + 6)),
            (std::vector<std::string>{"ssh", "-o", "BatchMode=yes", "-p", "2222", "halo@node-c"}));
  EXPECT_EQ(argv->back(), SshRemoteCommand({"/opt/halo/halo-train", "--host=c d"}));
  EXPECT_TRUE(NeedsStdinPipe(h));
  h.ssh.clear();  // unresolved: the address is the target
  EXPECT_EQ(HostCommand(h, {"x"})->at(5), "10.0.0.3");
}

// The remote side of ssh, run by a local shell as the remote login shell would: arguments arrive
// intact and the exit status comes back.
TEST(SshTest, RemoteWrapperPassesArgumentsAndStatus) {
  const std::string remote = SshRemoteCommand(
      {"/bin/sh", "-c", "printf '%s|' \"$@\"; echo; exit 7", "sh", "a b", "it's", "$HOME", ""});
  SpawnOptions options;
  options.stdin_pipe = true;  // as the launcher does for ssh children
  Finished f = RunArgv({"/bin/sh", "-c", remote}, options);
  EXPECT_EQ(f.exit_code, 7);
  EXPECT_EQ(f.out, (std::vector<std::string>{"a b|it's|$HOME||"}));
}

// Closing the connection's stdin (ssh killed, launcher gone) stops the remote command.
TEST(SshTest, RemoteCommandStopsWhenStdinCloses) {
  const std::string remote = SshRemoteCommand({"/bin/sh", "-c", "echo started; exec sleep 300"});
  SpawnOptions options;
  options.stdin_pipe = true;
  auto child = ChildProcess::Spawn({"/bin/sh", "-c", remote}, options);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  std::vector<std::string> lines;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (lines.empty() && Clock::now() < deadline) {
    pollfd pfd{child.value()->fd(kStdout), POLLIN, 0};
    poll(&pfd, 1, 1000);
    child.value()->Read(kStdout, &lines);
  }
  ASSERT_EQ(lines, std::vector<std::string>{"started"});
  const auto closed_at = Clock::now();
  child.value()->CloseStdin();
  Finished f = RunToEnd(*child.value(), std::chrono::seconds(10));
  ASSERT_FALSE(f.timed_out) << "the remote command kept running after stdin closed";
  EXPECT_EQ(f.exit_code, 128 + SIGTERM);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - closed_at).count(), 5.0);
}

TEST(ChildProcessTest, LinesFromBothStreamsAndExitStatus) {
  Finished f = RunArgv({"/bin/sh", "-c", "echo one; echo two >&2; printf 'no newline'; exit 3"});
  EXPECT_EQ(f.out, (std::vector<std::string>{"one", "no newline"}));
  EXPECT_EQ(f.err, (std::vector<std::string>{"two"}));
  EXPECT_EQ(f.exit_code, 3);
}

TEST(ChildProcessTest, DescribesExits) {
  auto ok = ChildProcess::Spawn({"/bin/true"});
  ASSERT_TRUE(ok.ok());
  RunToEnd(*ok.value());
  EXPECT_TRUE(ok.value()->succeeded());
  EXPECT_EQ(ok.value()->DescribeExit(), "exited with status 0");

  auto killed = ChildProcess::Spawn({"/bin/sh", "-c", "kill -9 $$"});
  ASSERT_TRUE(killed.ok());
  Finished f = RunToEnd(*killed.value());
  EXPECT_EQ(f.exit_code, 137);
  EXPECT_FALSE(killed.value()->succeeded());
  EXPECT_EQ(killed.value()->DescribeExit(), "exited with status 137 (killed by signal 9)");
}

TEST(ChildProcessTest, EnvironmentAndStdin) {
  SpawnOptions options;
  options.env = {"HALO_CHILD_TEST=hello", "PATH=/usr/bin:/bin"};
  Finished f = RunArgv({"/bin/sh", "-c", "echo $HALO_CHILD_TEST $PATH; cat; echo eof"}, options);
  EXPECT_EQ(f.exit_code, 0);
  // stdin is /dev/null: cat ends at once.
  EXPECT_EQ(f.out, (std::vector<std::string>{"hello /usr/bin:/bin", "eof"}));
}

TEST(ChildProcessTest, ChildInheritsOnlyItsStandardStreams) {
  // No O_CLOEXEC: exec alone would pass it on. A high number, clear of the fd the shell's glob
  // opens to list the directory.
  const int null_fd = open("/dev/null", O_RDONLY);
  const int leaky = fcntl(null_fd, F_DUPFD, 60);
  close(null_fd);
  ASSERT_GE(leaky, 60);
  Finished f = RunArgv({"/bin/sh", "-c", "for f in /proc/$$/fd/*; do echo ${f##*/}; done"});
  close(leaky);
  ASSERT_EQ(f.exit_code, 0);
  EXPECT_THAT(f.out, ::testing::Not(::testing::Contains(std::to_string(leaky))));
  EXPECT_THAT(f.out, ::testing::IsSupersetOf({"0", "1", "2"}));
}

TEST(ChildProcessTest, SpawnErrorsNameTheProgram) {
  auto missing = ChildProcess::Spawn({"/nonexistent/halo-train"});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("cannot run /nonexistent/halo-train"));
  auto not_on_path = ChildProcess::Spawn({"halo-no-such-program"});
  ASSERT_FALSE(not_on_path.ok());
  EXPECT_THAT(not_on_path.status().message(), HasSubstr("'halo-no-such-program': not found"));
  testing::TempDir dir;
  testing::WriteTextFile(dir.File("script"), "not an executable format");
  chmod(dir.File("script").c_str(), 0755);
  auto bad_exec = ChildProcess::Spawn({dir.File("script")});
  ASSERT_FALSE(bad_exec.ok());
  EXPECT_THAT(bad_exec.status().message(), HasSubstr("cannot exec " + dir.File("script")));
}

// A signal to the group reaches what the child started; the destructor leaves nothing behind.
TEST(ChildProcessTest, GroupSignalAndDestructorReachGrandchildren) {
  auto child = ChildProcess::Spawn({"/bin/sh", "-c", "sleep 300 & echo $!; wait"});
  ASSERT_TRUE(child.ok());
  std::vector<std::string> lines;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (lines.empty() && Clock::now() < deadline) {
    pollfd pfd{child.value()->fd(kStdout), POLLIN, 0};
    poll(&pfd, 1, 1000);
    child.value()->Read(kStdout, &lines);
  }
  ASSERT_EQ(lines.size(), 1u);
  const pid_t grandchild = static_cast<pid_t>(std::stol(lines[0]));
  EXPECT_EQ(getpgid(grandchild), child.value()->pid());
  child.value()->SignalGroup(SIGTERM);
  Finished f = RunToEnd(*child.value());
  EXPECT_EQ(f.exit_code, 128 + SIGTERM);
  EXPECT_TRUE(testing::WaitForExit(grandchild, std::chrono::seconds(10)))
      << "the grandchild survived its group's SIGTERM";

  auto dropped = ChildProcess::Spawn({"/bin/sleep", "300"});
  ASSERT_TRUE(dropped.ok());
  const pid_t pid = dropped.value()->pid();
  dropped.value().reset();
  EXPECT_NE(kill(pid, 0), 0) << "the destructor left the child running";
}

}  // namespace
}  // namespace halo::launch
