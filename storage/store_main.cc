// halo-store: serves one part of a partition (features, labels, masks, in-neighbors, samples,
// stats, ping) over ZeroMQ until SIGINT/SIGTERM; or, with --verify, checks the part's store.
// Usage and protocol: docs/halo-store.md.
#include <gflags/gflags.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "core/logging.h"
#include "core/server_process.h"
#include "storage/store_server.h"
#include "storage/verify.h"

DEFINE_string(partition_dir, "", "Partition directory (written by halo-partition)");
DEFINE_int32(part, -1, "Part to serve (or verify)");
DEFINE_string(bind, "tcp://127.0.0.1:0",
              "Endpoint to bind; loopback by default, port 0 picks a free port");
DEFINE_double(mem_budget_mb, 1024,
              "MiB of feature rows kept in memory (by in-degree); 0 reads every row from RocksDB");
DEFINE_int32(threads, 4, "Worker threads answering requests");
DEFINE_string(ready_file, "",
              "Once serving, write the endpoint to this file (atomically: temp file + rename)");
DEFINE_bool(verify, false, "Check the part's store against partition.json and exit (0 = good)");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "halo-store: error: %s\n", message.c_str());
  return 1;
}

int Verify() {
  auto meta = halo::core::ReadPartitionMeta(FLAGS_partition_dir);
  if (!meta.ok()) return Fail(meta.status().ToString());
  if (FLAGS_part >= meta->num_parts) {
    return Fail("--part " + std::to_string(FLAGS_part) + " out of range: " + FLAGS_partition_dir +
                " has " + std::to_string(meta->num_parts) + " parts");
  }
  auto store = halo::storage::PartStoreDir(FLAGS_partition_dir,
                                           meta->parts[static_cast<size_t>(FLAGS_part)]);
  if (!store.ok()) return Fail(store.status().ToString());
  halo::storage::VerifyReport report;
  halo::core::Status s =
      halo::storage::VerifyPart(FLAGS_partition_dir, FLAGS_part, store.value(), &report);
  if (s.ok()) {
    std::printf("halo-store: part %d store %s: %s\n", FLAGS_part, store->c_str(),
                report.ToString().c_str());
    return 0;
  }
  std::string problems = report.ToString();
  while (!problems.empty() && problems.back() == '\n') problems.pop_back();
  std::printf("halo-store: part %d store %s: FAILED\n%s\n", FLAGS_part, store->c_str(),
              problems.c_str());
  return Fail(s.ToString());
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists (RocksDB's, the server's), so that every thread inherits the mask
  // and the signals are only ever taken by WaitForStopSignal below.
  const sigset_t stop_signals = halo::core::BlockStopSignals();

  gflags::SetUsageMessage(
      "serve one part of a partition to trainers\n"
      "  halo-store --partition_dir=out/cora-2parts --part=0 --bind=tcp://127.0.0.1:7000\n"
      "  halo-store --verify --partition_dir=out/cora-2parts --part=0");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  halo::core::SetLogTag("halo-store");
  if (argc > 1) return Fail(std::string("unexpected argument '") + argv[1] + "'");
  if (FLAGS_partition_dir.empty()) return Fail("--partition_dir is required (see --help)");
  if (FLAGS_part < 0) return Fail("--part is required and must be >= 0 (see --help)");
  if (FLAGS_verify) return Verify();

  halo::storage::StoreServerOptions options;
  options.mem_budget_mb = FLAGS_mem_budget_mb;
  options.num_threads = FLAGS_threads;
  auto server = halo::storage::StoreServer::Open(FLAGS_partition_dir, FLAGS_part, options);
  if (!server.ok()) return Fail(server.status().ToString());
  halo::storage::StoreServer& s = *server.value();
  halo::core::Status started = s.Start(FLAGS_bind);
  if (!started.ok()) return Fail("cannot serve on " + FLAGS_bind + ": " + started.ToString());
  // The readiness line: launchers and tests wait for it (or for the ready file, written first).
  halo::core::Status ready = halo::core::AnnounceReady(
      FLAGS_ready_file,
      "halo-store: part " + std::to_string(FLAGS_part) + " serving on " + s.endpoint(),
      s.endpoint());
  if (!ready.ok()) return Fail(ready.ToString());
  HALO_LOG(Info) << "part " << FLAGS_part << " [" << s.graph().node_begin() << ", "
                 << s.graph().node_end() << "), " << s.features().num_rows() << " rows x "
                 << s.features().feature_dim() << " features, "
                 << (s.features().all_hot() ? "all rows in memory" : "partly in RocksDB") << ", "
                 << FLAGS_threads << " threads";

  const int signo = halo::core::WaitForStopSignal(stop_signals);
  HALO_LOG(Info) << "stopping on " << halo::core::SignalName(signo) << "; stats " << s.StatsJson();
  s.Stop();
  return 0;
}
