// halo-bench-serve: bounded load on the embedding service over loopback. Generates clustered
// embeddings (default 1M x 64), writes them with EmbeddingStoreWriter, starts an in-process
// EmbeddingServer (IVF index by default), then runs each case for --seconds with --clients
// closed-loop keep-alive httplib clients (each sends its next request when the last one is
// answered): single lookups, --batch-ID batch lookups, k = --k similarity queries. Prints one
// JSON object: store write and load times, the index time cold (built, then written to the index
// cache) and warm (a reload that reads it back), IVF recall@k against the exact (flat) answer, and
// per case QPS, p50/p99/mean latency and errors (any non-200 or transport failure).
//
//   halo-bench-serve --num_nodes=1000000 --dim=64 --seconds=10 --clients=4
//   halo-bench-serve --num_nodes=10000 --store_dir=out/emb-demo --generate_only  # a demo store
#include <gflags/gflags.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "serving/embedding_server.h"
#include "serving/embedding_store.h"
#include "serving/similarity_index.h"

DEFINE_int64(num_nodes, 1000000, "Embeddings in the store");
DEFINE_int64(dim, 64, "Embedding width");
DEFINE_int64(clusters, 1000, "Gaussian clusters the embeddings are drawn around (0 = plain noise)");
DEFINE_int64(num_classes, 0, "With > 0: random logits (and their argmax as predictions)");
DEFINE_int64(node_map_offset, 0, "With > 0: a node map, original ID = offset + global ID");
DEFINE_double(noise, 1.0, "Standard deviation of each row around its cluster center");
DEFINE_string(store_dir, "", "Where to write the store (default: a temporary directory, removed)");
DEFINE_double(seconds, 10, "Duration of each load case");
DEFINE_double(warmup_seconds, 1, "Unmeasured load before each case");
DEFINE_int32(clients, 4, "Concurrent closed-loop client connections");
DEFINE_int32(server_threads, 8, "halo-serve worker threads");
DEFINE_int64(batch, 256, "IDs per batchGet request");
DEFINE_int64(k, 10, "k of the similarity queries");
DEFINE_string(index, "ivf", "Similarity index: flat, ivf or auto");
DEFINE_int64(nprobe, 32, "IVF cells probed per query");
DEFINE_string(index_cache_dir, "", "halo-serve's --index_cache_dir (\"\": in the store, \"none\")");
DEFINE_int64(recall_queries, 100, "Queries for IVF recall@k against the exact answer (0 = skip)");
DEFINE_string(cases, "lookup,batch,similar", "Comma-separated cases to run");
DEFINE_uint64(seed, 1, "Data and request seed");
DEFINE_bool(generate_only, false,
            "Only write the store to --store_dir (a demo store for halo-serve) and exit");

namespace {

using halo::bench::Clock;
using halo::bench::Percentile;
using halo::bench::Seconds;
using Json = nlohmann::json;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "halo-bench-serve: error: %s\n", message.c_str());
  std::exit(1);
}

