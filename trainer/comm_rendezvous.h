// Rendezvous of a communicator group through the coordinator, shared by the Gloo and NCCL
// communicators: every rank joins, and a rank that does not is named (with its host) in the error.
//
//   HALO_ASSIGN_OR_RETURN(CommGroup g, JoinGroup(client, config, "gloo"));
//   ... keys under g.prefix belong to this group instance only ...
//
// Keys (on the coordinator): `comm/<name>/generation/<rank>` counts the groups of that name this
// rank created, so the n-th group of every rank meets under `comm/<name>/<n>/` (ranks create their
// groups in the same order, as collectives require anyway); `comm/<name>/<n>/join/<rank>` = the
// rank's host. A missing rank's host comes from `plan/rank/<R>/host` when the launcher set it.
//
// Thread-safety: free functions over a thread-safe client.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "net/coordinator.h"
#include "trainer/communicator.h"

namespace halo::trainer {

struct CommGroup {
  std::string prefix;              // "comm/<name>/<generation>/"
  std::vector<std::string> hosts;  // each rank's host, as it published it
};

// Joins the group; DeadlineExceeded when some ranks do not join within config.timeout:
// "rendezvous: ranks 2 (host b), 3 (host b) did not join within 30000 ms (coordinator tcp://...)".
core::Result<CommGroup> JoinGroup(net::CoordinatorClient& client, const CommConfig& config,
                                  const std::string& name);

// "rank 2 (host b)".
std::string RankName(const CommGroup& group, int rank);

// For an error message about a failed collective: the other ranks with the age of their last
// heartbeat (`heartbeat/<R>`), stalest first, e.g. "peers' last heartbeats: rank 2 (host b) 9.1 s
// ago, rank 1 (host a) 0.4 s ago"; without heartbeats just "peers: rank 1 (host a), ...". Never
// fails (a coordinator error is mentioned instead).
std::string PeerHint(net::CoordinatorClient& client, const CommGroup& group, int self);

}  // namespace halo::trainer
