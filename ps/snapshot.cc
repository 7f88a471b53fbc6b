#include "ps/snapshot.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/fs.h"
#include "net/crc32c.h"

namespace halo::ps {

namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'H', 'A', 'L', 'O', 'P', 'S', 'S', '1'};
constexpr uint64_t kMaxHeaderBytes = uint64_t{1} << 30;

template <typename T>
void Append(std::string* out, const T* data, size_t count) {
  out->append(reinterpret_cast<const char*>(data), count * sizeof(T));
}

// Reads `count` T's from data[*pos, limit), advancing *pos; false when too few bytes are left.
template <typename T>
bool Take(const std::string& data, size_t limit, size_t* pos, size_t count, std::vector<T>* out) {
  if (count > (limit - *pos) / sizeof(T)) return false;
  out->resize(count);
  if (count > 0) std::memcpy(out->data(), data.data() + *pos, count * sizeof(T));
  *pos += count * sizeof(T);
  return true;
}

}  // namespace

std::string ShardSnapshotPath(const std::string& dir, int64_t clock, int shard, int num_shards) {
  return dir + "/clock-" + std::to_string(clock) + "/shard-" + std::to_string(shard) + "-of-" +
         std::to_string(num_shards) + ".snap";
}

core::Status PruneShardSnapshots(const std::string& dir, int shard, int num_shards, int keep) {
  if (keep <= 0) return core::Status::OK();
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<int64_t> clocks;  // clocks with this shard's file
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("clock-", 0) != 0) continue;
    char* end = nullptr;
    const long long clock = std::strtoll(name.c_str() + 6, &end, 10);
    if (end == nullptr || *end != '\0' || clock < 0) continue;
    if (fs::exists(ShardSnapshotPath(dir, clock, shard, num_shards), ec)) clocks.push_back(clock);
  }
  if (ec) return core::Status::IOError(dir + ": cannot list snapshots: " + ec.message());
  std::sort(clocks.rbegin(), clocks.rend());
  for (size_t i = static_cast<size_t>(keep); i < clocks.size(); ++i) {
    const std::string file = ShardSnapshotPath(dir, clocks[i], shard, num_shards);
    if (!fs::remove(file, ec) && ec) {
      return core::Status::IOError(file + ": cannot delete old snapshot: " + ec.message());
    }
    fs::remove(fs::path(file).parent_path(), ec);  // only succeeds once the directory is empty
  }
  return core::Status::OK();
}

core::Status WriteShardSnapshot(const std::string& path, const ShardSnapshot& snap) {
  if (snap.specs.size() != snap.tables.size()) {
    return core::Status::Internal("snapshot: " + std::to_string(snap.specs.size()) + " specs for " +
                                  std::to_string(snap.tables.size()) + " tables");
  }
  nlohmann::json header;
  header["format_version"] = kSnapshotFormatVersion;
  header["shard"] = snap.shard;
  header["num_shards"] = snap.num_shards;
  header["num_workers"] = snap.num_workers;
  header["clock"] = snap.clock;
  header["clocks"] = snap.clocks;
  header["tables"] = nlohmann::json::array();
  for (size_t t = 0; t < snap.specs.size(); ++t) {
    header["tables"].push_back(
        {{"spec", nlohmann::json::parse(TableSpecToJson(snap.specs[t]))},
         {"rows", snap.tables[t].rows.size()},
         {"state_floats", StateFloatsPerRow(snap.specs[t].optimizer, snap.specs[t].dim)}});
  }
  const std::string header_text = header.dump();
  std::string out;
  out.append(kMagic, sizeof(kMagic));
  const uint64_t header_len = header_text.size();
  Append(&out, &header_len, 1);
  out += header_text;
  for (const TableRows& t : snap.tables) {
    Append(&out, t.rows.data(), t.rows.size());
    Append(&out, t.values.data(), t.values.size());
    Append(&out, t.state.data(), t.state.size());
    Append(&out, t.steps.data(), t.steps.size());
  }
  const uint32_t crc = net::Crc32c(0, out.data(), out.size());
  Append(&out, &crc, 1);
  const std::string parent = fs::path(path).parent_path().string();
  if (!parent.empty()) HALO_RETURN_IF_ERROR(core::MakeDirs(parent));
  return core::WriteFileAtomic(path, out);
}

