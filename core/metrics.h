// Metrics as JSON Lines: one JSON object per line, flushed as written, so a run's progress can be
// tailed or plotted (scripts/plot_metrics.py) while it runs.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "core/status.h"

namespace halo::core {

class MetricsWriter {
 public:
  // Opens `path` for appending (created if missing).
  static Result<std::unique_ptr<MetricsWriter>> Open(const std::string& path);
  ~MetricsWriter();
  // Writes one line; `json_object` must be a single-line JSON object.
  Status Write(const std::string& json_object);

 private:
  MetricsWriter(std::string path, FILE* f) : path_(std::move(path)), file_(f) {}
  std::string path_;
  FILE* file_;
};

}  // namespace halo::core
