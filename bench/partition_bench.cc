// halo-bench-partition: the partitioning benchmark. For one graph and each k it runs, every
// command in its own fresh process:
//   1. halo-gen-graph (unless --graph names an existing npy directory),
//   2. halo-bench-metis-only --mode=build_csr once (the METIS CSR of the symmetrized graph),
//   3. per k: halo-partition (the full pipeline) and halo-bench-metis-only (METIS alone on the
//      CSR of step 2),
// and prints one JSON object: per k the pipeline's wall and phase seconds, peak RSS and edge cut,
// METIS alone's seconds, peak RSS and edge cut, and
//   time_ratio   = pipeline wall seconds / METIS-alone seconds   (target <= 1.3)
//   memory_ratio = pipeline peak RSS / METIS-alone peak RSS      (target <= 1.5)
// Peak RSS of every child is taken from wait4() (ru_maxrss), the same way for both sides; the
// figures the children report about themselves are kept next to it.

#include <fcntl.h>
#include <gflags/gflags.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/fs.h"
#include "core/logging.h"
#include "core/status.h"
#include "core/sys_stats.h"

DEFINE_string(graph, "", "An existing npy graph directory; empty = generate one into --work_dir");
DEFINE_string(model, "planted", "Generated graph: planted | rmat");
DEFINE_int64(num_nodes, 1000000, "Generated graph: nodes");
DEFINE_int64(num_edges, 10000000, "Generated graph: directed edges drawn");
DEFINE_int64(num_communities, 64, "Generated graph: planted communities");
DEFINE_double(p_in, 0.9, "Generated graph: fraction of edges inside a community");
DEFINE_int64(feature_dim, 0, "Generated graph: feature columns (0 = structure only)");
DEFINE_uint64(gen_seed, 1, "Generated graph: seed");
DEFINE_string(parts, "4,8", "Comma-separated part counts k");
DEFINE_int32(halo_hops, 1, "halo-partition --halo_hops");
DEFINE_string(objective, "cut", "METIS objective for both sides: cut | vol");
DEFINE_uint64(seed, 0, "METIS seed for both sides");
DEFINE_string(partition_args, "", "Extra space-separated flags for halo-partition");
DEFINE_string(work_dir, "runs/bench-partition", "Scratch directory (graph, CSR, outputs, logs)");
DEFINE_string(bin_dir, "", "Directory of the Halo binaries; empty = this binary's directory");
DEFINE_int32(repeats, 1, "Runs of each side per k; times keep the fastest, peak RSS the largest");
DEFINE_bool(keep_outputs, false, "Keep each k's partition directory (removed by default)");
DEFINE_string(output_json, "", "Also write the result JSON to this file");

