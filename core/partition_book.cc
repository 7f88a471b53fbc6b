#include "core/partition_book.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/file_reader.h"
#include "core/fs.h"

namespace halo::core {

using nlohmann::json;

std::vector<NodeId> PartitionMeta::Offsets() const {
  std::vector<NodeId> offsets;
  offsets.reserve(parts.size() + 1);
  for (const PartInfo& p : parts) offsets.push_back(p.node_begin);
  offsets.push_back(num_nodes);
  return offsets;
}

Status WritePartitionMeta(const std::string& path, const PartitionMeta& meta) {
  json j;
  j["format_version"] = meta.format_version;
  j["graph_name"] = meta.graph_name;
  j["num_nodes"] = meta.num_nodes;
  j["num_edges"] = meta.num_edges;
  j["num_parts"] = meta.num_parts;
  j["method"] = meta.method;
  j["objective"] = meta.objective;
  j["balance"] = meta.balance;
  j["halo_hops"] = meta.halo_hops;
  j["edge_cut"] = meta.edge_cut;
  j["feature_dim"] = meta.feature_dim;
  j["num_classes"] = meta.num_classes;
  j["weighted"] = meta.weighted;
  j["symmetrized"] = meta.symmetrized;
  j["self_loops"] = meta.self_loops;
  j["seed"] = meta.seed;
  j["node_map_file"] = meta.node_map_file;
  j["parts"] = json::array();
  for (const PartInfo& p : meta.parts) {
    j["parts"].push_back({{"id", p.id},
                          {"node_range", {p.node_begin, p.node_end}},
                          {"num_inner", p.num_inner},
                          {"num_halo", p.num_halo},
                          {"num_local_edges", p.num_local_edges},
                          {"num_train", p.num_train},
                          {"num_val", p.num_val},
                          {"num_test", p.num_test},
                          {"dir", p.dir},
                          {"files", p.files}});
  }
  return WriteFileAtomic(path, j.dump(2) + "\n");
}

Result<PartitionMeta> ReadPartitionMeta(const std::string& path_in) {
  std::string path = path_in;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    path = (std::filesystem::path(path) / "partition.json").string();
  HALO_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  PartitionMeta m;
  try {
    const json j = json::parse(text);
    m.format_version = j.at("format_version").get<int>();
    if (m.format_version != kPartitionFormatVersion) {
      return Status::InvalidArgument(path + ": format_version " + std::to_string(m.format_version) +
                                     " is not supported (this build reads " +
                                     std::to_string(kPartitionFormatVersion) + ")");
    }
    m.graph_name = j.at("graph_name").get<std::string>();
    m.num_nodes = j.at("num_nodes").get<int64_t>();
    m.num_edges = j.at("num_edges").get<int64_t>();
    m.num_parts = j.at("num_parts").get<int32_t>();
    m.method = j.at("method").get<std::string>();
    m.objective = j.value("objective", "");
    m.balance = j.at("balance").get<std::vector<std::string>>();
    m.halo_hops = j.at("halo_hops").get<int>();
    m.edge_cut = j.at("edge_cut").get<int64_t>();
    m.feature_dim = j.at("feature_dim").get<int64_t>();
    m.num_classes = j.at("num_classes").get<int64_t>();
    m.weighted = j.value("weighted", false);
    m.symmetrized = j.value("symmetrized", false);
    m.self_loops = j.value("self_loops", "keep");
    m.seed = j.value("seed", uint64_t{0});
    m.node_map_file = j.at("node_map_file").get<std::string>();
    for (const json& pj : j.at("parts")) {
      PartInfo p;
      p.id = pj.at("id").get<PartId>();
      const auto range = pj.at("node_range").get<std::vector<int64_t>>();
      if (range.size() != 2) return Status::Corruption(path + ": node_range must have 2 entries");
      p.node_begin = range[0];
      p.node_end = range[1];
      p.num_inner = pj.at("num_inner").get<int64_t>();
      p.num_halo = pj.at("num_halo").get<int64_t>();
      p.num_local_edges = pj.at("num_local_edges").get<int64_t>();
      p.num_train = pj.value("num_train", int64_t{0});
      p.num_val = pj.value("num_val", int64_t{0});
      p.num_test = pj.value("num_test", int64_t{0});
      p.dir = pj.at("dir").get<std::string>();
      p.files = pj.at("files").get<std::map<std::string, std::string>>();
      m.parts.push_back(std::move(p));
    }
  } catch (const json::exception& e) {
    return Status::Corruption(path + ": " + e.what());
  }
  if (static_cast<int32_t>(m.parts.size()) != m.num_parts || m.num_parts < 1) {
    return Status::Corruption(path + ": num_parts is " + std::to_string(m.num_parts) + " but " +
                              std::to_string(m.parts.size()) + " parts are listed");
  }
  NodeId expect = 0;
  for (size_t i = 0; i < m.parts.size(); ++i) {
    const PartInfo& p = m.parts[i];
    if (p.id != static_cast<PartId>(i) || p.node_begin != expect || p.node_end < p.node_begin ||
        p.num_inner != p.node_end - p.node_begin) {
      return Status::Corruption(path + ": part " + std::to_string(i) +
                                " does not continue the contiguous node ranges");
    }
    expect = p.node_end;
  }
  if (expect != m.num_nodes) {
    return Status::Corruption(path + ": part ranges end at " + std::to_string(expect) +
                              ", num_nodes is " + std::to_string(m.num_nodes));
  }
  return m;
}

PartId PartitionBook::Owner(NodeId id) const {
  if (id < 0 || id >= num_nodes()) return -1;
  auto it = std::upper_bound(offsets_.begin(), offsets_.end(), id);
  return static_cast<PartId>(it - offsets_.begin()) - 1;
}

}  // namespace halo::core
