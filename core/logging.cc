#include "core/logging.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace halo::core {

namespace {
std::mutex g_mutex;
std::string g_tag = "halo";
LogLevel g_min_level = LogLevel::kInfo;
bool g_progress_line_live = false;

void ClearProgressLineLocked() {
  if (g_progress_line_live) {
    std::fputs("\r\033[K", stderr);
    g_progress_line_live = false;
  }
}

char LevelChar(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return 'D';
    case LogLevel::kInfo:
      return 'I';
    case LogLevel::kWarning:
      return 'W';
    case LogLevel::kError:
      return 'E';
  }
  return '?';
}
}  // namespace

void SetLogTag(const std::string& tag) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_tag = tag;
}

void SetMinLogLevel(LogLevel level) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_min_level = level;
}

void LogLine(LogLevel level, const std::string& message) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const int ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
  std::lock_guard<std::mutex> lock(g_mutex);
  if (level < g_min_level) return;
  ClearProgressLineLocked();  // a live progress bar must not be garbled by the log line
  std::fprintf(stderr, "[%c %s.%03d %s] %s\n", LevelChar(level), stamp, ms, g_tag.c_str(),
               message.c_str());
  std::fflush(stderr);
}

void DrawProgressLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  g_progress_line_live = true;
}

}  // namespace halo::core