namespace halo::bench {
namespace {

namespace fs = std::filesystem;
using core::Result;
using core::Status;

struct ChildResult {
  double wall_seconds = 0;
  double cpu_seconds = 0;
  int64_t max_rss_bytes = 0;
  std::string stdout_text;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& text, int lines) {
  size_t pos = text.size();
  for (int i = 0; i <= lines && pos > 0; ++i) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string JoinArgs(const std::vector<std::string>& args) {
  std::string s;
  for (const std::string& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Runs `args` (args[0] is the binary path) in a child process with stdout and stderr sent to
// `<log_prefix>.stdout` / `.stderr`, waits for it and returns its wall time, CPU time and peak RSS.
Result<ChildResult> RunChild(const std::vector<std::string>& args, const std::string& log_prefix) {
  const std::string out_path = log_prefix + ".stdout", err_path = log_prefix + ".stderr";
  HALO_LOG(Info) << "running: " << JoinArgs(args);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  core::Stopwatch wall;
  const pid_t pid = fork();
  if (pid < 0) return Status::Internal(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) {
      _exit(126);
    }
    close(out);
    close(err);
    execv(argv[0], argv.data());
    std::fprintf(stderr, "exec %s failed: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  pid_t waited;
  do {
    waited = wait4(pid, &status, 0, &usage);
  } while (waited < 0 && errno == EINTR);
  if (waited < 0) return Status::Internal(std::string("wait4 failed: ") + std::strerror(errno));
  ChildResult r;
  r.wall_seconds = wall.seconds();
  r.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  r.max_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;
  r.stdout_text = ReadText(out_path);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status)
                                ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                : "was killed by signal " + std::to_string(WTERMSIG(status));
    return Status::Internal(args[0] + " " + how + "; last lines of " + err_path + ":\n" +
                            Tail(ReadText(err_path), 20));
  }
  return r;
}

// The last line of a child's stdout that parses as a JSON object.
Result<nlohmann::json> LastJsonLine(const std::string& text, const std::string& what) {
  std::istringstream in(text);
  std::string line;
  nlohmann::json found;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) found = std::move(j);
  }
  if (!found.is_object()) return Status::Corruption(what + ": no JSON object on stdout");
  return found;
}

// Depth-first search for the first value under `key` (summary layouts may nest fields).
const nlohmann::json* FindKey(const nlohmann::json& j, const std::string& key) {
  if (j.is_object()) {
    auto it = j.find(key);
    if (it != j.end()) return &*it;
    for (const auto& item : j.items()) {
      if (const nlohmann::json* f = FindKey(item.value(), key)) return f;
    }
  } else if (j.is_array()) {
    for (const auto& item : j) {
      if (const nlohmann::json* f = FindKey(item, key)) return f;
    }
  }
  return nullptr;
}

// "phases" as {name: seconds}, whether the summary writes an object, [[name, s], ...] or
// [{"name": ..., "seconds": ...}, ...].
nlohmann::json PhaseSeconds(const nlohmann::json& summary) {
  nlohmann::json out = nlohmann::json::object();
  const nlohmann::json* phases = FindKey(summary, "phases");
  if (phases == nullptr) phases = FindKey(summary, "phase_seconds");
  if (phases == nullptr) return out;
  if (phases->is_object()) {
    for (const auto& item : phases->items()) {
      if (item.value().is_number()) out[item.key()] = item.value();
    }
  } else if (phases->is_array()) {
    for (const auto& p : *phases) {
      if (p.is_array() && p.size() == 2 && p[0].is_string() && p[1].is_number()) {
        out[p[0].get<std::string>()] = p[1];
      } else if (p.is_object() && p.contains("name") && p.contains("seconds")) {
        out[p["name"].get<std::string>()] = p["seconds"];
      }
    }
  }
  return out;
}

Result<std::vector<int>> ParseParts(const std::string& text) {
  std::vector<int> parts;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const long k = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || k < 1 || k > 1 << 20) {
      return Status::InvalidArgument("--parts: bad part count '" + item + "'");
    }
    parts.push_back(static_cast<int>(k));
  }
  if (parts.empty()) return Status::InvalidArgument("--parts is empty");
  return parts;
}

