// Communicator: collectives among the trainers of one run (all-reduce, broadcast, barrier).
// Gloo over TCP on CPU, NCCL on GPU; both rendezvous through the run's coordinator
// (net/coordinator.h), which also carries NCCL's unique ID.
//
//   CommConfig c;  c.backend = "gloo"; c.rank = r; c.world_size = n;
//   c.coordinator = "tcp://127.0.0.1:7100";
//   HALO_ASSIGN_OR_RETURN(auto comm, CreateCommunicator(c));
//   HALO_RETURN_IF_ERROR(comm->AllReduceSum(grads.data(), grads.size()));
//
// Every call has a deadline (CommConfig::timeout). A rank that never joins makes the others fail
// with DeadlineExceeded naming it and its host (from `plan/rank/<R>/host`). A rank that dies or
// stops calling mid-run makes the others fail within the timeout, never hang: Unavailable (peer
// gone; the peer is named when the transport's error identifies it) or DeadlineExceeded, with
// the operation, this rank, and the peers' last heartbeats (`heartbeat/<R>`) in the message.
// After a failed collective the communicator is unusable (FailedPrecondition): tear down.
//
// Thread-safety: one thread at a time per Communicator (collectives are ordered per rank).
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/device.h"
#include "core/status.h"

namespace halo::trainer {

struct CommConfig {
  std::string backend = "gloo";  // gloo (host buffers) | nccl (CUDA device buffers)
  int rank = 0;
  int world_size = 1;
  std::string coordinator;                   // "tcp://host:port" of the run's CoordinatorServer
  std::string host = "local";                // this rank's host name, published for error messages
  std::string bind_address = "127.0.0.1";    // interface Gloo listens on (the host's address)
  std::chrono::milliseconds timeout{60000};  // rendezvous and each collective
  int cuda_device = 0;                       // nccl only
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // The device data buffers live on: kCpu for gloo, kCuda for nccl.
  virtual core::Device device() const = 0;
  // Sums `count` floats at `data` (on device()) in place across all ranks.
  virtual core::Status AllReduceSum(float* data, size_t count) = 0;
  // Sums `count` doubles at host memory `data` across all ranks (metrics, counts; any backend).
  virtual core::Status AllReduceSumHost(double* data, size_t count) = 0;
  // Copies `count` floats at `data` (on device()) from rank `root` to every rank.
  virtual core::Status Broadcast(float* data, size_t count, int root) = 0;
  // Copies `num_bytes` of host memory at `data` from rank `root` to every rank.
  virtual core::Status BroadcastHost(void* data, size_t num_bytes, int root) = 0;
  virtual core::Status Barrier() = 0;
};

// A communicator of one rank (world_size 1): every collective is a no-op. For single-process runs.
std::unique_ptr<Communicator> MakeSoloCommunicator(core::Device device);

// Joins the run described by `config` (rendezvous through the coordinator). Errors name the
// ranks (and their hosts) that did not join within config.timeout. InvalidArgument for a bad
// config; FailedPrecondition for nccl without CUDA. world_size 1 without a coordinator gives
// MakeSoloCommunicator. Each call creates a new group: every rank must create its communicators
// in the same order (keys `comm/<backend>/<n>/...` on the coordinator).
core::Result<std::unique_ptr<Communicator>> CreateCommunicator(const CommConfig& config);

}  // namespace halo::trainer
