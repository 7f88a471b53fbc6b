// --format=edgelist: "src dst [weight]" per line, IDs compacted in ascending order.
#include <algorithm>
#include <memory>
#include <utility>

#include "core/file_reader.h"
#include "partition/readers/reader.h"
#include "partition/readers/reader_util.h"

namespace halo::partition {

using core::LineReader;
using core::Result;
using core::Status;
using readers_internal::FileStem;
using readers_internal::ParseFiniteFloat;
using readers_internal::ParseNodeId;
using readers_internal::TrimSpace;

namespace {

char DetectDelimiter(std::string_view line) {
  if (line.find(',') != std::string_view::npos) return ',';
  if (line.find('\t') != std::string_view::npos) return '\t';
  return ' ';
}

const char* DelimiterName(char delim) {
  return delim == ',' ? "comma" : delim == '\t' ? "tab" : "whitespace";
}

// Numbers non-negative IDs 0, 1, 2, ... in order of first appearance: an open-addressing hash
// table with linear probing, much faster than a binary search over millions of sorted IDs.
class IdNumbering {
 public:
  int64_t Number(int64_t id) {
    if ((ids_.size() + 1) * 2 > slots_.size()) Grow();
    size_t i = Hash(id);
    while (true) {
      Slot& slot = slots_[i];
      if (slot.id == id) return slot.number;
      if (slot.id < 0) {
        slot = {id, static_cast<int64_t>(ids_.size())};
        ids_.push_back(id);
        return slot.number;
      }
      i = (i + 1) & mask_;
    }
  }
  // Number -> ID.
  const std::vector<int64_t>& ids() const { return ids_; }

 private:
  struct Slot {
    int64_t id;  // -1 = empty
    int64_t number;
  };
  size_t Hash(int64_t id) const {
    return static_cast<size_t>((static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void Grow() {
    const size_t size = slots_.empty() ? 1024 : slots_.size() * 2;
    shift_ = 64;
    for (size_t s = size; s > 1; s >>= 1) --shift_;
    mask_ = size - 1;
    slots_.assign(size, Slot{-1, 0});
    for (size_t k = 0; k < ids_.size(); ++k) {
      size_t i = Hash(ids_[k]);
      while (slots_[i].id >= 0) i = (i + 1) & mask_;
      slots_[i] = {ids_[k], static_cast<int64_t>(k)};
    }
  }

  std::vector<Slot> slots_;
  std::vector<int64_t> ids_;
  size_t mask_ = 0;
  int shift_ = 64;
};

// Rewrites graph->src/dst from source IDs to 0..n-1 in ascending source-ID order.
void CompactIds(int64_t max_id, GraphData* graph) {
  const size_t endpoints = graph->src.size() * 2;
  if (endpoints == 0) return;
  // IDs that are not much sparser than the edges: a direct table, linear time.
  if (static_cast<uint64_t>(max_id) < endpoints * 2 + 1024) {
    std::vector<int64_t> remap(static_cast<size_t>(max_id) + 1, -1);
    for (NodeId v : graph->src) remap[v] = 0;
    for (NodeId v : graph->dst) remap[v] = 0;
    int64_t next = 0;
    for (int64_t& r : remap) {
      if (r == 0) r = next++;
    }
    graph->num_nodes = next;
    if (next == max_id + 1) return;  // already 0..n-1: the identity, original_ids stays empty
    graph->original_ids.reserve(static_cast<size_t>(next));
    for (int64_t id = 0; id <= max_id; ++id) {
      if (remap[id] >= 0) graph->original_ids.push_back(id);
    }
    for (NodeId& v : graph->src) v = remap[v];
    for (NodeId& v : graph->dst) v = remap[v];
    return;
  }
  // Sparse IDs (hashes, 64-bit keys): number them by first appearance through a hash table
  // (one probe per endpoint), then renumber the distinct IDs in ascending order.
  IdNumbering numbering;
  for (NodeId& v : graph->src) v = numbering.Number(v);
  for (NodeId& v : graph->dst) v = numbering.Number(v);
  const std::vector<int64_t>& first_seen = numbering.ids();
  const size_t n = first_seen.size();
  std::vector<std::pair<int64_t, int64_t>> by_id(n);  // (source ID, first-appearance number)
  for (size_t i = 0; i < n; ++i) by_id[i] = {first_seen[i], static_cast<int64_t>(i)};
  numbering = IdNumbering();  // release the table before the next allocations
  std::sort(by_id.begin(), by_id.end());
  std::vector<int64_t> rank(n);
  graph->original_ids.resize(n);
  for (size_t i = 0; i < n; ++i) {
    rank[by_id[i].second] = static_cast<int64_t>(i);
    graph->original_ids[i] = by_id[i].first;
  }
  graph->num_nodes = static_cast<int64_t>(n);
  for (NodeId& v : graph->src) v = rank[v];
  for (NodeId& v : graph->dst) v = rank[v];
}

}  // namespace

Result<GraphData> ReadEdgeList(const std::string& path) {
  HALO_ASSIGN_OR_RETURN(const std::string resolved, core::ResolveMaybeGz(path));
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(resolved));
  GraphData graph;
  graph.name = FileStem(resolved);
  graph.directed = true;
  std::vector<std::string_view> fields;
  char delim = 0;
  bool first_line = true;
  size_t width = 0;  // 2 or 3, fixed by the first edge line
  int64_t width_line = 0;
  int64_t max_id = -1;
  std::string_view line;
  while (reader->Next(&line)) {
    const std::string_view trimmed = TrimSpace(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    if (delim == 0) delim = DetectDelimiter(trimmed);
    const size_t n = core::SplitFields(trimmed, delim, &fields);
    if (first_line) {
      first_line = false;
      int64_t a, b;
      if (n >= 2 && (!core::ParseInt64(fields[0], &a) || !core::ParseInt64(fields[1], &b))) {
        delim = 0;  // a header: detect the delimiter again on the first edge
        continue;
      }
    }
    if (n < 2 || n > 3) {
      return reader->Error("expected 2 or 3 " + std::string(DelimiterName(delim)) +
                           "-separated columns (src dst [weight]), got " + std::to_string(n));
    }
    if (width == 0) {
      width = n;
      width_line = reader->line_number();
    } else if (n != width) {
      return reader->Error("got " + std::to_string(n) + " columns but line " +
                           std::to_string(width_line) + " had " + std::to_string(width) +
                           ": either every edge has a weight or none does");
    }
    int64_t s, d;
    HALO_RETURN_IF_ERROR(ParseNodeId(*reader, fields[0], "source ID", &s));
    HALO_RETURN_IF_ERROR(ParseNodeId(*reader, fields[1], "destination ID", &d));
    graph.src.push_back(s);
    graph.dst.push_back(d);
    max_id = std::max(max_id, std::max(s, d));
    if (n == 3) {
      float w;
      HALO_RETURN_IF_ERROR(ParseFiniteFloat(*reader, fields[2], "edge weight", &w));
      graph.edge_weight.push_back(w);
    }
  }
  HALO_RETURN_IF_ERROR(reader->status());
  CompactIds(max_id, &graph);
  return graph;
}

}  // namespace halo::partition
