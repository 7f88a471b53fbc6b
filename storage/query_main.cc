// halo-query: reads rows or neighborhoods of a few nodes from running halo-store processes and
// prints them as JSON. Usage: docs/halo-store.md.
//
//   halo-query --partition_dir=D --endpoints=E0,E1 features --ids=1,2,3 [--original_ids]
//   halo-query ... {features|labels|masks|neighbors|sample|stats} [--fanout=K] [--replace]
//              [--seed=S] [--deadline_ms=T]
#include <gflags/gflags.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/npy.h"
#include "core/partition_book.h"
#include "storage/store_client.h"

DEFINE_string(partition_dir, "", "Partition directory (its partition.json routes IDs to parts)");
DEFINE_string(endpoints, "", "Store endpoints, one per part in part order, comma-separated");
DEFINE_string(ids, "", "Node IDs, comma-separated (global IDs unless --original_ids)");
DEFINE_bool(original_ids, false,
            "--ids are original IDs (as in the input files), mapped through node_map.npy");
DEFINE_int32(fanout, 10, "sample: neighbors per node (< 0: all)");
DEFINE_bool(replace, false, "sample: draw with replacement");
DEFINE_uint64(seed, 0, "sample: random seed");
DEFINE_int32(deadline_ms, 5000, "Deadline of the whole query, in milliseconds");

namespace {

using halo::core::Status;
using json = nlohmann::ordered_json;

int Fail(const std::string& message) {
  std::fprintf(stderr, "halo-query: error: %s\n", message.c_str());
  return 1;
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

halo::core::Result<std::vector<int64_t>> ParseIds(const std::string& text) {
  std::vector<int64_t> ids;
  if (text.empty()) return ids;
  for (const std::string& item : SplitComma(text)) {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size()) {
      return Status::InvalidArgument("--ids: \"" + item + "\" is not an integer");
    }
    ids.push_back(static_cast<int64_t>(v));
  }
  return ids;
}

// Global -> original ID (node_map.npy) and its inverse.
struct NodeMap {
  std::vector<int64_t> original;                     // by global ID
  std::vector<std::pair<int64_t, int64_t>> inverse;  // (original, global), sorted

