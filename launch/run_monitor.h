// What the trainers report to the launcher on stdout, collected per rank:
//   halo-progress {"rank":R,"epoch":E,"epochs":N,"loss":L,"epoch_seconds":S,"seeds_per_second":X,
//                  ...optional "val_acc","test_acc"}     (after each epoch; halo-train: rank 0
//                  only)
//   halo-result {...one-line JSON object...}             (at the end, every rank)
// and what the launcher makes of them: one status line (for a terminal), plain progress lines
// (for logs), and the run's result.json.
//
//   RunMonitor monitor(plan);
//   auto kind = monitor.OnLine(rank, line);   // kOther: print the line as it is
//   std::string status = monitor.StatusLine(elapsed);
//   std::string json = monitor.ResultJson(wall_seconds);
//
// A malformed report line is an error (InvalidArgument naming the rank); the caller logs it and
// goes on. "epoch" is the 0-based index of the epoch just finished (as in halo-train's
// metrics.jsonl); the status line shows epochs done (epoch + 1).
//
// Thread-safety: one thread uses an object.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "launch/plan.h"

namespace halo::launch {

class RunMonitor {
 public:
  enum class LineKind { kOther, kProgress, kResult };

  explicit RunMonitor(LaunchPlan plan);

  core::Result<LineKind> OnLine(int rank, const std::string& line);
  // Records how a rank's process ended (exit code in result.json).
  void OnExit(int rank, int exit_code);

  // "epoch 3/50 | loss 0.5123 | 0.81 s/epoch | 12345 seeds/s | val_acc 0.781 | 2/2 ranks reporting
  // | 12s":
  // epoch, loss, epoch time, seeds/s and accuracy of rank 0 (else the lowest reporting rank;
  // halo-train's seeds/s is the whole run's), "| slowest rank at epoch E" when one lags 2+ epochs
  // behind. "" before any report.
  std::string StatusLine(double elapsed_seconds) const;
  // Whether `rank` has sent a halo-result line.
  bool HasResult(int rank) const;
  // The ranks without a halo-result line.
  std::vector<int> MissingResults() const;
  // result.json: rank 0's test_acc, val_acc, epoch_seconds and seeds_per_second (halo-train
  // reports the whole run's), wall_seconds, and "ranks": every rank's plan entry with its
  // halo-result object.
  std::string ResultJson(const std::string& output_dir, double wall_seconds) const;

 private:
  struct RankState {
    bool seen = false;
    int64_t epoch = 0;
    int64_t epochs = 0;
    double loss = 0;
    double epoch_seconds = 0;
    double seeds_per_second = 0;
    bool has_val = false;
    double val_acc = 0;
    std::string result;  // the halo-result JSON, "" before it arrives
    int exit_code = -1;
  };
  LaunchPlan plan_;
  std::vector<RankState> ranks_;
};

}  // namespace halo::launch
