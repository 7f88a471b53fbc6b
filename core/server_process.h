// What every server binary (halo-store, halo-ps) does around its server: stop signals taken
// synchronously, and the readiness announcement launchers and tests wait for.
//
//   const sigset_t stop = core::BlockStopSignals();   // first thing in main, before any thread
//   ... start the server ...
//   HALO_RETURN_IF_ERROR(core::AnnounceReady(FLAGS_ready_file, "halo-ps: shard 0 serving on " + ep,
//                                            ep));
//   const int signo = core::WaitForStopSignal(stop);  // then stop the server
#pragma once
#include <signal.h>

#include <string>

#include "core/status.h"

namespace halo::core {

// Blocks SIGINT and SIGTERM in this thread, and so in every thread it starts later (they are then
// only ever taken by WaitForStopSignal, never in the middle of library code), and ignores SIGPIPE
// (a launcher that closed our stdout must not kill a server). Returns the blocked set.
sigset_t BlockStopSignals();

// Waits for one of `signals`; returns it.
int WaitForStopSignal(const sigset_t& signals);

// "SIGINT", "SIGTERM", "SIGHUP" or "signal N".
std::string SignalName(int signo);

// Writes `endpoint` to `ready_file` atomically when it is not empty (parent directories
// created), then prints `line` on stdout and flushes. The file is written first, so whoever sees
// the line can read the file.
Status AnnounceReady(const std::string& ready_file, const std::string& line,
                     const std::string& endpoint);

}  // namespace halo::core