core::Result<ShardSnapshot> ReadShardSnapshot(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Status::IOError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string data = buffer.str();
  auto corrupt = [&](const std::string& what) {
    return core::Status::Corruption(path + ": " + what);
  };
  if (data.size() < sizeof(kMagic) + sizeof(uint64_t) + sizeof(uint32_t) ||
      std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    return corrupt("not a parameter-server snapshot (bad magic or too short)");
  }
  uint32_t stored_crc;
  std::memcpy(&stored_crc, data.data() + data.size() - sizeof(uint32_t), sizeof(uint32_t));
  const size_t body = data.size() - sizeof(uint32_t);
  const uint32_t crc = net::Crc32c(0, data.data(), body);
  if (crc != stored_crc) return corrupt("checksum mismatch (the file is damaged)");
  uint64_t header_len;
  std::memcpy(&header_len, data.data() + sizeof(kMagic), sizeof(header_len));
  size_t pos = sizeof(kMagic) + sizeof(header_len);
  if (header_len > kMaxHeaderBytes || header_len > body - pos) return corrupt("bad header length");
  const std::string header_text = data.substr(pos, header_len);
  pos += header_len;

  ShardSnapshot snap;
  std::vector<uint64_t> row_counts;
  try {
    const nlohmann::json h = nlohmann::json::parse(header_text);
    if (h.at("format_version").get<int>() != kSnapshotFormatVersion) {
      return corrupt("format version " + h.at("format_version").dump() + ", expected " +
                     std::to_string(kSnapshotFormatVersion));
    }
    snap.shard = h.at("shard").get<int>();
    snap.num_shards = h.at("num_shards").get<int>();
    snap.num_workers = h.at("num_workers").get<int>();
    snap.clock = h.at("clock").get<int64_t>();
    snap.clocks = h.at("clocks").get<std::vector<int64_t>>();
    for (const nlohmann::json& t : h.at("tables")) {
      core::Result<TableSpec> spec = ParseTableSpec(t.at("spec").dump());
      if (!spec.ok()) return corrupt(spec.status().message());
      if (t.at("state_floats").get<int64_t>() != StateFloatsPerRow(spec->optimizer, spec->dim)) {
        return corrupt("table \"" + spec->name + "\": state size disagrees with its optimizer");
      }
      snap.specs.push_back(std::move(spec).value());
      row_counts.push_back(t.at("rows").get<uint64_t>());
    }
  } catch (const nlohmann::json::exception& e) {
    return corrupt(std::string("bad header: ") + e.what());
  }
  if (snap.num_shards < 1 || snap.shard < 0 || snap.shard >= snap.num_shards ||
      snap.num_workers < 1 || snap.clocks.size() != static_cast<size_t>(snap.num_workers)) {
    return corrupt("inconsistent shard/worker counts in the header");
  }
  for (size_t t = 0; t < snap.specs.size(); ++t) {
    const TableSpec& spec = snap.specs[t];
    const size_t n = row_counts[t];
    const size_t d = static_cast<size_t>(spec.dim);
    const size_t k = static_cast<size_t>(StateFloatsPerRow(spec.optimizer, spec.dim));
    TableRows rows;
    // Bounds first, so that a lying header cannot make us overflow or allocate much.
    const size_t row_bytes = 2 * sizeof(int64_t) + (d + k) * sizeof(float);
    if (d > (size_t{1} << 32) || k > (size_t{1} << 33) || n > (body - pos) / row_bytes) {
      return corrupt("table \"" + spec.name + "\": truncated");
    }
    if (!Take(data, body, &pos, n, &rows.rows) || !Take(data, body, &pos, n * d, &rows.values) ||
        !Take(data, body, &pos, n * k, &rows.state) || !Take(data, body, &pos, n, &rows.steps)) {
      return corrupt("table \"" + spec.name + "\": truncated");
    }
    for (int64_t r : rows.rows) {
      if (r < 0 || r >= spec.num_rows) {
        return corrupt("table \"" + spec.name + "\": row " + std::to_string(r) + " out of range");
      }
    }
    snap.tables.push_back(std::move(rows));
  }
  if (pos != body) return corrupt(std::to_string(body - pos) + " trailing bytes");
  return snap;
}

core::Result<SnapshotSet> FindLatestSnapshot(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return core::Status::NotFound(dir + ": no snapshot directory");
  }
  // clock -> num_shards -> shards present.
  std::map<int64_t, std::map<int, std::set<int>>> found;
  for (const fs::directory_entry& clock_dir : fs::directory_iterator(dir, ec)) {
    const std::string name = clock_dir.path().filename().string();
    if (name.rfind("clock-", 0) != 0 || !clock_dir.is_directory(ec)) continue;
    char* end = nullptr;
    const long long clock = std::strtoll(name.c_str() + 6, &end, 10);
    if (end == name.c_str() + 6 || *end != '\0') continue;
    for (const fs::directory_entry& f : fs::directory_iterator(clock_dir.path(), ec)) {
      int shard = -1, num_shards = -1, consumed = 0;
      const std::string fname = f.path().filename().string();
      if (std::sscanf(fname.c_str(), "shard-%d-of-%d.snap%n", &shard, &num_shards, &consumed) ==
              2 &&
          static_cast<size_t>(consumed) == fname.size() && shard >= 0 && shard < num_shards) {
        found[clock][num_shards].insert(shard);
      }
    }
  }
  for (auto it = found.rbegin(); it != found.rend(); ++it) {
    for (const auto& [num_shards, shards] : it->second) {
      if (static_cast<int>(shards.size()) != num_shards) continue;
      SnapshotSet set;
      set.clock = it->first;
      set.num_shards = num_shards;
      for (int s = 0; s < num_shards; ++s) {
        set.files.push_back(ShardSnapshotPath(dir, set.clock, s, num_shards));
      }
      return set;
    }
  }
  return core::Status::NotFound(dir + ": no complete snapshot (every shard's file of one clock)");
}

}  // namespace halo::ps
