#include "trainer/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/fs.h"
#include "core/npy.h"

namespace halo::trainer {

using core::Result;
using core::Status;
namespace fs = std::filesystem;

namespace {

constexpr char kPrefix[] = "ckpt-";

// Complete checkpoints (staging directories carry a ".tmp-" suffix), oldest first.
std::vector<std::string> ListCheckpoints(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0 || name.find(".tmp") != std::string::npos) continue;
    if (!fs::exists(entry.path() / "state.json", ec)) continue;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());  // zero-padded steps sort by name
  return names;
}

Status WriteTensor(const std::string& path, const core::Tensor& t) {
  const std::vector<float> host = t.ToVector();
  return core::WriteNpy(path, host.data(), {t.rows(), t.cols()});
}

Status ReadTensor(const std::string& path, core::Tensor* t) {
  std::vector<int64_t> shape;
  HALO_ASSIGN_OR_RETURN(std::vector<float> host, core::ReadNpyAs<float>(path, &shape));
  const int64_t rows = shape.empty() ? 1 : shape[0];
  const int64_t cols = shape.size() < 2 ? 1 : shape[1];
  if (rows != t->rows() || cols != t->cols()) {
    return Status::Corruption(path + ": shape " + std::to_string(rows) + "x" +
                              std::to_string(cols) + " but the model expects " +
                              std::to_string(t->rows()) + "x" + std::to_string(t->cols()));
  }
  // Into the existing buffer: layers and optimizers keep pointing at it.
  core::DeviceCopy(t->data(), t->device(), host.data(), core::Device::kCpu,
                   host.size() * sizeof(float));
  return Status::OK();
}

}  // namespace

std::string CheckpointDir(const std::string& run_dir) { return run_dir + "/checkpoints"; }

Result<std::string> WriteCheckpoint(const std::string& run_dir,
                                    const std::vector<Parameter*>& params, Optimizer* optimizer,
                                    const CheckpointState& state, int keep) {
  const std::string dir = CheckpointDir(run_dir);
  HALO_RETURN_IF_ERROR(core::MakeDirs(dir));
  char name[32];
  std::snprintf(name, sizeof(name), "%s%012lld", kPrefix, static_cast<long long>(state.step));
  const std::string final_path = dir + "/" + name;
  HALO_ASSIGN_OR_RETURN(core::StagingDir staging,
                        core::StagingDir::Create(final_path, /*overwrite=*/true));
  nlohmann::json j;
  j["epoch"] = state.epoch;
  j["batch_in_epoch"] = state.batch_in_epoch;
  j["step"] = state.step;
  j["extra"] = nlohmann::json::parse(state.extra_json);
  nlohmann::json names = nlohmann::json::array();
  for (size_t i = 0; i < params.size(); ++i) {
    names.push_back(params[i]->name);
    HALO_RETURN_IF_ERROR(
        WriteTensor(staging.path() + "/param-" + std::to_string(i) + ".npy", params[i]->value));
  }
  j["params"] = names;
  const std::vector<core::Tensor*> opt_state = optimizer->state();
  for (size_t i = 0; i < opt_state.size(); ++i) {
    HALO_RETURN_IF_ERROR(
        WriteTensor(staging.path() + "/optim-" + std::to_string(i) + ".npy", *opt_state[i]));
  }
  j["optimizer_tensors"] = opt_state.size();
  j["optimizer_step"] = optimizer->step();
  HALO_RETURN_IF_ERROR(core::WriteFileAtomic(staging.path() + "/state.json", j.dump(2) + "\n"));
  HALO_RETURN_IF_ERROR(staging.Commit());
  std::vector<std::string> all = ListCheckpoints(dir);
  for (size_t i = 0; i + static_cast<size_t>(std::max(keep, 1)) < all.size(); ++i) {
    std::error_code ec;
    fs::remove_all(dir + "/" + all[i], ec);
  }
  return final_path;
}

Result<std::optional<std::string>> FindLatestCheckpoint(const std::string& run_dir) {
  const std::string dir = CheckpointDir(run_dir);
  std::vector<std::string> all = ListCheckpoints(dir);
  if (all.empty()) return std::optional<std::string>();
  return std::optional<std::string>(dir + "/" + all.back());
}

Result<CheckpointState> LoadCheckpoint(const std::string& path,
                                       const std::vector<Parameter*>& params,
                                       Optimizer* optimizer) {
  const std::string state_path = path + "/state.json";
  std::ifstream in(state_path);
  if (!in) return Status::NotFound(state_path + ": cannot open checkpoint state");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(state_path + ": " + e.what());
  }
  CheckpointState state;
  try {
    state.epoch = j.at("epoch").get<int>();
    state.batch_in_epoch = j.at("batch_in_epoch").get<int64_t>();
    state.step = j.at("step").get<int64_t>();
    state.extra_json = j.at("extra").dump();
    const auto& names = j.at("params");
    if (!params.empty()) {
      if (names.size() != params.size()) {
        return Status::Corruption(state_path + ": " + std::to_string(names.size()) +
                                  " parameters but the model has " + std::to_string(params.size()));
      }
      for (size_t i = 0; i < params.size(); ++i) {
        if (names[i].get<std::string>() != params[i]->name) {
          return Status::Corruption(state_path + ": parameter " + std::to_string(i) + " is '" +
                                    names[i].get<std::string>() + "' but the model's is '" +
                                    params[i]->name + "'");
        }
        HALO_RETURN_IF_ERROR(
            ReadTensor(path + "/param-" + std::to_string(i) + ".npy", &params[i]->value));
      }
    }
    if (optimizer != nullptr) {
      const std::vector<core::Tensor*> opt_state = optimizer->state();
      if (j.at("optimizer_tensors").get<size_t>() != opt_state.size()) {
        return Status::Corruption(state_path + ": optimizer state does not match train.optimizer");
      }
      for (size_t i = 0; i < opt_state.size(); ++i) {
        HALO_RETURN_IF_ERROR(
            ReadTensor(path + "/optim-" + std::to_string(i) + ".npy", opt_state[i]));
      }
      optimizer->set_step(j.at("optimizer_step").get<int64_t>());
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(state_path + ": " + e.what());
  }
  return state;
}

}  // namespace halo::trainer
