// NcclCommunicator: the Communicator over NCCL, for CUDA device buffers (built with
// HALO_WITH_CUDA only).
//
//   CommConfig c;  c.backend = "nccl"; c.cuda_device = local_gpu; ...
//   HALO_ASSIGN_OR_RETURN(auto comm, NcclCommunicator::Create(c));   // or CreateCommunicator
//   HALO_RETURN_IF_ERROR(comm->AllReduceSum(device_grads, n));
//
// Create: a Gloo group ("nccl-host") is joined first (it names ranks that do not show up and
// carries the host-side collectives, like PyTorch's separate CPU group); rank 0 then makes the
// ncclUniqueId and publishes it on the coordinator under the group's prefix, and every rank
// initialises NCCL non-blocking, polled against config.timeout.
//
// Device collectives run on the communicator's own CUDA stream and are synchronous: when a call
// returns, the result is in `data`. That stream is a blocking one, so it starts after work the
// caller queued on the legacy default stream (where this repo's kernels run); work on other
// non-blocking streams must be synchronised by the caller first.
// AllReduceSumHost / BroadcastHost / Barrier go through the Gloo group.
//
// Errors: an NCCL error or a collective still running at the timeout aborts the NCCL
// communicator (ncclCommAbort: nothing hangs) and returns an error naming the operation, this
// rank and the peers' heartbeats; later calls return FailedPrecondition.
//
// Thread-safety: one thread at a time (collectives are ordered per rank). Any thread may call; the
// CUDA device is set on each call.
#pragma once

#include <memory>
#include <string>

#include "trainer/communicator.h"
#include "trainer/gloo_communicator.h"

struct ncclComm;     // ncclComm_t (nccl.h stays out of this header)
struct CUstream_st;  // cudaStream_t

namespace halo::trainer {

class NcclCommunicator : public Communicator {
 public:
  static core::Result<std::unique_ptr<NcclCommunicator>> Create(const CommConfig& config);
  ~NcclCommunicator() override;

  int rank() const override { return config_.rank; }
  int world_size() const override { return config_.world_size; }
  core::Device device() const override { return core::Device::kCuda; }
  core::Status AllReduceSum(float* data, size_t count) override;
  core::Status AllReduceSumHost(double* data, size_t count) override;
  core::Status Broadcast(float* data, size_t count, int root) override;
  core::Status BroadcastHost(void* data, size_t num_bytes, int root) override;
  core::Status Barrier() override;

 private:
  NcclCommunicator() = default;
  // Runs `enqueue` (which issues one NCCL call on stream_ and returns its ncclResult_t as int),
  // then waits for the stream within the timeout.
  template <typename Fn>
  core::Status Run(const std::string& op, Fn&& enqueue);
  core::Status Fail(const std::string& op, const std::string& why, bool timed_out);

  CommConfig config_;
  std::unique_ptr<GlooCommunicator> host_;
  ncclComm* comm_ = nullptr;
  CUstream_st* stream_ = nullptr;
  core::Status broken_;
  uint64_t ops_ = 0;
};

}  // namespace halo::trainer
