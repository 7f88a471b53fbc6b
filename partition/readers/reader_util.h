// Helpers shared by the input readers (internal to partition/readers; defined in reader.cc):
// file naming, strict field parsing with "path:line:" errors, the node-ID index of formats that
// list their nodes, and the parsers of the files that several formats share (LINQS-style content
// files, one-node-per-line split files).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/file_reader.h"
#include "core/status.h"

namespace halo::partition::readers_internal {

// "dir/cora.content.gz" -> "cora.content.gz"; a trailing '/' is ignored ("dir/ogbn-x/" ->
// "ogbn-x").
std::string BaseName(const std::string& path);
// The base name without ".gz" and then without its last extension: "a/cora.content.gz" -> "cora".
std::string FileStem(const std::string& path);
// `path` if it exists, else `path.gz` if that exists, else "".
std::string FindMaybeGz(const std::string& path);
// The one file in `dir` named "*<ext>" or "*<ext>.gz" (both spellings of one name count once):
// NotFound if there is none, InvalidArgument naming them if there are several.
core::Result<std::string> FindUniqueFile(const std::string& dir, const std::string& ext);
// NotFound naming `path` unless it is an existing directory (InvalidArgument if it is a file).
core::Status CheckDirectory(const std::string& path);

// Trims spaces, tabs and '\r' on both sides.
std::string_view TrimSpace(std::string_view s);
// An InvalidArgument "<path>:<line>: <message>", for errors found after the line was read.
core::Status LineError(const std::string& path, int64_t line, const std::string& message);

// Parses a node ID: a non-negative int64. `what` names the field in the error ("source ID").
core::Status ParseNodeId(const core::LineReader& reader, std::string_view field, const char* what,
                         int64_t* out);
// Parses a finite float (features, weights); `what` names the field in the error.
core::Status ParseFiniteFloat(const core::LineReader& reader, std::string_view field,
                              const char* what, float* out);

// Maps the IDs of a node list (row i has ids[i]) back to rows, i.e. to compact IDs. IDs that are
// exactly 0..n-1 in order cost nothing; others are binary-searched.
class IdIndex {
 public:
  // The identity over 0..n-1.
  static IdIndex Identity(int64_t n);
  // Fails on a duplicate ID, naming `path` and the two lines (`lines[i]` is the line of row i).
  core::Status Build(const std::vector<int64_t>& ids, const std::string& path,
                     const std::vector<int64_t>& lines);
  // The row of `id`, or -1 if it is not listed.
  int64_t Find(int64_t id) const;
  bool is_identity() const { return identity_; }
  int64_t size() const { return size_; }

 private:
  bool identity_ = true;
  int64_t size_ = 0;
  std::vector<std::pair<int64_t, int64_t>> sorted_;  // (id, row), by id; empty for the identity
};

// A node list in the LINQS content layout: "<id> <f_1> ... <f_d> <label>", whitespace-separated,
// one node per line, every line with the same width.
enum class LabelColumn {
  kClassName,  // any token; classes are numbered by sorted name (LINQS)
  kInteger,    // an integer >= -1; -1 = unlabeled (Planetoid text)
};
struct ContentTable {
  std::vector<int64_t> ids;    // first column, in file order
  std::vector<int64_t> lines;  // line number of each row
  int64_t feature_dim = 0;
  std::vector<float> features;           // rows x feature_dim
  std::vector<int64_t> labels;           // one per row
  int64_t num_classes = 0;               // number of class names, or max integer label + 1
  std::vector<std::string> class_names;  // sorted; kClassName only
  IdIndex index;                         // id -> row
};
core::Result<ContentTable> ReadContentFile(const std::string& path, LabelColumn label_column);

// Split files: one node ID per line ('#' comments and blank lines skipped). Node IDs go through
// `index`; unknown IDs and nodes already placed in another split are errors naming file and line.
// `assigned` (one entry per node, 0 = in no split) tracks the splits read so far; `split` is the
// 1-based number of this split in `kSplitNames`.
inline constexpr const char* kSplitNames[] = {"train", "val", "test"};
core::Status ReadSplitFile(const std::string& path, const IdIndex& index, int split,
                           std::vector<uint8_t>* assigned, std::vector<uint8_t>* mask);

// Reads the train/val/test split files at `paths` (each may be given without its ".gz"): all
// three missing means no split (masks stay empty); some missing is an error naming them.
core::Status ReadSplitFiles(const std::string (&paths)[3], const IdIndex& index,
                            std::vector<uint8_t>* train, std::vector<uint8_t>* val,
                            std::vector<uint8_t>* test);

}  // namespace halo::partition::readers_internal