// Writes the store in part-sized contiguous batches (as halo-embed's parts would), generating
// the rows batch by batch so that only the store's own buffer holds them all.
double WriteStore(const std::string& dir) {
  halo::serving::EmbeddingStoreOptions opt;
  opt.dim = FLAGS_dim;
  opt.num_nodes = FLAGS_num_nodes;
  opt.num_classes = FLAGS_num_classes;
  opt.overwrite = true;
  opt.version = "bench-" + std::to_string(FLAGS_seed);
  opt.model = {{"model", "synthetic"}, {"clusters", std::to_string(FLAGS_clusters)}};
  std::mt19937_64 rng(FLAGS_seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t clusters = std::max<int64_t>(1, FLAGS_clusters);
  std::vector<float> centers(static_cast<size_t>(clusters * FLAGS_dim));
  for (float& c : centers) c = FLAGS_clusters > 0 ? normal(rng) : 0.0f;
  const float noise = FLAGS_clusters > 0 ? static_cast<float>(FLAGS_noise) : 1.0f;
  std::uniform_int_distribution<int64_t> pick(0, clusters - 1);

  const auto t0 = Clock::now();
  auto writer = halo::serving::EmbeddingStoreWriter::Create(dir, opt);
  if (!writer.ok()) Die(writer.status().ToString());
  constexpr int64_t kBatch = 65536;
  std::vector<int64_t> ids;
  std::vector<float> rows, logits;
  for (int64_t begin = 0; begin < FLAGS_num_nodes; begin += kBatch) {
    const int64_t n = std::min(kBatch, FLAGS_num_nodes - begin);
    ids.resize(static_cast<size_t>(n));
    rows.resize(static_cast<size_t>(n * FLAGS_dim));
    for (int64_t i = 0; i < n; ++i) {
      ids[static_cast<size_t>(i)] = begin + i;
      const float* c = &centers[static_cast<size_t>(pick(rng) * FLAGS_dim)];
      for (int64_t j = 0; j < FLAGS_dim; ++j) {
        rows[static_cast<size_t>(i * FLAGS_dim + j)] = c[j] + noise * normal(rng);
      }
    }
    logits.resize(static_cast<size_t>(n * FLAGS_num_classes));
    for (float& x : logits) x = normal(rng);
    halo::core::Status s = writer.value()->Add(ids.data(), ids.size(), rows.data(),
                                               FLAGS_num_classes > 0 ? logits.data() : nullptr);
    if (!s.ok()) Die(s.ToString());
  }
  if (FLAGS_node_map_offset > 0) {
    std::vector<int64_t> node_map(static_cast<size_t>(FLAGS_num_nodes));
    for (int64_t g = 0; g < FLAGS_num_nodes; ++g) {
      node_map[static_cast<size_t>(g)] = FLAGS_node_map_offset + g;
    }
    halo::core::Status s = writer.value()->SetNodeMap(std::move(node_map));
    if (!s.ok()) Die(s.ToString());
  }
  halo::core::Status s = writer.value()->Finish();
  if (!s.ok()) Die(s.ToString());
  return Seconds(t0, Clock::now());
}

// Recall@k of the served index against an exact flat index over the same rows.
double Recall(const halo::serving::ServingSnapshot& snap, int64_t queries) {
  const halo::serving::EmbeddingStore& store = *snap.store;
  halo::serving::SimilarityOptions exact_opt;
  exact_opt.metric = snap.index->metric();
  exact_opt.type = halo::serving::IndexType::kFlat;
  auto exact = halo::serving::SimilarityIndex::Build(store.embeddings().data(), store.num_nodes(),
                                                     store.dim(), exact_opt);
  if (!exact.ok()) Die(exact.status().ToString());
  std::mt19937_64 rng(FLAGS_seed + 99);
  std::uniform_int_distribution<int64_t> pick(0, store.num_nodes() - 1);
  int64_t hits = 0, total = 0;
  for (int64_t q = 0; q < queries; ++q) {
    const int64_t id = pick(rng);
    std::vector<halo::serving::Neighbor> got, want;
    if (!snap.index->SearchById(id, FLAGS_k, &got).ok() ||
        !exact.value()->SearchById(id, FLAGS_k, &want).ok()) {
      Die("recall query failed");
    }
    std::set<int64_t> want_ids;
    for (const auto& n : want) want_ids.insert(n.id);
    for (const auto& n : got) hits += static_cast<int64_t>(want_ids.count(n.id));
    total += static_cast<int64_t>(want.size());
  }
  return total == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(total);
}

struct CaseResult {
  std::vector<double> latencies;  // seconds, measured requests only
  int64_t errors = 0;
  std::string first_error;
  double seconds = 0;
};

// Runs `clients` closed loops of `send` (which returns whether the answer was a good one) for
// warmup + measured time.
template <typename Send>
CaseResult RunCase(int port, Send send) {
  std::vector<CaseResult> per_client(static_cast<size_t>(FLAGS_clients));
  std::atomic<bool> measuring{false}, stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < FLAGS_clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(30, 0);
      std::mt19937_64 rng(FLAGS_seed * 1000 + static_cast<uint64_t>(c));
      CaseResult& r = per_client[static_cast<size_t>(c)];
      while (!stop.load(std::memory_order_relaxed)) {
        const bool measured = measuring.load(std::memory_order_relaxed);
        const auto t0 = Clock::now();
        std::string error;
        const bool ok = send(client, rng, &error);
        const double dt = Seconds(t0, Clock::now());
        if (!measured) continue;
        r.latencies.push_back(dt);
        if (!ok) {
          if (r.errors++ == 0) r.first_error = error;
        }
      }
    });
  }
  // The main thread only keeps time.
  std::this_thread::sleep_for(std::chrono::duration<double>(FLAGS_warmup_seconds));
  const auto t0 = Clock::now();
  measuring = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(FLAGS_seconds));
  stop = true;
  const double elapsed = Seconds(t0, Clock::now());
  for (auto& t : threads) t.join();
  CaseResult all;
  all.seconds = elapsed;
  for (CaseResult& r : per_client) {
    all.latencies.insert(all.latencies.end(), r.latencies.begin(), r.latencies.end());
    all.errors += r.errors;
    if (all.first_error.empty()) all.first_error = r.first_error;
  }
  return all;
}

