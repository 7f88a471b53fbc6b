// --format=linqs: the LINQS citation datasets (cora.content + cora.cites).
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
using readers_internal::ContentTable;
using readers_internal::FileStem;
using readers_internal::FindMaybeGz;
using readers_internal::FindUniqueFile;
using readers_internal::LabelColumn;
using readers_internal::ParseNodeId;
using readers_internal::ReadContentFile;
using readers_internal::TrimSpace;

namespace {

Status ReadCites(const std::string& path, const ContentTable& content,
                 const std::string& content_path, GraphData* graph) {
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
  std::vector<std::string_view> fields;
  std::string_view line;
  while (reader->Next(&line)) {
    const std::string_view trimmed = TrimSpace(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const size_t n = core::SplitFields(trimmed, ' ', &fields);
    if (n != 2) {
      return reader->Error("expected 2 columns '<cited> <citing>', got " + std::to_string(n));
    }
    int64_t cited, citing;
    HALO_RETURN_IF_ERROR(ParseNodeId(*reader, fields[0], "cited paper ID", &cited));
    HALO_RETURN_IF_ERROR(ParseNodeId(*reader, fields[1], "citing paper ID", &citing));
    const int64_t dst = content.index.Find(cited);
    const int64_t src = content.index.Find(citing);
    if (dst < 0 || src < 0) {
      return reader->Error("paper " + std::to_string(dst < 0 ? cited : citing) + " is not in " +
                           BaseName(content_path));
    }
    graph->src.push_back(src);
    graph->dst.push_back(dst);
  }
  return reader->status();
}

}  // namespace

Result<GraphData> ReadLinqs(const std::string& input) {
  std::string content_path, cites_path;
  std::error_code ec;
  if (std::filesystem::is_directory(input, ec)) {
    HALO_ASSIGN_OR_RETURN(content_path, FindUniqueFile(input, ".content"));
    HALO_ASSIGN_OR_RETURN(cites_path, FindUniqueFile(input, ".cites"));
  } else {
    HALO_ASSIGN_OR_RETURN(content_path, core::ResolveMaybeGz(input));
    const std::string dir = std::filesystem::path(content_path).parent_path().string();
    const std::string cites = (dir.empty() ? "" : dir + "/") + FileStem(content_path) + ".cites";
    cites_path = FindMaybeGz(cites);
    if (cites_path.empty()) {
      return Status::NotFound(cites + ": no such file (nor " + cites + ".gz), needed next to " +
                              content_path);
    }
  }
  HALO_ASSIGN_OR_RETURN(ContentTable content,
                        ReadContentFile(content_path, LabelColumn::kClassName));
  GraphData graph;
  graph.name = FileStem(content_path);
  graph.directed = true;
  graph.num_nodes = static_cast<int64_t>(content.ids.size());
  HALO_RETURN_IF_ERROR(ReadCites(cites_path, content, content_path, &graph));
  graph.original_ids = std::move(content.ids);
  graph.feature_dim = content.feature_dim;
  graph.features = std::move(content.features);
  graph.labels = std::move(content.labels);
  graph.num_classes = content.num_classes;
  return graph;
}

}  // namespace halo::partition
