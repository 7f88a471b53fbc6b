#include "partition/readers/reader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "partition/readers/reader_util.h"

namespace halo::partition {

using core::LineReader;
using core::Result;
using core::Status;

const std::vector<std::string>& SupportedFormats() {
  static const std::vector<std::string> kFormats = {"edgelist", "linqs", "planetoid-txt",
                                                    "metis",    "ogb",   "npy"};
  return kFormats;
}

namespace {
Result<GraphData> Dispatch(const std::string& input, const std::string& format) {
  if (format == "edgelist") return ReadEdgeList(input);
  if (format == "linqs") return ReadLinqs(input);
  if (format == "planetoid-txt") return ReadPlanetoidTxt(input);
  if (format == "metis") return ReadMetisGraph(input);
  if (format == "ogb") return ReadOgb(input);
  return ReadNpyDir(input);
}
}  // namespace

Result<GraphData> ReadGraph(const std::string& input, const std::string& format) {
  const auto& formats = SupportedFormats();
  if (std::find(formats.begin(), formats.end(), format) == formats.end()) {
    std::string list;
    for (const auto& f : formats) list += (list.empty() ? "" : ", ") + f;
    return Status::InvalidArgument("unknown input format '" + format + "' (supported: " + list +
                                   ")");
  }
  std::error_code ec;
  if (!std::filesystem::exists(input, ec) && !std::filesystem::exists(input + ".gz", ec)) {
    return Status::NotFound(input + ": no such file or directory");
  }
  Result<GraphData> graph = Dispatch(input, format);
  if (!graph.ok()) return graph.status();
  // Every reader checks as it parses; this is the backstop that keeps later stages safe.
  HALO_RETURN_IF_ERROR(graph->Validate(input));
  return graph;
}

namespace readers_internal {

std::string BaseName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string FileStem(const std::string& path) {
  std::string name = BaseName(path);
  constexpr std::string_view kGz = ".gz";
  if (name.size() > kGz.size() && name.compare(name.size() - kGz.size(), kGz.size(), kGz) == 0) {
    name.resize(name.size() - kGz.size());
  }
  const size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0) name.resize(dot);
  return name;
}

std::string FindMaybeGz(const std::string& path) {
  Result<std::string> resolved = core::ResolveMaybeGz(path);
  return resolved.ok() ? resolved.value() : std::string();
}

namespace {
bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

Result<std::string> FindUniqueFile(const std::string& dir, const std::string& ext) {
  std::set<std::string> stems;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (EndsWith(name, ext)) stems.insert(name.substr(0, name.size() - ext.size()));
    if (EndsWith(name, ext + ".gz")) stems.insert(name.substr(0, name.size() - ext.size() - 3));
  }
  if (ec) return Status::IOError(dir + ": cannot list: " + ec.message());
  if (stems.empty()) return Status::NotFound(dir + ": no *" + ext + " file (nor *" + ext + ".gz)");
  if (stems.size() > 1) {
    std::string names;
    for (const auto& s : stems) names += (names.empty() ? "" : ", ") + s + ext;
    return Status::InvalidArgument(dir + ": more than one *" + ext + " file (" + names + ")");
  }
  return core::ResolveMaybeGz(dir + "/" + *stems.begin() + ext);
}

Status CheckDirectory(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound(path + ": no such directory");
  }
  if (!std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(path + ": expected a directory, got a file");
  }
  return Status::OK();
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

Status LineError(const std::string& path, int64_t line, const std::string& message) {
  return Status::InvalidArgument(path + ":" + std::to_string(line) + ": " + message);
}

Status ParseNodeId(const LineReader& reader, std::string_view field, const char* what,
                   int64_t* out) {
  if (!core::ParseInt64(field, out)) {
    return reader.Error(std::string("bad ") + what + " '" + std::string(field) +
                        "' (expected a non-negative integer)");
  }
  if (*out < 0) {
    return reader.Error(std::string("negative ") + what + " " + std::to_string(*out));
  }
  return Status::OK();
}

Status ParseFiniteFloat(const LineReader& reader, std::string_view field, const char* what,
                        float* out) {
  // Bag-of-words features are mostly single digits: skip the general parser for those.
  if (field.size() == 1 && field[0] >= '0' && field[0] <= '9') {
    *out = static_cast<float>(field[0] - '0');
    return Status::OK();
  }
  if (!core::ParseFloat(field, out)) {
    return reader.Error(std::string("bad ") + what + " '" + std::string(field) +
                        "' (expected a number)");
  }
  if (!std::isfinite(*out)) {
    return reader.Error(std::string(what) + " '" + std::string(field) + "' is not finite");
  }
  return Status::OK();
}

IdIndex IdIndex::Identity(int64_t n) {
  IdIndex index;
  index.size_ = n;
  return index;
}

Status IdIndex::Build(const std::vector<int64_t>& ids, const std::string& path,
                      const std::vector<int64_t>& lines) {
  size_ = static_cast<int64_t>(ids.size());
  sorted_.clear();
  identity_ = true;
  for (int64_t i = 0; i < size_ && identity_; ++i) identity_ = ids[i] == i;
  if (identity_) return Status::OK();
  sorted_.resize(ids.size());
  for (int64_t i = 0; i < size_; ++i) sorted_[i] = {ids[i], i};
  std::sort(sorted_.begin(), sorted_.end());
  for (size_t i = 1; i < sorted_.size(); ++i) {
    if (sorted_[i].first == sorted_[i - 1].first) {
      const int64_t first = std::min(sorted_[i].second, sorted_[i - 1].second);
      const int64_t second = std::max(sorted_[i].second, sorted_[i - 1].second);
      return LineError(path, lines[second],
                       "duplicate node ID " + std::to_string(sorted_[i].first) +
                           " (first listed on line " + std::to_string(lines[first]) + ")");
    }
  }
  return Status::OK();
}

int64_t IdIndex::Find(int64_t id) const {
  if (identity_) return id >= 0 && id < size_ ? id : -1;
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), std::make_pair(id, int64_t{0}));
  return it != sorted_.end() && it->first == id ? it->second : -1;
}