std::vector<std::string> SplitSpaces(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::string BinDir() {
  if (!FLAGS_bin_dir.empty()) return FLAGS_bin_dir;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

Result<nlohmann::json> Run() {
  HALO_ASSIGN_OR_RETURN(const std::vector<int> parts, ParseParts(FLAGS_parts));
  if (FLAGS_repeats < 1) return Status::InvalidArgument("--repeats must be >= 1");
  const std::string bin = BinDir();
  for (const char* name : {"halo-gen-graph", "halo-bench-metis-only", "halo-partition"}) {
    if (access((bin + "/" + name).c_str(), X_OK) != 0) {
      return Status::NotFound(bin + "/" + name + ": not found or not executable (--bin_dir)");
    }
  }
  std::error_code ec;
  const std::string work = fs::absolute(FLAGS_work_dir, ec).string();
  const std::string logs = work + "/logs";
  HALO_RETURN_IF_ERROR(core::MakeDirs(logs));

  nlohmann::json result;
  result["machine"] = {{"nproc", sysconf(_SC_NPROCESSORS_ONLN)},
                       {"loadavg_at_start", Trim(ReadText("/proc/loadavg"))}};

  std::string graph = FLAGS_graph;
  if (graph.empty()) {
    graph = work + "/graph";
    HALO_ASSIGN_OR_RETURN(
        ChildResult gen,
        RunChild({bin + "/halo-gen-graph", "--model=" + FLAGS_model,
                  "--num_nodes=" + std::to_string(FLAGS_num_nodes),
                  "--num_edges=" + std::to_string(FLAGS_num_edges),
                  "--num_communities=" + std::to_string(FLAGS_num_communities),
                  "--p_in=" + std::to_string(FLAGS_p_in),
                  "--feature_dim=" + std::to_string(FLAGS_feature_dim),
                  "--seed=" + std::to_string(FLAGS_gen_seed), "--output=" + graph, "--overwrite"},
                 logs + "/gen_graph"));
    HALO_ASSIGN_OR_RETURN(result["graph"], LastJsonLine(gen.stdout_text, "halo-gen-graph"));
  } else {
    result["graph"] = {{"path", graph}};
  }

  const std::string csr_dir = work + "/metis_csr";
  HALO_ASSIGN_OR_RETURN(ChildResult build,
                        RunChild({bin + "/halo-bench-metis-only", "--mode=build_csr",
                                  "--input=" + graph, "--format=npy", "--csr_dir=" + csr_dir},
                                 logs + "/build_csr"));
  HALO_ASSIGN_OR_RETURN(result["metis_csr"],
                        LastJsonLine(build.stdout_text, "halo-bench-metis-only build_csr"));

  nlohmann::json runs = nlohmann::json::array();
  for (int k : parts) {
    const std::string tag = "k" + std::to_string(k);
    const std::string out_dir = work + "/partition_" + tag;
    const std::string summary_path = work + "/summary_" + tag + ".json";
    std::vector<std::string> args = {bin + "/halo-partition",
                                     "--input",
                                     graph,
                                     "--format",
                                     "npy",
                                     "--num_parts",
                                     std::to_string(k),
                                     "--halo_hops",
                                     std::to_string(FLAGS_halo_hops),
                                     "--output",
                                     out_dir,
                                     "--overwrite",
                                     "--summary_json",
                                     summary_path};
    // Only non-default METIS settings are passed, so the command stays the documented one.
    if (FLAGS_objective != "cut") args.push_back("--objective=" + FLAGS_objective);
    if (FLAGS_seed != 0) args.push_back("--seed=" + std::to_string(FLAGS_seed));
    for (std::string& a : SplitSpaces(FLAGS_partition_args)) args.push_back(std::move(a));
    // Each repeat runs the pipeline, then METIS alone; times keep the fastest repeat of each
    // side (the machine may be shared), peak RSS the largest.
    ChildResult pipe, metis;
    nlohmann::json summary, metis_json;
    nlohmann::json pipe_walls = nlohmann::json::array(), metis_times = nlohmann::json::array();
    int64_t pipe_rss = 0, metis_rss = 0;
    for (int r = 0; r < FLAGS_repeats; ++r) {
      const std::string suffix = FLAGS_repeats > 1 ? tag + "_r" + std::to_string(r) : tag;
      fs::remove(summary_path, ec);
      HALO_ASSIGN_OR_RETURN(ChildResult p_run, RunChild(args, logs + "/partition_" + suffix));
      nlohmann::json p_summary =
          nlohmann::json::parse(ReadText(summary_path), nullptr, /*allow_exceptions=*/false);
      if (!p_summary.is_object()) {
        return Status::Corruption(summary_path + ": missing or not a JSON object");
      }
      if (!FLAGS_keep_outputs) fs::remove_all(out_dir, ec);
      HALO_ASSIGN_OR_RETURN(
          ChildResult m_run,
          RunChild({bin + "/halo-bench-metis-only", "--mode=partition", "--csr_dir=" + csr_dir,
                    "--num_parts=" + std::to_string(k), "--objective=" + FLAGS_objective,
                    "--seed=" + std::to_string(FLAGS_seed)},
                   logs + "/metis_only_" + suffix));
      HALO_ASSIGN_OR_RETURN(nlohmann::json m_json,
                            LastJsonLine(m_run.stdout_text, "halo-bench-metis-only"));
      pipe_walls.push_back(p_run.wall_seconds);
      metis_times.push_back(m_json.value("metis_seconds", 0.0));
      pipe_rss = std::max(pipe_rss, p_run.max_rss_bytes);
      metis_rss = std::max(metis_rss, m_run.max_rss_bytes);
      if (r == 0 || p_run.wall_seconds < pipe.wall_seconds) {
        pipe = std::move(p_run);
        summary = std::move(p_summary);
      }
      if (r == 0 || m_json.value("metis_seconds", 0.0) < metis_json.value("metis_seconds", 0.0)) {
        metis = std::move(m_run);
        metis_json = std::move(m_json);
      }
    }

    nlohmann::json p;
    p["wall_seconds"] = pipe.wall_seconds;
    p["cpu_seconds"] = pipe.cpu_seconds;
    p["phase_seconds"] = PhaseSeconds(summary);
    double phase_sum = 0;
    for (const auto& item : p["phase_seconds"].items()) phase_sum += item.value().get<double>();
    p["phases_total_seconds"] = phase_sum;
    p["peak_rss_bytes"] = pipe_rss;
    const nlohmann::json* self_rss = FindKey(summary, "peak_rss_bytes");
    p["reported_peak_rss_bytes"] = self_rss != nullptr ? *self_rss : nlohmann::json();
    const nlohmann::json* cut = FindKey(summary, "edge_cut");
    p["edge_cut"] = cut != nullptr ? *cut : nlohmann::json();
    if (FLAGS_repeats > 1) p["wall_seconds_all"] = pipe_walls;

    nlohmann::json m;
    m["metis_seconds"] = metis_json.value("metis_seconds", 0.0);
    m["load_seconds"] = metis_json.value("load_seconds", 0.0);
    m["wall_seconds"] = metis.wall_seconds;
    m["cpu_seconds"] = metis.cpu_seconds;
    m["peak_rss_bytes"] = metis_rss;
    m["reported_peak_rss_bytes"] = metis_json.value("peak_rss_bytes", int64_t{0});
    m["csr_bytes"] = metis_json.value("csr_bytes", int64_t{0});
    m["edge_cut"] = metis_json.value("edge_cut", int64_t{0});
    m["node_imbalance"] = metis_json.value("node_imbalance", 0.0);
    if (FLAGS_repeats > 1) m["metis_seconds_all"] = metis_times;

    nlohmann::json run;
    run["num_parts"] = k;
    run["pipeline"] = p;
    run["metis_alone"] = m;
    const double metis_s = m["metis_seconds"].get<double>();
    run["time_ratio"] = Ratio(pipe.wall_seconds, metis_s);
    run["time_ratio_phases"] = Ratio(phase_sum, metis_s);
    const nlohmann::json& phases = p["phase_seconds"];
    if (phases.contains("partition")) {
      run["partition_phase_vs_metis_alone"] = Ratio(phases["partition"].get<double>(), metis_s);
    }
    run["memory_ratio"] = Ratio(static_cast<double>(pipe_rss), static_cast<double>(metis_rss));
    if (p["edge_cut"].is_number() && m["edge_cut"].get<int64_t>() > 0) {
      run["edge_cut_ratio"] = Ratio(p["edge_cut"].get<double>(), m["edge_cut"].get<double>());
    }
    run["meets_targets"] =
        run["time_ratio"].get<double>() <= 1.3 && run["memory_ratio"].get<double>() <= 1.5;
    runs.push_back(run);
  }
  result["repeats"] = FLAGS_repeats;
  result["targets"] = {{"time_ratio", 1.3}, {"memory_ratio", 1.5}};
  result["runs"] = runs;
  return result;
}

}  // namespace
}  // namespace halo::bench

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "Benchmarks halo-partition against METIS alone, each in its own process; prints JSON.\n"
      "  halo-bench-partition [--num_nodes=1000000 --num_edges=10000000] [--parts=4,8]\n"
      "                       [--graph=NPY_DIR] [--work_dir=DIR] [--output_json=FILE]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  halo::core::SetLogTag("halo-bench-partition");
  if (argc > 1) {
    HALO_LOG(Error) << "unexpected argument '" << argv[1] << "'";
    return 2;
  }
  auto result = halo::bench::Run();
  if (!result.ok()) {
    HALO_LOG(Error) << result.status().ToString();
    return 1;
  }
  const std::string text = result->dump(2);
  std::printf("%s\n", text.c_str());
  if (!FLAGS_output_json.empty()) {
    halo::core::Status st = halo::core::WriteFileAtomic(FLAGS_output_json, text + "\n");
    if (!st.ok()) {
      HALO_LOG(Error) << st.ToString();
      return 1;
    }
  }
  return 0;
}
