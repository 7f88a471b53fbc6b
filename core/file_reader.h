// Reading files that may be gzip-compressed: every reader in Halo goes through here, so a `.gz`
// (or any gzip stream, whatever its name) is read transparently. Not thread-safe per object.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace halo::core {

// Returns `path` if it exists, else `path + ".gz"` if that exists, else NotFound naming both.
Result<std::string> ResolveMaybeGz(const std::string& path);

// Reads a whole (possibly gzip-compressed) file into memory.
Result<std::string> ReadFileToString(const std::string& path);

// Sequential line reader over a (possibly gzip-compressed) file. Lines are returned without
// their '\n' (and without a trailing '\r'); a last line without '\n' is returned too.
class LineReader {
 public:
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Sets *line to the next line (valid until the next call) and returns true; false at the end of
  // the file or on a read error (then status() is not OK).
  bool Next(std::string_view* line);
  const Status& status() const { return status_; }
  // 1-based number of the line last returned.
  int64_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }
  // An InvalidArgument status "<path>:<line>: <message>" for the line last returned.
  Status Error(const std::string& message) const;

 private:
  LineReader(std::string path, void* gz) : path_(std::move(path)), gz_(gz) {}
  bool Fill();

  std::string path_;
  void* gz_;  // gzFile
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::string carry_;  // a line that spans buffer refills
  int64_t line_number_ = 0;
  Status status_;
};

// Sequential binary reader over a (possibly gzip-compressed) file.
class BinaryReader {
 public:
  static Result<std::unique_ptr<BinaryReader>> Open(const std::string& path);
  ~BinaryReader();
  BinaryReader(const BinaryReader&) = delete;
  BinaryReader& operator=(const BinaryReader&) = delete;

  // Reads exactly `bytes` into `dst`; a short read is Corruption naming the file and `what`.
  Status ReadExactly(void* dst, size_t bytes, const std::string& what);
  // True when no byte is left (reads ahead by one byte at most).
  bool AtEnd();
  const std::string& path() const { return path_; }

 private:
  BinaryReader(std::string path, void* gz) : path_(std::move(path)), gz_(gz) {}
  std::string path_;
  void* gz_;  // gzFile
};

// Splits `line` on `delim` (or on runs of spaces/tabs when delim == ' ') into `fields`, skipping
// empty leading/trailing fields of whitespace splitting. Returns the number of fields.
size_t SplitFields(std::string_view line, char delim, std::vector<std::string_view>* fields);

// Strict number parsing: the whole field must be a number (surrounding spaces allowed).
bool ParseInt64(std::string_view s, int64_t* out);
bool ParseFloat(std::string_view s, float* out);

}  // namespace halo::core
