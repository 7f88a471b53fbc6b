// Helpers shared by the test suite: temp dirs, bundled data paths, running a binary.
#pragma once

#include <string>
#include <vector>

namespace halo::testing {

// Root of the source tree and the directory of built binaries.
std::string SourceDir();
std::string BinDir();
// Path of a bundled dataset file, e.g. DataPath("cora/linqs").
std::string DataPath(const std::string& relative);

// A fresh directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `content` to `path` (gzip-compressed when `gzip` is true).
void WriteTextFile(const std::string& path, const std::string& content, bool gzip = false);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs `argv` (argv[0] a path), waiting for it to end, with a wall-clock limit after which it is
// killed (exit_code then -9). Never goes through a shell.
CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_seconds = 120);

}  // namespace halo::testing
