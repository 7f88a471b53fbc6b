#include "core/metrics.h"

#include <cerrno>
#include <cstring>

namespace halo::core {

Result<std::unique_ptr<MetricsWriter>> MetricsWriter::Open(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr)
    return Status::IOError(path + ": cannot open for appending: " + std::strerror(errno));
  return std::unique_ptr<MetricsWriter>(new MetricsWriter(path, f));
}

MetricsWriter::~MetricsWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

Status MetricsWriter::Write(const std::string& json_object) {
  if (std::fputs(json_object.c_str(), file_) < 0 || std::fputc('\n', file_) < 0 ||
      std::fflush(file_) != 0) {
    return Status::IOError(path_ + ": write failed: " + std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace halo::core
