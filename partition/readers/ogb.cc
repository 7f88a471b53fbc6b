// --format=ogb: an OGB node-property dataset as downloaded (the raw/ and split/ CSV files).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "core/file_reader.h"
#include "partition/readers/reader.h"
#include "partition/readers/reader_util.h"

namespace halo::partition {

using core::LineReader;
using core::Result;
using core::Status;
using readers_internal::BaseName;
using readers_internal::CheckDirectory;
using readers_internal::FindMaybeGz;
using readers_internal::IdIndex;
using readers_internal::ParseFiniteFloat;
using readers_internal::ParseNodeId;
using readers_internal::ReadSplitFiles;
using readers_internal::TrimSpace;

namespace {

Result<int64_t> ReadNumNodes(const std::string& path) {
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
  int64_t num_nodes = -1;
  std::string_view line;
  while (reader->Next(&line)) {
    const std::string_view trimmed = TrimSpace(line);
    if (trimmed.empty()) continue;
    if (num_nodes >= 0) {
      return reader->Error("more than one graph listed; only single-graph datasets are supported");
    }
    HALO_RETURN_IF_ERROR(ParseNodeId(*reader, trimmed, "node count", &num_nodes));
  }
  HALO_RETURN_IF_ERROR(reader->status());
  if (num_nodes < 0) return Status::InvalidArgument(path + ": empty, expected the node count");
  return num_nodes;
}

Status ReadEdges(const std::string& path, GraphData* graph) {
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
  std::vector<std::string_view> fields;
  std::string_view line;
  while (reader->Next(&line)) {
    if (TrimSpace(line).empty()) continue;
    const size_t n = core::SplitFields(line, ',', &fields);
    if (n != 2) return reader->Error("expected 2 columns 'src,dst', got " + std::to_string(n));
    int64_t ends[2];
    for (int i = 0; i < 2; ++i) {
      HALO_RETURN_IF_ERROR(ParseNodeId(*reader, fields[i], "node ID", &ends[i]));
      if (ends[i] >= graph->num_nodes) {
        return reader->Error("node ID " + std::to_string(ends[i]) + " out of range [0, " +
                             std::to_string(graph->num_nodes) + ") of num-node-list.csv");
      }
    }
    graph->src.push_back(ends[0]);
    graph->dst.push_back(ends[1]);
  }
  return reader->status();
}

// A node file has exactly one line per node: reports the first extra line or the shortfall.
Status CheckRowCount(const LineReader& reader, int64_t rows, int64_t num_nodes, bool at_line) {
  if (at_line) {
    return reader.Error("more rows than the " + std::to_string(num_nodes) +
                        " nodes of num-node-list.csv");
  }
  if (rows != num_nodes) {
    return Status::InvalidArgument(reader.path() + ": " + std::to_string(rows) +
                                   " rows, expected one per node (" + std::to_string(num_nodes) +
                                   ")");
  }
  return Status::OK();
}

Status ReadFeatures(const std::string& path, GraphData* graph) {
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
  std::vector<std::string_view> fields;
  int64_t rows = 0;
  size_t width = 0;
  std::string_view line;
  while (reader->Next(&line)) {
    if (rows == graph->num_nodes) return CheckRowCount(*reader, rows, graph->num_nodes, true);
    const size_t n = core::SplitFields(line, ',', &fields);
    if (rows == 0) {
      width = n;
      graph->feature_dim = static_cast<int64_t>(n);
      // Bounded: num-node-list.csv is not trusted with an unbounded reservation.
      graph->features.reserve(std::min<size_t>(static_cast<size_t>(graph->num_nodes) * n, 1 << 26));
    } else if (n != width) {
      return reader->Error("expected " + std::to_string(width) + " features like line 1, got " +
                           std::to_string(n));
    }
    for (size_t i = 0; i < n; ++i) {
      float value;
      HALO_RETURN_IF_ERROR(ParseFiniteFloat(*reader, fields[i], "feature", &value));
      graph->features.push_back(value);
    }
    ++rows;
  }
  HALO_RETURN_IF_ERROR(reader->status());
  return CheckRowCount(*reader, rows, graph->num_nodes, false);
}

// One label per line; "nan" or empty marks an unlabeled node (-1).
Status ReadLabels(const std::string& path, GraphData* graph) {
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
  graph->labels.reserve(std::min<size_t>(static_cast<size_t>(graph->num_nodes), 1 << 26));
  std::string_view line;
  while (reader->Next(&line)) {
    const int64_t rows = static_cast<int64_t>(graph->labels.size());
    if (rows == graph->num_nodes) return CheckRowCount(*reader, rows, graph->num_nodes, true);
    const std::string_view field = TrimSpace(line);
    int64_t label = -1;
    float as_float;
    if (field.empty() || field == "nan" || field == "NaN") {
      label = -1;
    } else if (core::ParseInt64(field, &label)) {
      // an integer label
    } else if (core::ParseFloat(field, &as_float) && std::isfinite(as_float) &&
               as_float == std::floor(as_float) && std::fabs(as_float) < 1e15f) {
      label = static_cast<int64_t>(as_float);  // some exports write labels as "3.0"
    } else {
      return reader->Error("bad label '" + std::string(field) +
                           "' (expected one integer, 'nan' or nothing)");
    }
    if (label < -1) return reader->Error("negative label " + std::to_string(label));
    graph->labels.push_back(label);
    graph->num_classes = std::max(graph->num_classes, label + 1);
  }
  HALO_RETURN_IF_ERROR(reader->status());
  return CheckRowCount(*reader, static_cast<int64_t>(graph->labels.size()), graph->num_nodes,
                       false);
}

// split/<name>/ holds the split; there must be exactly one such folder when split/ exists.
Status ReadSplit(const std::string& dir, GraphData* graph) {
  const std::string split_dir = dir + "/split";
  std::error_code ec;
  if (!std::filesystem::is_directory(split_dir, ec)) return Status::OK();
  std::vector<std::string> subdirs;
  for (const auto& entry : std::filesystem::directory_iterator(split_dir, ec)) {
    if (entry.is_directory(ec)) subdirs.push_back(entry.path().filename().string());
  }
  if (ec) return Status::IOError(split_dir + ": cannot list: " + ec.message());
  if (subdirs.size() != 1) {
    std::string names;
    for (const auto& s : subdirs) names += (names.empty() ? "" : ", ") + s;
    return Status::InvalidArgument(split_dir + ": expected exactly one split folder, found " +
                                   std::to_string(subdirs.size()) +
                                   (names.empty() ? "" : " (" + names + ")"));
  }
  const std::string base = split_dir + "/" + subdirs[0] + "/";
  const std::string paths[3] = {base + "train.csv", base + "valid.csv", base + "test.csv"};
  HALO_RETURN_IF_ERROR(ReadSplitFiles(paths, IdIndex::Identity(graph->num_nodes),
                                      &graph->train_mask, &graph->val_mask, &graph->test_mask));
  if (!graph->has_split()) {
    return Status::NotFound(base + ": no train.csv, valid.csv, test.csv (nor .csv.gz)");
  }
  return Status::OK();
}

}  // namespace

Result<GraphData> ReadOgb(const std::string& dir) {
  HALO_RETURN_IF_ERROR(CheckDirectory(dir));
  const std::string raw = dir + "/raw/";
  HALO_ASSIGN_OR_RETURN(const std::string num_nodes_path,
                        core::ResolveMaybeGz(raw + "num-node-list.csv"));
  HALO_ASSIGN_OR_RETURN(const std::string edges_path, core::ResolveMaybeGz(raw + "edge.csv"));
  GraphData graph;
  graph.name = BaseName(dir);
  graph.directed = true;
  HALO_ASSIGN_OR_RETURN(graph.num_nodes, ReadNumNodes(num_nodes_path));
  HALO_RETURN_IF_ERROR(ReadEdges(edges_path, &graph));
  if (const std::string path = FindMaybeGz(raw + "node-feat.csv"); !path.empty()) {
    HALO_RETURN_IF_ERROR(ReadFeatures(path, &graph));
  }
  if (const std::string path = FindMaybeGz(raw + "node-label.csv"); !path.empty()) {
    HALO_RETURN_IF_ERROR(ReadLabels(path, &graph));
  }
  HALO_RETURN_IF_ERROR(ReadSplit(dir, &graph));
  return graph;
}

}  // namespace halo::partition
