// Executors: how a command is started on a host. Each host of the cluster config names one:
//   local   the command's argv as is (fork/exec on this machine);
//   ssh     ssh -o BatchMode=yes [ssh_options] <target> '<remote wrapper around the quoted
//   command>'
//           The remote wrapper kills the command when the ssh connection's stdin closes, so
//           stopping (or losing) the local ssh process stops the remote one; the launcher keeps
//           each ssh child's stdin open for that reason (NeedsStdinPipe).
//   prefix  the host's template split into words, {host} and {address} substituted, then the
//           command: "ip netns exec halo_{host}" + argv -> ip netns exec halo_b /bin/halo-train ...
//
//   HALO_ASSIGN_OR_RETURN(std::vector<std::string> argv, HostCommand(host, {"/bin/halo-store",
//   ...}));
//
// Errors: InvalidArgument for an unknown exec kind, a template that is empty or has an unknown
// placeholder or an unbalanced quote. Thread-safety: plain functions.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "launch/config.h"

namespace halo::launch {

// POSIX shell quoting: words of safe characters stay as they are, others are single-quoted
// ('it'\''s'). ShellJoin quotes each word and joins them with spaces.
std::string ShellQuote(const std::string& word);
std::string ShellJoin(const std::vector<std::string>& words);

// Splits a prefix template into words (whitespace separates; '...' and "..." group, without
// escapes) and substitutes {host} and {address} in each word.
core::Result<std::vector<std::string>> ExpandPrefix(const std::string& tmpl,
                                                    const HostConfig& host);

// The remote command string ssh is given for `command` (a POSIX sh script; see above).
std::string SshRemoteCommand(const std::vector<std::string>& command);

// The argv that runs `command` on `host` through its executor.
core::Result<std::vector<std::string>> HostCommand(const HostConfig& host,
                                                   const std::vector<std::string>& command);

// Whether the child started through this host's executor needs its stdin kept open (ssh).
bool NeedsStdinPipe(const HostConfig& host);

}  // namespace halo::launch