  halo::core::Result<int64_t> ToGlobal(int64_t original_id) const {
    auto it =
        std::lower_bound(inverse.begin(), inverse.end(), std::make_pair(original_id, INT64_MIN));
    if (it == inverse.end() || it->first != original_id) {
      return Status::NotFound("original ID " + std::to_string(original_id) +
                              " is not a node of the partition (node_map.npy)");
    }
    return it->second;
  }
};

halo::core::Result<NodeMap> LoadNodeMap(const halo::core::PartitionMeta& meta) {
  NodeMap m;
  const std::string path = FLAGS_partition_dir + "/" + meta.node_map_file;
  HALO_ASSIGN_OR_RETURN(m.original, halo::core::ReadNpyAs<int64_t>(path));
  if (static_cast<int64_t>(m.original.size()) != meta.num_nodes) {
    return Status::Corruption(path + " has " + std::to_string(m.original.size()) +
                              " entries, partition.json says " + std::to_string(meta.num_nodes) +
                              " nodes");
  }
  m.inverse.reserve(m.original.size());
  for (size_t g = 0; g < m.original.size(); ++g) {
    m.inverse.emplace_back(m.original[g], static_cast<int64_t>(g));
  }
  std::sort(m.inverse.begin(), m.inverse.end());
  return m;
}

int Run(const std::string& command) {
  auto meta = halo::core::ReadPartitionMeta(FLAGS_partition_dir);
  if (!meta.ok()) return Fail(meta.status().ToString());
  const std::vector<std::string> endpoints = SplitComma(FLAGS_endpoints);
  if (static_cast<int64_t>(endpoints.size()) != meta->num_parts) {
    return Fail("--endpoints lists " + std::to_string(endpoints.size()) + " endpoints, " +
                FLAGS_partition_dir + " has " + std::to_string(meta->num_parts) +
                " parts (one endpoint per part, in part order)");
  }
  halo::storage::StoreClientOptions options;
  options.deadline = std::chrono::milliseconds(FLAGS_deadline_ms);
  auto client = halo::storage::StoreClient::Create(meta.value(), endpoints, options);
  if (!client.ok()) return Fail(client.status().ToString());
  const halo::storage::StoreClient& c = *client.value();

  json out;
  out["command"] = command;
  if (command == "stats") {
    json parts = json::array();
    for (int32_t p = 0; p < c.num_parts(); ++p) {
      auto stats = c.Stats(p);
      if (!stats.ok()) return Fail(stats.status().ToString());
      parts.push_back(json::parse(stats.value()));
    }
    out["parts"] = parts;
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }

  auto given = ParseIds(FLAGS_ids);
  if (!given.ok()) return Fail(given.status().message());
  if (given->empty()) return Fail("--ids is required: comma-separated node IDs");
  NodeMap node_map;
  std::vector<int64_t> ids = given.value();
  if (FLAGS_original_ids) {
    auto m = LoadNodeMap(meta.value());
    if (!m.ok()) return Fail(m.status().ToString());
    node_map = std::move(m).value();
    for (int64_t& id : ids) {
      auto g = node_map.ToGlobal(id);
      if (!g.ok()) return Fail(g.status().message());
      id = g.value();
    }
  }
  const auto original_of = [&](int64_t global) { return node_map.original[global]; };
  std::vector<json> rows(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    rows[i]["id"] = ids[i];
    if (FLAGS_original_ids) rows[i]["original_id"] = given.value()[i];
    rows[i]["part"] = c.book().Owner(ids[i]);
  }

  if (command == "features") {
    auto x = c.GetFeatures(ids);
    if (!x.ok()) return Fail(x.status().ToString());
    const size_t dim = static_cast<size_t>(c.feature_dim());
    out["feature_dim"] = dim;
    for (size_t i = 0; i < ids.size(); ++i) {
      rows[i]["features"] = std::vector<float>(x->begin() + i * dim, x->begin() + (i + 1) * dim);
    }
  } else if (command == "labels") {
    auto y = c.GetLabels(ids);
    if (!y.ok()) return Fail(y.status().ToString());
    for (size_t i = 0; i < ids.size(); ++i) rows[i]["label"] = y.value()[i];
  } else if (command == "masks") {
    auto m = c.GetMasks(ids);
    if (!m.ok()) return Fail(m.status().ToString());
    for (size_t i = 0; i < ids.size(); ++i) {
      rows[i]["train"] = m.value()[3 * i] != 0;
      rows[i]["val"] = m.value()[3 * i + 1] != 0;
      rows[i]["test"] = m.value()[3 * i + 2] != 0;
    }
  } else if (command == "neighbors" || command == "sample") {
    const bool sample = command == "sample";
    auto nb = sample ? c.SampleNeighbors(ids, FLAGS_fanout, FLAGS_replace, FLAGS_seed)
                     : c.GetNeighbors(ids);
    if (!nb.ok()) return Fail(nb.status().ToString());
    if (sample) {
      out["fanout"] = FLAGS_fanout;
      out["replace"] = FLAGS_replace;
      out["seed"] = FLAGS_seed;
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      std::vector<int64_t> nbrs(nb->neighbors.begin() + nb->offsets[i],
                                nb->neighbors.begin() + nb->offsets[i + 1]);
      rows[i]["neighbors"] = nbrs;
      if (FLAGS_original_ids) {
        std::vector<int64_t> orig;
        for (int64_t g : nbrs) orig.push_back(original_of(g));
        rows[i]["original_neighbors"] = orig;
      }
    }
  } else {
    return Fail("unknown command '" + command + "'");
  }
  out["rows"] = rows;
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "read node data from running halo-store processes; prints JSON\n"
      "  halo-query --partition_dir=out/cora-2parts "
      "--endpoints=tcp://127.0.0.1:7000,tcp://127.0.0.1:7001 features --ids=0,1,2\n"
      "commands: features, labels, masks, neighbors, sample (--fanout, --replace, --seed), stats");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (argc < 2) {
    return Fail("a command is required: features, labels, masks, neighbors, sample or stats");
  }
  if (argc > 2) return Fail(std::string("unexpected argument '") + argv[2] + "'");
  const std::string command = argv[1];
  const char* commands[] = {"features", "labels", "masks", "neighbors", "sample", "stats"};
  if (std::find(std::begin(commands), std::end(commands), command) == std::end(commands)) {
    return Fail("unknown command '" + command +
                "' (expected features, labels, masks, neighbors, sample or stats)");
  }
  if (FLAGS_partition_dir.empty()) return Fail("--partition_dir is required (see --help)");
  if (FLAGS_endpoints.empty()) return Fail("--endpoints is required (see --help)");
  if (FLAGS_deadline_ms <= 0) return Fail("--deadline_ms must be > 0");
  return Run(command);
}
