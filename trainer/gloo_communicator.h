// GlooCommunicator: the Communicator over Gloo's TCP transport, for host (CPU) buffers.
//
//   HALO_ASSIGN_OR_RETURN(auto comm, GlooCommunicator::Create(config));   // or CreateCommunicator
//   HALO_RETURN_IF_ERROR(comm->AllReduceSum(grads.data(), grads.size()));
//
// Create: joins the group through the coordinator (comm_rendezvous.h: a missing rank is named with
// its host), then connects a full mesh of TCP pairs (Gloo's rendezvous through CoordinatorStore
// under the group's prefix), listening on config.bind_address. Collectives: gloo::allreduce
// (ring), gloo::broadcast, gloo::barrier, each with config.timeout end to end.
//
// Errors: a Gloo failure (peer gone: Unavailable; timeout: DeadlineExceeded) names the operation,
// this rank, the peer when Gloo's message identifies it, the peers that closed their
// communicators in good order (a communicator that has not failed sets `<prefix>left/<rank>` when
// destroyed, before closing its sockets), and the peers' heartbeats. After a failure the Gloo
// context is unusable: later calls return FailedPrecondition quoting the first error. Nothing
// hangs past the timeout. The destructor makes one coordinator call (at most ~1 s when the
// coordinator is gone).
//
// Process-wide effect: the first Create sets SIGPIPE to ignored when it is at its default (Gloo
// writes with writev; a write to a dead peer would otherwise kill the process instead of failing
// the collective). Writes to closed pipes then fail with EPIPE instead.
//
// Thread-safety: one thread at a time (collectives are ordered per rank).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "trainer/comm_rendezvous.h"
#include "trainer/communicator.h"

namespace gloo {
class Context;
namespace transport {
class Device;
}  // namespace transport
}  // namespace gloo

namespace halo::trainer {

class GlooCommunicator : public Communicator {
 public:
  // `group_name` separates groups of different purposes on one coordinator (the NCCL
  // communicator keeps a Gloo group of its own for host-side collectives).
  static core::Result<std::unique_ptr<GlooCommunicator>> Create(
      const CommConfig& config, const std::string& group_name = "gloo");
  ~GlooCommunicator() override;

  int rank() const override { return config_.rank; }
  int world_size() const override { return config_.world_size; }
  core::Device device() const override { return core::Device::kCpu; }
  core::Status AllReduceSum(float* data, size_t count) override;
  core::Status AllReduceSumHost(double* data, size_t count) override;
  core::Status Broadcast(float* data, size_t count, int root) override;
  core::Status BroadcastHost(void* data, size_t num_bytes, int root) override;
  core::Status Barrier() override;

  // The group this communicator joined, and its coordinator client (for the NCCL communicator,
  // which rendezvouses through them too).
  const CommGroup& group() const { return group_; }
  net::CoordinatorClient& coordinator() { return *client_; }
  // "peers' last heartbeats: ..." for an error message (comm_rendezvous.h: PeerHint).
  std::string PeerHint();

 private:
  GlooCommunicator() = default;
  template <typename Fn>
  core::Status Run(const std::string& op, Fn&& fn);
  core::Status CheckRoot(int root) const;
  // The rank whose Gloo address appears in `message`, or -1.
  int PeerIn(const std::string& message) const;
  // "rank 2 (host b) had closed its communicator" for the peers that left, or "".
  std::string LeftPeers();

  CommConfig config_;
  std::unique_ptr<net::CoordinatorClient> client_;
  std::unique_ptr<net::CoordinatorClient> hint_client_;  // short deadline, for error messages
  CommGroup group_;
  std::vector<std::string>
      peer_addresses_;  // per rank: its Gloo listening address as Gloo prints it
  std::shared_ptr<gloo::transport::Device> device_;
  std::shared_ptr<gloo::Context> context_;
  core::Status broken_;
  uint32_t next_tag_ = 0;
};

}  // namespace halo::trainer
