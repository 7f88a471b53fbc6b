// --format=metis: the METIS .graph format (METIS manual, section "Graph data structure").
#include <algorithm>
#include <memory>

#include "core/file_reader.h"
#include "partition/readers/reader.h"
#include "partition/readers/reader_util.h"

namespace halo::partition {

using core::LineReader;
using core::Result;
using core::Status;
using readers_internal::FileStem;
using readers_internal::LineError;
using readers_internal::TrimSpace;

namespace {

struct MetisHeader {
  int64_t n = 0;
  int64_t m = 0;
  bool vertex_sizes = false;
  bool edge_weights = false;
  int64_t ncon = 0;  // vertex weights per vertex
  int64_t line = 0;
};

Status ParseHeader(const LineReader& reader, const std::vector<std::string_view>& fields,
                   MetisHeader* header) {
  header->line = reader.line_number();
  if (fields.size() < 2 || fields.size() > 4) {
    return reader.Error("expected the header 'n m [fmt [ncon]]', got " +
                        std::to_string(fields.size()) + " fields");
  }
  if (!core::ParseInt64(fields[0], &header->n) || header->n < 0) {
    return reader.Error("bad vertex count '" + std::string(fields[0]) + "' in the header");
  }
  if (!core::ParseInt64(fields[1], &header->m) || header->m < 0) {
    return reader.Error("bad edge count '" + std::string(fields[1]) + "' in the header");
  }
  bool vertex_weights = false;
  if (fields.size() >= 3) {
    const std::string_view fmt = fields[2];
    bool ok = !fmt.empty() && fmt.size() <= 3;
    for (char c : fmt) ok = ok && (c == '0' || c == '1');
    if (!ok) {
      return reader.Error("bad fmt '" + std::string(fmt) + "' (up to 3 digits, each 0 or 1)");
    }
    const size_t k = fmt.size();
    header->edge_weights = fmt[k - 1] == '1';
    vertex_weights = k >= 2 && fmt[k - 2] == '1';
    header->vertex_sizes = k >= 3 && fmt[k - 3] == '1';
  }
  header->ncon = vertex_weights ? 1 : 0;
  if (fields.size() == 4) {
    if (!core::ParseInt64(fields[3], &header->ncon) || header->ncon < 1) {
      return reader.Error("bad ncon '" + std::string(fields[3]) +
                          "' (expected a positive integer)");
    }
    if (!vertex_weights) {
      return reader.Error("ncon is given but fmt '" + std::string(fields[2]) +
                          "' has no vertex weights");
    }
  }
  if (header->n >= (int64_t{1} << 62) || header->m >= (int64_t{1} << 61)) {
    return reader.Error("vertex or edge count too large");
  }
  return Status::OK();
}

// One vertex line: [size] [w_1 ... w_ncon] then "u [weight]" per neighbor (1-based).
Status ParseVertex(const LineReader& reader, const MetisHeader& header,
                   const std::vector<std::string_view>& fields, int64_t v, GraphData* graph) {
  const size_t leading = (header.vertex_sizes ? 1 : 0) + static_cast<size_t>(header.ncon);
  if (fields.size() < leading) {
    return reader.Error("vertex " + std::to_string(v + 1) + ": expected " +
                        std::to_string(leading) + " leading size/weight fields, got " +
                        std::to_string(fields.size()));
  }
  for (size_t i = 0; i < leading; ++i) {
    int64_t value;
    if (!core::ParseInt64(fields[i], &value) || value < 0) {
      return reader.Error("vertex " + std::to_string(v + 1) + ": bad vertex " +
                          (header.vertex_sizes && i == 0 ? "size" : "weight") + " '" +
                          std::string(fields[i]) + "' (expected a non-negative integer)");
    }
  }
  const size_t step = header.edge_weights ? 2 : 1;
  if ((fields.size() - leading) % step != 0) {
    return reader.Error("vertex " + std::to_string(v + 1) +
                        ": neighbor without an edge weight (fmt says every neighbor has one)");
  }
  for (size_t i = leading; i < fields.size(); i += step) {
    int64_t u;
    if (!core::ParseInt64(fields[i], &u)) {
      return reader.Error("bad neighbor '" + std::string(fields[i]) + "' (expected an integer)");
    }
    if (u < 1 || u > header.n) {
      return reader.Error("neighbor " + std::to_string(u) + " out of range [1, " +
                          std::to_string(header.n) + "]");
    }
    graph->src.push_back(u - 1);
    graph->dst.push_back(v);
    if (header.edge_weights) {
      int64_t w;
      if (!core::ParseInt64(fields[i + 1], &w) || w < 0) {
        return reader.Error("bad edge weight '" + std::string(fields[i + 1]) +
                            "' (expected a non-negative integer)");
      }
      graph->edge_weight.push_back(static_cast<float>(w));
    }
  }
  return Status::OK();
}

}  // namespace

Result<GraphData> ReadMetisGraph(const std::string& path) {
  HALO_ASSIGN_OR_RETURN(const std::string resolved, core::ResolveMaybeGz(path));
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(resolved));
  GraphData graph;
  graph.name = FileStem(resolved);
  graph.directed = false;  // every edge is listed in both endpoints' lines
  MetisHeader header;
  bool have_header = false;
  int64_t v = 0;  // vertex lines read so far
  std::vector<std::string_view> fields;
  std::string_view line;
  while (reader->Next(&line)) {
    const std::string_view trimmed = TrimSpace(line);
    if (!trimmed.empty() && trimmed.front() == '%') continue;
    core::SplitFields(trimmed, ' ', &fields);
    if (!have_header) {
      if (trimmed.empty()) continue;
      HALO_RETURN_IF_ERROR(ParseHeader(*reader, fields, &header));
      have_header = true;
      // The header is not trusted with more than a bounded reservation.
      const size_t expected = static_cast<size_t>(std::min<int64_t>(2 * header.m, 1 << 24));
      graph.src.reserve(expected);
      graph.dst.reserve(expected);
      if (header.edge_weights) graph.edge_weight.reserve(expected);
      continue;
    }
    // After the header a blank line is a vertex without neighbors, except past the last vertex.
    if (v == header.n) {
      if (trimmed.empty()) continue;
      return reader->Error("more vertex lines than the " + std::to_string(header.n) +
                           " in the header (line " + std::to_string(header.line) + ")");
    }
    HALO_RETURN_IF_ERROR(ParseVertex(*reader, header, fields, v, &graph));
    ++v;
  }
  HALO_RETURN_IF_ERROR(reader->status());
  if (!have_header) return Status::InvalidArgument(resolved + ": empty file, no METIS header");
  if (v != header.n) {
    return LineError(resolved, header.line,
                     "header says " + std::to_string(header.n) + " vertices, the file has " +
                         std::to_string(v) + " vertex lines");
  }
  if (graph.num_edges() != 2 * header.m) {
    return LineError(resolved, header.line,
                     "header says " + std::to_string(header.m) + " edges, i.e. " +
                         std::to_string(2 * header.m) + " adjacency entries; the file has " +
                         std::to_string(graph.num_edges()));
  }
  graph.num_nodes = header.n;
  return graph;
}

}  // namespace halo::partition
