// Progress of long work (partitioning phases, epochs, inference). On a TTY it redraws one status
// line on stderr ("[metis] 45% 450/1000 2.1s"); otherwise it logs plain lines at start, at every
// 10% step and at the end, so logs stay readable in files and CI. Safe to call Add() from several
// threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace halo::core {

class Progress {
 public:
  // `total` <= 0 means unknown: only the start and the end are reported.
  Progress(std::string task, int64_t total);
  ~Progress();  // finishes if Finish() was not called
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Add(int64_t n);
  void Finish();
  double elapsed_seconds() const;

  // Whether stderr is a terminal (then the live line is drawn). Tests may force it off.
  static bool Interactive();
  static void ForceInteractive(bool on);

 private:
  void Report(int64_t done, bool final);

  std::string task_;
  int64_t total_;
  std::atomic<int64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  int last_decile_ = 0;
  bool finished_ = false;
  std::mutex mutex_;
};

}  // namespace halo::core
