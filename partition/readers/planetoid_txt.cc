// --format=planetoid-txt: the text conversion of the Planetoid citation datasets, with the
// standard train/val/test split (see data/README.md).
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
using readers_internal::ContentTable;
using readers_internal::FileStem;
using readers_internal::FindUniqueFile;
using readers_internal::LabelColumn;
using readers_internal::ParseNodeId;
using readers_internal::ReadContentFile;
using readers_internal::ReadSplitFiles;
using readers_internal::TrimSpace;

namespace {

// "<u> <v>" lines, each undirected edge once: emitted as u -> v and v -> u (a self-loop once).
Status ReadUndirectedEdges(const std::string& path, const ContentTable& content,
                           const std::string& content_path, GraphData* graph) {
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
  std::vector<std::string_view> fields;
  std::string_view line;
  while (reader->Next(&line)) {
    const std::string_view trimmed = TrimSpace(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const size_t n = core::SplitFields(trimmed, ' ', &fields);
    if (n != 2) return reader->Error("expected 2 columns '<u> <v>', got " + std::to_string(n));
    int64_t u_id, v_id;
    HALO_RETURN_IF_ERROR(ParseNodeId(*reader, fields[0], "node ID", &u_id));
    HALO_RETURN_IF_ERROR(ParseNodeId(*reader, fields[1], "node ID", &v_id));
    const int64_t u = content.index.Find(u_id);
    const int64_t v = content.index.Find(v_id);
    if (u < 0 || v < 0) {
      return reader->Error("node " + std::to_string(u < 0 ? u_id : v_id) + " is not in " +
                           BaseName(content_path));
    }
    graph->src.push_back(u);
    graph->dst.push_back(v);
    if (u != v) {
      graph->src.push_back(v);
      graph->dst.push_back(u);
    }
  }
  return reader->status();
}

}  // namespace

Result<GraphData> ReadPlanetoidTxt(const std::string& dir) {
  HALO_RETURN_IF_ERROR(CheckDirectory(dir));
  HALO_ASSIGN_OR_RETURN(const std::string content_path, FindUniqueFile(dir, ".content"));
  const std::string base = dir + "/" + FileStem(content_path);
  HALO_ASSIGN_OR_RETURN(const std::string edges_path, core::ResolveMaybeGz(base + ".edges"));
  HALO_ASSIGN_OR_RETURN(ContentTable content, ReadContentFile(content_path, LabelColumn::kInteger));

  GraphData graph;
  graph.name = FileStem(content_path);
  graph.directed = false;
  graph.num_nodes = static_cast<int64_t>(content.ids.size());
  HALO_RETURN_IF_ERROR(ReadUndirectedEdges(edges_path, content, content_path, &graph));
  const std::string split_paths[3] = {base + ".train", base + ".val", base + ".test"};
  HALO_RETURN_IF_ERROR(ReadSplitFiles(split_paths, content.index, &graph.train_mask,
                                      &graph.val_mask, &graph.test_mask));
  // Node i is row i; the first column only matters when it is not already 0..n-1.
  if (!content.index.is_identity()) graph.original_ids = std::move(content.ids);
  graph.feature_dim = content.feature_dim;
  graph.features = std::move(content.features);
  graph.labels = std::move(content.labels);
  graph.num_classes = content.num_classes;
  return graph;
}

}  // namespace halo::partition