Result<ContentTable> ReadContentFile(const std::string& path, LabelColumn label_column) {
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
  ContentTable table;
  std::vector<std::string_view> fields;
  size_t width = 0;
  int64_t width_line = 0;
  // Class name -> provisional number (order of first appearance), renumbered by name at the end.
  std::map<std::string, int64_t, std::less<>> classes;
  std::string_view line;
  while (reader->Next(&line)) {
    const std::string_view trimmed = TrimSpace(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const size_t n = core::SplitFields(trimmed, ' ', &fields);
    if (width == 0) {
      if (n < 2) {
        return reader->Error("expected '<id> [features...] <label>', got " + std::to_string(n) +
                             " column(s)");
      }
      width = n;
      width_line = reader->line_number();
      table.feature_dim = static_cast<int64_t>(n - 2);
    } else if (n != width) {
      return reader->Error("expected " + std::to_string(width) + " columns like line " +
                           std::to_string(width_line) + ", got " + std::to_string(n));
    }
    int64_t id;
    HALO_RETURN_IF_ERROR(ParseNodeId(*reader, fields[0], "node ID", &id));
    table.ids.push_back(id);
    table.lines.push_back(reader->line_number());
    for (size_t i = 1; i + 1 < n; ++i) {
      float value;
      HALO_RETURN_IF_ERROR(ParseFiniteFloat(*reader, fields[i], "feature", &value));
      table.features.push_back(value);
    }
    const std::string_view label_field = fields[n - 1];
    if (label_column == LabelColumn::kClassName) {
      auto it = classes.find(label_field);
      if (it == classes.end()) {
        const int64_t next = static_cast<int64_t>(classes.size());
        it = classes.emplace(std::string(label_field), next).first;
      }
      table.labels.push_back(it->second);
    } else {
      int64_t label;
      if (!core::ParseInt64(label_field, &label)) {
        return reader->Error("bad label '" + std::string(label_field) + "' (expected an integer)");
      }
      if (label < -1) {
        return reader->Error("label " + std::to_string(label) + " out of range (>= -1 expected)");
      }
      table.labels.push_back(label);
      table.num_classes = std::max(table.num_classes, label + 1);
    }
  }
  HALO_RETURN_IF_ERROR(reader->status());
  if (table.ids.empty()) return Status::InvalidArgument(path + ": no nodes");
  if (label_column == LabelColumn::kClassName) {
    // std::map iterates in name order: that order is the class numbering.
    std::vector<int64_t> by_name(classes.size());
    int64_t next = 0;
    for (const auto& [name, provisional] : classes) {
      by_name[provisional] = next++;
      table.class_names.push_back(name);
    }
    for (int64_t& label : table.labels) label = by_name[label];
    table.num_classes = static_cast<int64_t>(classes.size());
  }
  HALO_RETURN_IF_ERROR(table.index.Build(table.ids, path, table.lines));
  return table;
}

Status ReadSplitFile(const std::string& path, const IdIndex& index, int split,
                     std::vector<uint8_t>* assigned, std::vector<uint8_t>* mask) {
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
  std::vector<std::string_view> fields;
  std::string_view line;
  while (reader->Next(&line)) {
    const std::string_view trimmed = TrimSpace(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const size_t n = core::SplitFields(trimmed, ' ', &fields);
    if (n != 1) {
      return reader->Error("expected one node ID per line, got " + std::to_string(n) + " columns");
    }
    int64_t id;
    HALO_RETURN_IF_ERROR(ParseNodeId(*reader, fields[0], "node ID", &id));
    const int64_t row = index.Find(id);
    if (row < 0) return reader->Error("unknown node ID " + std::to_string(id));
    uint8_t& where = (*assigned)[row];
    if (where != 0 && where != split) {
      return reader->Error("node " + std::to_string(id) + " is already in the " +
                           kSplitNames[where - 1] + " split");
    }
    where = static_cast<uint8_t>(split);
    (*mask)[row] = 1;
  }
  return reader->status();
}

Status ReadSplitFiles(const std::string (&paths)[3], const IdIndex& index,
                      std::vector<uint8_t>* train, std::vector<uint8_t>* val,
                      std::vector<uint8_t>* test) {
  std::string resolved[3];
  std::string missing;
  int found = 0;
  for (int i = 0; i < 3; ++i) {
    resolved[i] = FindMaybeGz(paths[i]);
    if (resolved[i].empty()) {
      missing += (missing.empty() ? "" : ", ") + paths[i];
    } else {
      ++found;
    }
  }
  if (found == 0) return Status::OK();
  if (found < 3) {
    return Status::NotFound("missing split file(s) " + missing +
                            " (train, val and test files go together)");
  }
  const size_t n = static_cast<size_t>(index.size());
  std::vector<uint8_t> assigned(n, 0);
  std::vector<uint8_t>* masks[3] = {train, val, test};
  for (int i = 0; i < 3; ++i) {
    masks[i]->assign(n, 0);
    HALO_RETURN_IF_ERROR(ReadSplitFile(resolved[i], index, i + 1, &assigned, masks[i]));
  }
  return Status::OK();
}

}  // namespace readers_internal
}  // namespace halo::partition