Json Summary(const std::string& name, const CaseResult& r, int64_t ids_per_request) {
  Json j = {{"case", name},
            {"clients", FLAGS_clients},
            {"seconds", r.seconds},
            {"requests", r.latencies.size()},
            {"errors", r.errors}};
  if (!r.latencies.empty()) {
    double sum = 0;
    for (double x : r.latencies) sum += x;
    const double qps = static_cast<double>(r.latencies.size()) / r.seconds;
    j["qps"] = qps;
    j["ids_per_second"] = qps * static_cast<double>(ids_per_request);
    j["p50_ms"] = Percentile(r.latencies, 0.50) * 1e3;
    j["p99_ms"] = Percentile(r.latencies, 0.99) * 1e3;
    j["mean_ms"] = sum / static_cast<double>(r.latencies.size()) * 1e3;
  }
  if (!r.first_error.empty()) j["first_error"] = r.first_error;
  return j;
}

bool Check(const httplib::Result& res, std::string* error) {
  if (!res) {
    *error = "transport: " + httplib::to_string(res.error());
    return false;
  }
  if (res->status != 200) {
    *error = "HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 200);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("bounded HTTP load on halo-serve's service over loopback (JSON out)");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  namespace fs = std::filesystem;
  if (FLAGS_generate_only && FLAGS_store_dir.empty()) Die("--generate_only needs --store_dir");
  const bool temp_store = FLAGS_store_dir.empty();
  const std::string dir =
      temp_store
          ? (fs::temp_directory_path() / ("halo-bench-serve-" + std::to_string(getpid()))).string()
          : FLAGS_store_dir;
  Json out = {{"num_nodes", FLAGS_num_nodes},
              {"dim", FLAGS_dim},
              {"clusters", FLAGS_clusters},
              {"noise", FLAGS_noise},
              {"hardware_threads", std::thread::hardware_concurrency()},
              {"server_threads", FLAGS_server_threads},
              {"clients", FLAGS_clients}};
  out["store_write_seconds"] = WriteStore(dir);
  std::error_code ec;
  uintmax_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) bytes += e.file_size(ec);
  }
  out["store_bytes"] = bytes;
  if (FLAGS_generate_only) {
    out["store_dir"] = dir;
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }

  halo::serving::ServeOptions opt;
  opt.embeddings_dir = dir;
  opt.threads = FLAGS_server_threads;
  opt.max_batch = std::max<int64_t>(1024, FLAGS_batch);
  auto index = halo::serving::ParseIndexType(FLAGS_index);
  if (!index.ok()) Die(index.status().ToString());
  opt.similarity.type = index.value();
  opt.similarity.nprobe = FLAGS_nprobe;
  opt.index_cache_dir = FLAGS_index_cache_dir;
  const auto t_load = Clock::now();
  auto server = halo::serving::EmbeddingServer::Create(opt);
  if (!server.ok()) Die(server.status().ToString());
  out["load_seconds"] = Seconds(t_load, Clock::now());  // store read + index build
  auto snap = server.value()->snapshot();
  out["open_seconds"] = snap->open_seconds;
  out["index_seconds"] = snap->index_seconds;
  out["index_source"] = IndexSourceName(snap->index->source());
  out["index"] = {{"type", IndexTypeName(snap->index->type())},
                  {"metric", MetricName(snap->index->metric())},
                  {"nlist", snap->index->nlist()},
                  {"nprobe", snap->index->nprobe()}};
  // Warm: a reload of the same store, which reads the index written above back from the cache.
  const auto t_reload = Clock::now();
  halo::core::Status reloaded = server.value()->Reload("");
  if (!reloaded.ok()) Die(reloaded.ToString());
  out["reload_seconds"] = Seconds(t_reload, Clock::now());
  snap = server.value()->snapshot();
  out["warm_open_seconds"] = snap->open_seconds;
  out["warm_index_seconds"] = snap->index_seconds;
  out["warm_index_source"] = IndexSourceName(snap->index->source());
  if (FLAGS_recall_queries > 0) {
    const auto t = Clock::now();
    out["recall_at_k"] = Recall(*snap, FLAGS_recall_queries);
    out["recall_queries"] = FLAGS_recall_queries;
    out["recall_seconds"] = Seconds(t, Clock::now());
  }
  halo::core::Status s = server.value()->Start();
  if (!s.ok()) Die(s.ToString());
  const int port = server.value()->port();
  const int64_t n = FLAGS_num_nodes;

  Json cases = Json::array();
  int64_t total_errors = 0;
  auto run = [&](const std::string& name, int64_t ids_per_request, auto send) {
    if (FLAGS_cases.find(name) == std::string::npos) return;
    std::fprintf(stderr, "halo-bench-serve: %s for %.0f s with %d clients\n", name.c_str(),
                 FLAGS_seconds, FLAGS_clients);
    CaseResult r = RunCase(port, send);
    total_errors += r.errors;
    cases.push_back(Summary(name, r, ids_per_request));
  };
  run("lookup", 1, [n](httplib::Client& c, std::mt19937_64& rng, std::string* error) {
    const std::string path = "/v1/embeddings/" + std::to_string(rng() % static_cast<uint64_t>(n));
    return Check(c.Get(path.c_str()), error);
  });
  run("batch", FLAGS_batch, [n](httplib::Client& c, std::mt19937_64& rng, std::string* error) {
    std::string body = "{\"ids\":[";
    for (int64_t i = 0; i < FLAGS_batch; ++i) {
      if (i > 0) body += ',';
      body += std::to_string(rng() % static_cast<uint64_t>(n));
    }
    body += "]}";
    return Check(c.Post("/v1/embeddings:batchGet", body, "application/json"), error);
  });
  run("similar", 1, [n](httplib::Client& c, std::mt19937_64& rng, std::string* error) {
    const std::string path = "/v1/similar/" + std::to_string(rng() % static_cast<uint64_t>(n)) +
                             "?k=" + std::to_string(FLAGS_k);
    return Check(c.Get(path.c_str()), error);
  });
  out["cases"] = cases;
  out["errors"] = total_errors;
  out["batch_ids"] = FLAGS_batch;
  out["k"] = FLAGS_k;
  server.value()->Stop();
  if (temp_store) fs::remove_all(dir, ec);
  std::printf("%s\n", out.dump(2).c_str());
  return total_errors == 0 ? 0 : 2;
}
