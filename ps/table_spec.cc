#include "ps/table_spec.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/random.h"

namespace halo::ps {

namespace {

constexpr size_t kMaxNameBytes = 256;

const char* InitName(InitKind kind) {
  switch (kind) {
    case InitKind::kZeros:
      return "zeros";
    case InitKind::kUniform:
      return "uniform";
    case InitKind::kNormal:
      return "normal";
  }
  return "unknown";
}

core::Result<InitKind> ParseInitKind(const std::string& name) {
  if (name == "zeros") return InitKind::kZeros;
  if (name == "uniform") return InitKind::kUniform;
  if (name == "normal") return InitKind::kNormal;
  return core::Status::InvalidArgument("unknown init \"" + name +
                                       "\" (expected zeros, uniform or normal)");
}

}  // namespace

void InitRow(const InitSpec& init, int64_t row_id, int64_t dim, float* row) {
  if (init.kind == InitKind::kZeros) {
    for (int64_t j = 0; j < dim; ++j) row[j] = 0.0f;
    return;
  }
  core::Rng rng(core::DeriveSeed(init.seed, static_cast<uint64_t>(row_id)));
  if (init.kind == InitKind::kUniform) {
    const double width = static_cast<double>(init.b) - init.a;
    for (int64_t j = 0; j < dim; ++j) {
      row[j] = static_cast<float>(init.a + width * rng.UniformDouble());
    }
    return;
  }
  for (int64_t j = 0; j < dim; j += 2) {          // Box-Muller: two normals per pair of uniforms
    const double u1 = 1.0 - rng.UniformDouble();  // (0, 1]: log is finite
    const double u2 = rng.UniformDouble();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * M_PI * u2;
    row[j] = static_cast<float>(init.a + init.b * r * std::cos(theta));
    if (j + 1 < dim) row[j + 1] = static_cast<float>(init.a + init.b * r * std::sin(theta));
  }
}

Routing Routing::ByPartition(const core::PartitionBook& book) {
  Routing r;
  r.kind = Kind::kRanges;
  r.offsets = book.offsets();
  return r;
}

Routing Routing::Contiguous(int64_t num_rows, int64_t num_ranges) {
  Routing r;
  r.kind = Kind::kRanges;
  if (num_ranges < 1) num_ranges = 1;
  for (int64_t i = 0; i <= num_ranges; ++i) r.offsets.push_back(num_rows * i / num_ranges);
  return r;
}

bool TableSpec::operator==(const TableSpec& o) const {
  return name == o.name && num_rows == o.num_rows && dim == o.dim && init == o.init &&
         optimizer == o.optimizer && (staleness == o.staleness || (async() && o.async())) &&
         routing == o.routing;
}

core::Status ValidateTableSpec(const TableSpec& spec) {
  const std::string where = "table \"" + spec.name + "\": ";
  if (spec.name.empty() || spec.name.size() > kMaxNameBytes) {
    return core::Status::InvalidArgument(where + "name must have 1 to 256 bytes");
  }
  if (spec.num_rows < 1) return core::Status::InvalidArgument(where + "num_rows must be >= 1");
  if (spec.dim < 1) return core::Status::InvalidArgument(where + "dim must be >= 1");
  const InitSpec& init = spec.init;
  if (!std::isfinite(init.a) || !std::isfinite(init.b)) {
    return core::Status::InvalidArgument(where + "init parameters must be finite");
  }
  if (init.kind == InitKind::kUniform && !(init.a <= init.b)) {
    return core::Status::InvalidArgument(where + "uniform init needs low <= high");
  }
  if (init.kind == InitKind::kNormal && !(init.b >= 0)) {
    return core::Status::InvalidArgument(where + "normal init needs a standard deviation >= 0");
  }
  core::Status opt = ValidateOptimizer(spec.optimizer);
  if (!opt.ok()) return opt.WithContext("table \"" + spec.name + "\"");
  if (spec.routing.kind == Routing::Kind::kRanges) {
    const std::vector<int64_t>& off = spec.routing.offsets;
    if (off.size() < 2 || off.front() != 0 || off.back() != spec.num_rows) {
      return core::Status::InvalidArgument(where +
                                           "range routing needs offsets from 0 to num_rows (" +
                                           std::to_string(spec.num_rows) + "), at least one range");
    }
    for (size_t i = 1; i < off.size(); ++i) {
      if (off[i] < off[i - 1]) {
        return core::Status::InvalidArgument(where + "routing offsets decrease at index " +
                                             std::to_string(i));
      }
    }
  } else if (!spec.routing.offsets.empty()) {
    return core::Status::InvalidArgument(where + "modulo routing takes no offsets");
  }
  return core::Status::OK();
}

std::string TableSpecToJson(const TableSpec& spec) {
  nlohmann::json j;
  j["name"] = spec.name;
  j["num_rows"] = spec.num_rows;
  j["dim"] = spec.dim;
  j["init"] = {{"kind", InitName(spec.init.kind)},
               {"a", spec.init.a},
               {"b", spec.init.b},
               {"seed", spec.init.seed}};
  const OptimizerSpec& o = spec.optimizer;
  j["optimizer"] = {{"kind", OptimizerName(o.kind)},
                    {"lr", o.lr},
                    {"weight_decay", o.weight_decay},
                    {"eps", o.eps},
                    {"initial_accumulator", o.initial_accumulator},
                    {"beta1", o.beta1},
                    {"beta2", o.beta2}};
  j["staleness"] = spec.async() ? kAsync : spec.staleness;
  j["routing"] = {{"kind", spec.routing.kind == Routing::Kind::kModulo ? "modulo" : "ranges"},
                  {"offsets", spec.routing.offsets}};
  return j.dump();
}

core::Result<TableSpec> ParseTableSpec(const std::string& text) {
  TableSpec spec;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    spec.name = j.at("name").get<std::string>();
    spec.num_rows = j.at("num_rows").get<int64_t>();
    spec.dim = j.at("dim").get<int64_t>();
    const nlohmann::json& init = j.at("init");
    HALO_ASSIGN_OR_RETURN(spec.init.kind, ParseInitKind(init.at("kind").get<std::string>()));
    spec.init.a = init.at("a").get<float>();
    spec.init.b = init.at("b").get<float>();
    spec.init.seed = init.at("seed").get<uint64_t>();
    const nlohmann::json& o = j.at("optimizer");
    HALO_ASSIGN_OR_RETURN(spec.optimizer.kind, ParseOptimizerKind(o.at("kind").get<std::string>()));
    spec.optimizer.lr = o.at("lr").get<float>();
    spec.optimizer.weight_decay = o.at("weight_decay").get<float>();
    spec.optimizer.eps = o.at("eps").get<float>();
    spec.optimizer.initial_accumulator = o.at("initial_accumulator").get<float>();
    spec.optimizer.beta1 = o.at("beta1").get<float>();
    spec.optimizer.beta2 = o.at("beta2").get<float>();
    spec.staleness = j.at("staleness").get<int64_t>();
    const nlohmann::json& r = j.at("routing");
    const std::string kind = r.at("kind").get<std::string>();
    if (kind == "modulo") {
      spec.routing.kind = Routing::Kind::kModulo;
    } else if (kind == "ranges") {
      spec.routing.kind = Routing::Kind::kRanges;
    } else {
      return core::Status::InvalidArgument("table spec: unknown routing \"" + kind + "\"");
    }
    spec.routing.offsets = r.at("offsets").get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception& e) {
    return core::Status::InvalidArgument(std::string("table spec: bad JSON: ") + e.what());
  }
  HALO_RETURN_IF_ERROR(ValidateTableSpec(spec));
  return spec;
}

}  // namespace halo::ps
