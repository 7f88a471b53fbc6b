#include "core/file_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

namespace halo::core {

namespace {
constexpr size_t kBufferSize = 1 << 20;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

Result<gzFile> OpenGz(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(path + ": is a directory, expected a file");
  }
  if (!std::filesystem::exists(path, ec)) return Status::NotFound(path + ": no such file");
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) {
    return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  }
  gzbuffer(gz, 256 << 10);
  return gz;
}
}  // namespace

Result<std::string> ResolveMaybeGz(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return path;
  if (std::filesystem::exists(path + ".gz", ec)) return path + ".gz";
  return Status::NotFound(path + ": no such file (nor " + path + ".gz)");
}

Result<std::string> ReadFileToString(const std::string& path) {
  HALO_ASSIGN_OR_RETURN(gzFile gz, OpenGz(path));
  std::string out;
  std::vector<char> chunk(kBufferSize);
  while (true) {
    int n = gzread(gz, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(gz, &err);
      gzclose(gz);
      return Status::IOError(path + ": read failed: " + msg);
    }
    if (n == 0) break;
    out.append(chunk.data(), static_cast<size_t>(n));
  }
  gzclose(gz);
  return out;
}

Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path) {
  HALO_ASSIGN_OR_RETURN(gzFile gz, OpenGz(path));
  return std::unique_ptr<LineReader>(new LineReader(path, gz));
}

LineReader::~LineReader() {
  if (gz_ != nullptr) gzclose(static_cast<gzFile>(gz_));
}

bool LineReader::Fill() {
  if (eof_) return false;
  if (buffer_.empty()) buffer_.resize(kBufferSize);
  int n = gzread(static_cast<gzFile>(gz_), buffer_.data(), static_cast<unsigned>(buffer_.size()));
  if (n < 0) {
    int err = 0;
    status_ = Status::IOError(path_ + ": read failed after line " + std::to_string(line_number_) +
                              ": " + gzerror(static_cast<gzFile>(gz_), &err));
    eof_ = true;
    return false;
  }
  begin_ = 0;
  end_ = static_cast<size_t>(n);
  if (n == 0) eof_ = true;
  return n > 0;
}

bool LineReader::Next(std::string_view* line) {
  carry_.clear();
  while (true) {
    if (begin_ == end_ && !Fill()) {
      if (!status_.ok() || carry_.empty()) return false;
      ++line_number_;
      if (!carry_.empty() && carry_.back() == '\r') carry_.pop_back();
      *line = carry_;
      return true;
    }
    const char* start = buffer_.data() + begin_;
    const void* nl = std::memchr(start, '\n', end_ - begin_);
    if (nl == nullptr) {
      carry_.append(start, end_ - begin_);
      begin_ = end_;
      continue;
    }
    size_t len = static_cast<const char*>(nl) - start;
    begin_ += len + 1;
    ++line_number_;
    std::string_view piece(start, len);
    if (!carry_.empty()) {
      carry_.append(piece);
      piece = carry_;
    }
    if (!piece.empty() && piece.back() == '\r') piece.remove_suffix(1);
    *line = piece;
    return true;
  }
}

Status LineReader::Error(const std::string& message) const {
  return Status::InvalidArgument(path_ + ":" + std::to_string(line_number_) + ": " + message);
}

Result<std::unique_ptr<BinaryReader>> BinaryReader::Open(const std::string& path) {
  HALO_ASSIGN_OR_RETURN(gzFile gz, OpenGz(path));
  return std::unique_ptr<BinaryReader>(new BinaryReader(path, gz));
}

BinaryReader::~BinaryReader() {
  if (gz_ != nullptr) gzclose(static_cast<gzFile>(gz_));
}

Status BinaryReader::ReadExactly(void* dst, size_t bytes, const std::string& what) {
  auto* out = static_cast<char*>(dst);
  size_t done = 0;
  while (done < bytes) {
    // gzread takes an unsigned count: read in chunks of at most 1 GiB.
    const auto chunk = static_cast<unsigned>(std::min<size_t>(bytes - done, size_t{1} << 30));
    const int n = gzread(static_cast<gzFile>(gz_), out + done, chunk);
    if (n < 0) {
      int err = 0;
      return Status::IOError(path_ + ": read failed: " + gzerror(static_cast<gzFile>(gz_), &err));
    }
    if (n == 0) {
      return Status::Corruption(path_ + ": file ends inside " + what + " (" + std::to_string(done) +
                                " of " + std::to_string(bytes) + " bytes)");
    }
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

bool BinaryReader::AtEnd() { return gzgetc(static_cast<gzFile>(gz_)) == -1; }

size_t SplitFields(std::string_view line, char delim, std::vector<std::string_view>* fields) {
  fields->clear();
  if (delim == ' ') {
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i == line.size()) break;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      fields->push_back(line.substr(i, j - i));
      i = j;
    }
    return fields->size();
  }
  size_t start = 0;
  while (true) {
    size_t pos = line.find(delim, start);
    if (pos == std::string_view::npos) {
      fields->push_back(Trim(line.substr(start)));
      break;
    }
    fields->push_back(Trim(line.substr(start, pos - start)));
    start = pos + 1;
  }
  return fields->size();
}

bool ParseInt64(std::string_view s, int64_t* out) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ParseFloat(std::string_view s, float* out) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace halo::core
