#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

#include "core/logging.h"

namespace halo::core {

namespace {
int g_interactive = -1;  // -1: ask isatty once
}  // namespace

bool Progress::Interactive() {
  if (g_interactive < 0) g_interactive = isatty(STDERR_FILENO) ? 1 : 0;
  return g_interactive == 1;
}

void Progress::ForceInteractive(bool on) { g_interactive = on ? 1 : 0; }

Progress::Progress(std::string task, int64_t total)
    : task_(std::move(task)), total_(total), start_(std::chrono::steady_clock::now()) {
  last_draw_ = start_;
  if (!Interactive()) {
    HALO_LOG(Info) << task_ << ": started"
                   << (total_ > 0 ? " (" + std::to_string(total_) + ")" : "");
  } else {
    Report(0, false);
  }
}

Progress::~Progress() { Finish(); }

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::Add(int64_t n) {
  const int64_t done = done_.fetch_add(n) + n;
  Report(done, false);
}

void Progress::Finish() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_) return;
    finished_ = true;
  }
  Report(total_ > 0 ? total_ : done_.load(), true);
}

void Progress::Report(int64_t done, bool final) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_ && !final) return;
  const auto now = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(now - start_).count();
  char buf[256];
  if (Interactive()) {
    if (!final && now - last_draw_ < std::chrono::milliseconds(100) && done != 0) return;
    last_draw_ = now;
    if (total_ > 0) {
      std::snprintf(buf, sizeof(buf), "[%s] %3d%% %lld/%lld %.1fs", task_.c_str(),
                    static_cast<int>(100.0 * done / total_), static_cast<long long>(done),
                    static_cast<long long>(total_), secs);
    } else {
      std::snprintf(buf, sizeof(buf), "[%s] %lld %.1fs", task_.c_str(),
                    static_cast<long long>(done), secs);
    }
    if (!final) {
      DrawProgressLine(buf);
      return;
    }
  }
  if (final) {
    HALO_LOG(Info) << task_ << ": done in " << secs << " s";
    return;
  }
  if (total_ <= 0) return;
  const int decile = static_cast<int>(10 * done / total_);
  if (decile <= last_decile_ || decile >= 10) return;
  last_decile_ = decile;
  HALO_LOG(Info) << task_ << ": " << 100 * done / total_ << "% (" << done << "/" << total_ << ", "
                 << secs << " s)";
}

}  // namespace halo::core
