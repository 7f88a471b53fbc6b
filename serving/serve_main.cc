// halo-serve: serves an embedding store over HTTP/JSON (lookups, batch lookups, top-k similar
// nodes, health, Prometheus metrics, hot reload) until SIGINT/SIGTERM; SIGHUP reloads the store
// directory. Usage and API: docs/halo-serve.md.
#include <gflags/gflags.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "core/logging.h"
#include "serving/embedding_server.h"

DEFINE_string(embeddings, "", "Embedding store directory (written by halo-embed)");
DEFINE_int32(port, 8080, "TCP port; 0 picks a free one (printed in the ready line)");
DEFINE_string(bind, "127.0.0.1", "Address to listen on; loopback by default");
DEFINE_string(token, "", "Require 'Authorization: Bearer <token>' on every endpoint but /healthz");
DEFINE_string(token_file, "", "Read the token from this file (first line) instead of --token");
DEFINE_string(index, "auto", "Similarity index: flat (exact), ivf (approximate) or auto");
DEFINE_int64(ivf_threshold, 100000, "With --index=auto: IVF from this many embeddings on");
DEFINE_string(metric, "cosine", "Similarity metric: cosine, ip (inner product) or l2");
DEFINE_int64(nlist, 0, "IVF cells; 0 = round(sqrt(num_nodes))");
DEFINE_int64(nprobe, 32, "IVF cells scanned per query (more: better recall, slower)");
DEFINE_string(index_cache_dir, "",
              "Where built IVF indexes are kept and read back at the next start/reload: "
              "\"\" = <embeddings dir>/index, \"none\" = no cache, else this directory");
DEFINE_int64(max_batch, 1024, "Most IDs in one batchGet request");
DEFINE_int64(max_k, 1000, "Largest k of /v1/similar");
DEFINE_int32(threads, 8, "HTTP worker threads (each serves one open connection at a time)");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "halo-serve: error: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so that every thread inherits the mask and the signals are only
  // ever taken by sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server

  gflags::SetUsageMessage(
      "serve node embeddings over HTTP/JSON\n"
      "  halo-serve --embeddings=out/cora-emb --port=8080\n"
      "  curl localhost:8080/v1/embeddings/0");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  halo::core::SetLogTag("halo-serve");
  if (argc > 1) return Fail(std::string("unexpected argument '") + argv[1] + "'");
  if (FLAGS_embeddings.empty()) return Fail("--embeddings is required (see --help)");

  halo::serving::ServeOptions options;
  options.embeddings_dir = FLAGS_embeddings;
  options.bind = FLAGS_bind;
  options.port = FLAGS_port;
  options.token = FLAGS_token;
  if (!FLAGS_token_file.empty()) {
    std::ifstream in(FLAGS_token_file);
    if (!in || !std::getline(in, options.token)) {
      return Fail("--token_file " + FLAGS_token_file + ": cannot read a token");
    }
    while (!options.token.empty() && (options.token.back() == '\r' || options.token.back() == ' '))
      options.token.pop_back();
    if (options.token.empty()) return Fail("--token_file " + FLAGS_token_file + " is empty");
  }
  auto index = halo::serving::ParseIndexType(FLAGS_index);
  if (!index.ok()) return Fail("--index: " + index.status().message());
  auto metric = halo::serving::ParseMetric(FLAGS_metric);
  if (!metric.ok()) return Fail("--metric: " + metric.status().message());
  options.similarity.type = index.value();
  options.similarity.metric = metric.value();
  options.similarity.ivf_threshold = FLAGS_ivf_threshold;
  options.similarity.nlist = FLAGS_nlist;
  options.similarity.nprobe = FLAGS_nprobe;
  options.index_cache_dir = FLAGS_index_cache_dir;
  options.max_batch = FLAGS_max_batch;
  options.max_k = FLAGS_max_k;
  options.threads = FLAGS_threads;

  auto created = halo::serving::EmbeddingServer::Create(options);
  if (!created.ok()) return Fail(created.status().ToString());
  halo::serving::EmbeddingServer& server = *created.value();
  halo::core::Status started = server.Start();
  if (!started.ok()) return Fail(started.ToString());
  {
    auto snap = server.snapshot();
    const auto& index_info = *snap->index;
    HALO_LOG(Info) << "loaded " << snap->dir << " in " << snap->open_seconds << " s, "
                   << (index_info.loaded_from_cache() ? "read the index from the cache in "
                                                      : "built the index in ")
                   << snap->index_seconds << " s: " << IndexTypeName(index_info.type())
                   << " index, metric " << MetricName(index_info.metric())
                   << (index_info.type() == halo::serving::IndexType::kIvf
                           ? ", nlist " + std::to_string(index_info.nlist()) + ", nprobe " +
                                 std::to_string(index_info.nprobe())
                           : std::string())
                   << ", " << FLAGS_threads << " threads"
                   << (options.token.empty() ? ", no auth" : ", bearer-token auth");
    // The readiness line: scripts and tests wait for it.
    std::printf("halo-serve: serving %lld embeddings (dim %lld, version %s) on %s\n",
                static_cast<long long>(snap->store->num_nodes()),
                static_cast<long long>(snap->store->dim()), snap->store->version().c_str(),
                server.url().c_str());
    std::fflush(stdout);
  }

  for (;;) {
    int signo = 0;
    if (sigwait(&signals, &signo) != 0) continue;
    if (signo != SIGHUP) {
      HALO_LOG(Info) << "stopping on " << (signo == SIGINT ? "SIGINT" : "SIGTERM");
      break;
    }
    HALO_LOG(Info) << "SIGHUP: reloading " << server.snapshot()->dir;
    halo::core::Status s = server.Reload("");
    if (!s.ok()) HALO_LOG(Error) << "reload failed: " << s.ToString();
  }
  server.Stop();
  return 0;
}
