#include "launch/executor.h"

#include <cctype>

namespace halo::launch {

using core::Result;
using core::Status;

std::string ShellQuote(const std::string& word) {
  if (word.empty()) return "''";
  bool safe = true;
  for (char c : word) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string("@%+=:,./_-").find(c) == std::string::npos) {
      safe = false;
      break;
    }
  }
  if (safe) return word;
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string ShellJoin(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + ShellQuote(w);
  return out;
}

Result<std::vector<std::string>> ExpandPrefix(const std::string& tmpl, const HostConfig& host) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (char c : tmpl) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        cur += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote != 0) {
    return Status::InvalidArgument("host " + host.name + ": unbalanced quote in prefix '" + tmpl +
                                   "'");
  }
  if (in_word) words.push_back(cur);
  if (words.empty()) {
    return Status::InvalidArgument("host " + host.name + ": empty prefix template");
  }
  for (std::string& w : words) {
    std::string out;
    size_t pos = 0;
    while (pos < w.size()) {
      if (w[pos] != '{') {
        out += w[pos++];
        continue;
      }
      const size_t end = w.find('}', pos);
      const std::string name =
          end == std::string::npos ? w.substr(pos) : w.substr(pos, end - pos + 1);
      if (name == "{host}") {
        out += host.name;
      } else if (name == "{address}") {
        out += host.address;
      } else {
        return Status::InvalidArgument("host " + host.name + ": unknown placeholder '" + name +
                                       "' in prefix '" + tmpl + "' (known: {host}, {address})");
      }
      pos += name.size();
    }
    w = out;
  }
  return words;
}

std::string SshRemoteCommand(const std::vector<std::string>& command) {
  // The command runs in the background with /dev/null as stdin (fd 3, a copy of the connection's
  // stdin, closed for it); a watcher reads the connection's stdin and SIGTERMs the command when it
  // closes. A non-interactive shell gives background jobs /dev/null as stdin unless redirected,
  // hence the copy on fd 3. The shell's status is the command's (wait $p).
  return "sh -c " + ShellQuote("exec 3<&0; " + ShellJoin(command) +
                               " </dev/null 3<&- & p=$!; "
                               "{ cat >/dev/null; kill -TERM $p; } <&3 >/dev/null 2>&1 & "
                               "exec 3<&-; wait $p");
}

Result<std::vector<std::string>> HostCommand(const HostConfig& host,
                                             const std::vector<std::string>& command) {
  if (host.exec == "local") return command;
  if (host.exec == "prefix") {
    HALO_ASSIGN_OR_RETURN(std::vector<std::string> argv, ExpandPrefix(host.prefix, host));
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  }
  if (host.exec == "ssh") {
    std::vector<std::string> argv = {"ssh", "-o", "BatchMode=yes"};
    argv.insert(argv.end(), host.ssh_options.begin(), host.ssh_options.end());
    argv.push_back(host.ssh.empty() ? host.address : host.ssh);
    argv.push_back(SshRemoteCommand(command));
    return argv;
  }
  return Status::InvalidArgument("host " + host.name + ": unknown exec '" + host.exec +
                                 "' (local, ssh or prefix)");
}

bool NeedsStdinPipe(const HostConfig& host) { return host.exec == "ssh"; }

}  // namespace halo::launch
