// halo-ps: serves one parameter-server shard (ps::ShardServer) over ZeroMQ until SIGINT/SIGTERM.
// Tables are created by the clients (ps::Client::CreateTable). Usage: docs/halo-ps.md.
#include <gflags/gflags.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "core/logging.h"
#include "core/server_process.h"
#include "ps/server.h"

DEFINE_int32(shard, -1, "This shard's index, in [0, --num_shards)");
DEFINE_int32(num_shards, 1, "Number of shards of the parameter server");
DEFINE_int32(num_workers, 1, "Number of workers (trainer ranks 0..W-1) whose clocks are kept");
DEFINE_string(bind, "tcp://127.0.0.1:0",
              "Endpoint to bind; loopback by default, port 0 picks a free port");
DEFINE_int32(threads, 8, "Worker threads answering requests (>= 3; 2 are kept for clocks)");
DEFINE_string(snapshot_dir, "", "Directory of snapshots (written on the workers' Snapshot calls)");
DEFINE_int32(keep_snapshots, 3,
             "Snapshots kept (this shard's files of the newest clocks); 0 = all");
DEFINE_bool(restore, false, "Start from the latest complete snapshot under --snapshot_dir");
DEFINE_int32(max_park_ms, 2000, "Longest time a waiting pull is held before 'not ready'");
DEFINE_string(ready_file, "",
              "Once serving, write the endpoint to this file (atomically: temp file + rename)");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "halo-ps: error: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so that every thread inherits the mask and the signals are only
  // ever taken by WaitForStopSignal below.
  const sigset_t stop_signals = halo::core::BlockStopSignals();

  gflags::SetUsageMessage(
      "serve one parameter-server shard\n"
      "  halo-ps --shard=0 --num_shards=2 --num_workers=4 --bind=tcp://127.0.0.1:7100 \\\n"
      "          --snapshot_dir=out/run/ps [--restore]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  halo::core::SetLogTag("halo-ps");
  if (argc > 1) return Fail(std::string("unexpected argument '") + argv[1] + "'");
  if (FLAGS_num_shards < 1) return Fail("--num_shards must be >= 1");
  if (FLAGS_shard < 0 || FLAGS_shard >= FLAGS_num_shards) {
    return Fail("--shard is required and must be in [0, --num_shards = " +
                std::to_string(FLAGS_num_shards) + ")");
  }
  if (FLAGS_num_workers < 1) return Fail("--num_workers must be >= 1");
  if (FLAGS_restore && FLAGS_snapshot_dir.empty()) return Fail("--restore needs --snapshot_dir");
  if (FLAGS_max_park_ms < 0) return Fail("--max_park_ms must be >= 0");

  halo::ps::ShardServerOptions options;
  options.shard.shard = FLAGS_shard;
  options.shard.num_shards = FLAGS_num_shards;
  options.shard.num_workers = FLAGS_num_workers;
  options.shard.snapshot_dir = FLAGS_snapshot_dir;
  options.shard.keep_snapshots = FLAGS_keep_snapshots;
  options.shard.max_park = std::chrono::milliseconds(FLAGS_max_park_ms);
  options.num_threads = FLAGS_threads;
  auto server = halo::ps::ShardServer::Create(options, FLAGS_restore);
  if (!server.ok()) return Fail(server.status().ToString());
  halo::ps::ShardServer& s = *server.value();
  halo::core::Status started = s.Start(FLAGS_bind);
  if (!started.ok()) return Fail("cannot serve on " + FLAGS_bind + ": " + started.ToString());
  // The readiness line: launchers and tests wait for it (or for the ready file, written first).
  halo::core::Status ready = halo::core::AnnounceReady(
      FLAGS_ready_file,
      "halo-ps: shard " + std::to_string(FLAGS_shard) + " serving on " + s.endpoint(),
      s.endpoint());
  if (!ready.ok()) return Fail(ready.ToString());
  HALO_LOG(Info) << "shard " << FLAGS_shard << " of " << FLAGS_num_shards << ", "
                 << FLAGS_num_workers << " workers, " << FLAGS_threads << " threads, clock "
                 << s.shard().MinClock()
                 << (FLAGS_snapshot_dir.empty() ? "" : ", snapshots in " + FLAGS_snapshot_dir);

  const int signo = halo::core::WaitForStopSignal(stop_signals);
  HALO_LOG(Info) << "stopping on " << halo::core::SignalName(signo) << "; stats "
                 << s.shard().StatsJson();
  s.Stop();
  return 0;
}
