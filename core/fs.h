// Filesystem helpers for outputs that must never be left half-written.
#pragma once

#include <string>

#include "core/status.h"

namespace halo::core {

// Creates `path` and its parents if missing.
Status MakeDirs(const std::string& path);
// Writes `content` to `path` via a temporary file in the same directory and a rename.
Status WriteFileAtomic(const std::string& path, const std::string& content);

// A directory that becomes `final_path` only on Commit(): work is written into a temporary sibling
// (`<final_path>.tmp-<pid>`), which is removed if the object dies uncommitted. With `overwrite`, an
// existing `final_path` is replaced at commit; otherwise an existing one is an error at Create().
class StagingDir {
 public:
  static Result<StagingDir> Create(const std::string& final_path, bool overwrite);
  StagingDir(StagingDir&& other) noexcept;
  StagingDir& operator=(StagingDir&&) = delete;
  ~StagingDir();

  const std::string& path() const { return temp_path_; }
  Status Commit();

 private:
  StagingDir(std::string final_path, std::string temp_path, bool overwrite)
      : final_path_(std::move(final_path)),
        temp_path_(std::move(temp_path)),
        overwrite_(overwrite) {}
  std::string final_path_, temp_path_;
  bool overwrite_ = false;
  bool done_ = false;
};

}  // namespace halo::core
