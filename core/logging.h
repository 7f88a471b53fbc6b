// Plain line logging to stderr: "[I 2026-11-24 10:52:01.123 halo-partition] message".
// Thread-safe: each message is written with one call under a lock.
#pragma once

#include <sstream>
#include <string>

namespace halo::core {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// The program name shown in every line (default "halo").
void SetLogTag(const std::string& tag);
void SetMinLogLevel(LogLevel level);
void LogLine(LogLevel level, const std::string& message);
// Replaces the live status line on a terminal (used by Progress); the next log line erases it.
void DrawProgressLine(const std::string& line);

class LogMessage {
 public:
  explicit LogMessage(LogLevel level) : level_(level) {}
  ~LogMessage() { LogLine(level_, stream_.str()); }
  std::ostringstream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace halo::core

#define HALO_LOG(level) ::halo::core::LogMessage(::halo::core::LogLevel::k##level).stream()
