#include "core/fs.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace halo::core {

namespace fs = std::filesystem;

Status MakeDirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Status::IOError(path + ": cannot create directory: " + ec.message());
  return Status::OK();
}

Status WriteFileAtomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IOError(tmp + ": cannot create: " + std::strerror(errno));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return Status::IOError(tmp + ": write failed: " + std::strerror(errno));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    std::remove(tmp.c_str());
    return Status::IOError("cannot rename " + tmp + " to " + path + ": " + err);
  }
  return Status::OK();
}

Result<StagingDir> StagingDir::Create(const std::string& final_path, bool overwrite) {
  std::error_code ec;
  if (fs::exists(final_path, ec) && !overwrite) {
    return Status::AlreadyExists(final_path + ": already exists (pass --overwrite to replace it)");
  }
  fs::path parent = fs::path(final_path).parent_path();
  if (!parent.empty()) HALO_RETURN_IF_ERROR(MakeDirs(parent.string()));
  const std::string temp = final_path + ".tmp-" + std::to_string(getpid());
  fs::remove_all(temp, ec);
  HALO_RETURN_IF_ERROR(MakeDirs(temp));
  return StagingDir(final_path, temp, overwrite);
}

StagingDir::StagingDir(StagingDir&& other) noexcept
    : final_path_(std::move(other.final_path_)),
      temp_path_(std::move(other.temp_path_)),
      overwrite_(other.overwrite_),
      done_(other.done_) {
  other.done_ = true;
}

StagingDir::~StagingDir() {
  if (done_) return;
  std::error_code ec;
  fs::remove_all(temp_path_, ec);
}

Status StagingDir::Commit() {
  std::error_code ec;
  std::string old_aside;
  if (fs::exists(final_path_, ec)) {
    if (!overwrite_) return Status::AlreadyExists(final_path_ + ": appeared while writing");
    old_aside = final_path_ + ".old-" + std::to_string(getpid());
    fs::rename(final_path_, old_aside, ec);
    if (ec) return Status::IOError("cannot move old " + final_path_ + " aside: " + ec.message());
  }
  fs::rename(temp_path_, final_path_, ec);
  if (ec)
    return Status::IOError("cannot rename " + temp_path_ + " to " + final_path_ + ": " +
                           ec.message());
  done_ = true;
  if (!old_aside.empty()) fs::remove_all(old_aside, ec);
  return Status::OK();
}

}  // namespace halo::core
