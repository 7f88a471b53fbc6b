#include "launch/run_monitor.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace halo::launch {

using core::Result;
using core::Status;
using nlohmann::json;

namespace {

const char kProgressPrefix[] = "halo-progress ";
const char kResultPrefix[] = "halo-result ";

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

double Number(const json& j, const char* key, double fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string Duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds);
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600)
    return std::to_string(s / 60) + "m" + (s % 60 < 10 ? "0" : "") + std::to_string(s % 60) + "s";
  return std::to_string(s / 3600) + "h" + (s / 60 % 60 < 10 ? "0" : "") +
         std::to_string(s / 60 % 60) + "m";
}

}  // namespace

RunMonitor::RunMonitor(LaunchPlan plan)
    : plan_(std::move(plan)), ranks_(static_cast<size_t>(plan_.world_size)) {}

Result<RunMonitor::LineKind> RunMonitor::OnLine(int rank, const std::string& line) {
  const bool progress = StartsWith(line, kProgressPrefix);
  const bool result = !progress && StartsWith(line, kResultPrefix);
  if (!progress && !result) return LineKind::kOther;
  if (rank < 0 || rank >= static_cast<int>(ranks_.size())) {
    return Status::InvalidArgument("report from unknown rank " + std::to_string(rank));
  }
  const std::string payload =
      line.substr(progress ? sizeof(kProgressPrefix) - 1 : sizeof(kResultPrefix) - 1);
  json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  const std::string what = progress ? "halo-progress" : "halo-result";
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("rank " + std::to_string(rank) + ": malformed " + what +
                                   " line (not a JSON object): " + payload.substr(0, 200));
  }
  RankState& r = ranks_[static_cast<size_t>(rank)];
  if (result) {
    r.result = j.dump();
    return LineKind::kResult;
  }
  r.seen = true;
  r.epoch = static_cast<int64_t>(Number(j, "epoch", static_cast<double>(r.epoch)));
  r.epochs = static_cast<int64_t>(Number(j, "epochs", static_cast<double>(r.epochs)));
  r.loss = Number(j, "loss", r.loss);
  r.epoch_seconds = Number(j, "epoch_seconds", r.epoch_seconds);
  r.seeds_per_second = Number(j, "seeds_per_second", r.seeds_per_second);
  if (j.contains("val_acc") && j["val_acc"].is_number()) {
    r.has_val = true;
    r.val_acc = j["val_acc"].get<double>();
  }
  return LineKind::kProgress;
}

void RunMonitor::OnExit(int rank, int exit_code) {
  if (rank >= 0 && rank < static_cast<int>(ranks_.size())) {
    ranks_[static_cast<size_t>(rank)].exit_code = exit_code;
  }
}

std::string RunMonitor::StatusLine(double elapsed_seconds) const {
  const RankState* lead = nullptr;
  int reporting = 0;
  int64_t min_epoch = 0;
  for (const RankState& r : ranks_) {
    if (!r.seen) continue;
    if (lead == nullptr) lead = &r;
    min_epoch = reporting == 0 ? r.epoch : std::min(min_epoch, r.epoch);
    ++reporting;
  }
  if (lead == nullptr) return "";
  // Reports carry the 0-based index of the epoch just finished; shown as epochs done.
  std::string line = "epoch " + std::to_string(lead->epoch + 1) + "/" +
                     std::to_string(lead->epochs) + " | loss " + Fixed(lead->loss, 4) + " | " +
                     Fixed(lead->epoch_seconds, 2) + " s/epoch | " +
                     Fixed(lead->seeds_per_second, 0) + " seeds/s";
  if (lead->has_val) line += " | val_acc " + Fixed(lead->val_acc, 3);
  // Ranks report one after another, so one epoch behind is normal; more is a straggler.
  if (min_epoch + 1 < lead->epoch) {
    line += " | slowest rank at epoch " + std::to_string(min_epoch + 1);
  }
  line += " | " + std::to_string(reporting) + "/" + std::to_string(ranks_.size()) +
          " ranks reporting | " + Duration(elapsed_seconds);
  return line;
}

bool RunMonitor::HasResult(int rank) const {
  return rank >= 0 && rank < static_cast<int>(ranks_.size()) &&
         !ranks_[static_cast<size_t>(rank)].result.empty();
}

std::vector<int> RunMonitor::MissingResults() const {
  std::vector<int> missing;
  for (size_t r = 0; r < ranks_.size(); ++r) {
    if (ranks_[r].result.empty()) missing.push_back(static_cast<int>(r));
  }
  return missing;
}

std::string RunMonitor::ResultJson(const std::string& output_dir, double wall_seconds) const {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["status"] = "ok";
  out["output_dir"] = output_dir;
  out["world_size"] = plan_.world_size;
  out["num_parts"] = plan_.num_parts;
  out["wall_seconds"] = wall_seconds;
  using ojson = nlohmann::ordered_json;
  const ojson rank0 =
      ranks_.empty() || ranks_[0].result.empty() ? ojson::object() : ojson::parse(ranks_[0].result);
  for (const char* key : {"test_acc", "val_acc", "epoch_seconds"}) {
    out[key] = rank0.contains(key) ? rank0[key] : nlohmann::ordered_json(nullptr);
  }
  nlohmann::ordered_json ranks = nlohmann::ordered_json::array();
  for (size_t r = 0; r < ranks_.size(); ++r) {
    const ProcessSpec& t = plan_.trainers[r];
    nlohmann::ordered_json entry = {{"rank", t.rank},
                                    {"host", t.host_name},
                                    {"part", t.part},
                                    {"part_rank", t.part_rank},
                                    {"part_trainers", t.part_trainers},
                                    {"exit_code", ranks_[r].exit_code}};
    nlohmann::ordered_json result = ranks_[r].result.empty()
                                        ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json::parse(ranks_[r].result);
    entry["result"] = result;
    ranks.push_back(entry);
  }
  // halo-train reports the run's throughput (every rank's seeds) on each rank: rank 0's.
  out["seeds_per_second"] = rank0.contains("seeds_per_second") ? rank0["seeds_per_second"]
                                                               : nlohmann::ordered_json(nullptr);
  out["ranks"] = ranks;
  return out.dump(2) + "\n";
}

}  // namespace halo::launch
