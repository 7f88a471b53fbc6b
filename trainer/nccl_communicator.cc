#include "trainer/nccl_communicator.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

namespace halo::trainer {

namespace {

using core::Status;
using Clock = std::chrono::steady_clock;

std::string NcclError(ncclResult_t r, ncclComm_t comm) {
  std::string out = std::string("NCCL error ") + std::to_string(static_cast<int>(r)) + " (" +
                    ncclGetErrorString(r) + ")";
  const char* last = ncclGetLastError(comm);
  if (last != nullptr && last[0] != '\0') out += ": " + std::string(last);
  return out;
}

std::string CudaError(cudaError_t e) {
  return std::string("CUDA error ") + cudaGetErrorName(e) + ": " + cudaGetErrorString(e);
}

// Polls without burning a core for long: spin briefly (collectives are often fast), then nap.
class Poller {
 public:
  void Pause() {
    if (++polls_ < 1000) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

 private:
  int polls_ = 0;
};

// Waits until `comm` is no longer ncclInProgress (non-blocking init and calls), or the deadline.
// Returns the final state, or ncclInProgress at the deadline.
ncclResult_t WaitComm(ncclComm_t comm, Clock::time_point deadline) {
  Poller poller;
  while (true) {
    ncclResult_t state = ncclSuccess;
    const ncclResult_t r = ncclCommGetAsyncError(comm, &state);
    if (r != ncclSuccess) return r;
    if (state != ncclInProgress) return state;
    if (Clock::now() >= deadline) return ncclInProgress;
    poller.Pause();
  }
}

}  // namespace

core::Result<std::unique_ptr<NcclCommunicator>> NcclCommunicator::Create(const CommConfig& config) {
  if (!core::CudaAvailable()) {
    return Status::FailedPrecondition("nccl backend: " + core::CudaUnavailableReason());
  }
  const std::string where = "nccl (rank " + std::to_string(config.rank) + " of " +
                            std::to_string(config.world_size) + ", host " + config.host +
                            ", cuda device " + std::to_string(config.cuda_device) + ")";
  int devices = 0;
  cudaError_t e = cudaGetDeviceCount(&devices);
  if (e != cudaSuccess) return Status::FailedPrecondition(where + ": " + CudaError(e));
  if (config.cuda_device < 0 || config.cuda_device >= devices) {
    return Status::InvalidArgument(
        where + ": cuda_device out of range: " + std::to_string(devices) + " devices visible");
  }
  e = cudaSetDevice(config.cuda_device);
  if (e != cudaSuccess) return Status::FailedPrecondition(where + ": " + CudaError(e));

  std::unique_ptr<NcclCommunicator> comm(new NcclCommunicator());
  comm->config_ = config;
  // The Gloo group first: it names ranks that never show up, before NCCL would wait for them.
  HALO_ASSIGN_OR_RETURN(comm->host_, GlooCommunicator::Create(config, "nccl-host"));

  const Clock::time_point deadline = Clock::now() + config.timeout;
  const std::string id_key = comm->host_->group().prefix + "nccl/unique_id";
  ncclUniqueId id;
  if (config.rank == 0) {
    ncclResult_t r = ncclGetUniqueId(&id);
    if (r != ncclSuccess) {
      return Status::Internal(where + ": ncclGetUniqueId: " + NcclError(r, nullptr));
    }
    HALO_RETURN_IF_ERROR(
        comm->host_->coordinator().Set(id_key, std::string(id.internal, sizeof(id.internal))));
  } else {
    auto value = comm->host_->coordinator().Get(id_key, config.timeout);
    if (!value.ok()) return value.status().WithContext(where + ": waiting for rank 0's NCCL id");
    if (value->size() != sizeof(id.internal)) {
      return Status::Corruption(where + ": NCCL id under '" + id_key + "' has " +
                                std::to_string(value->size()) + " bytes, expected " +
                                std::to_string(sizeof(id.internal)));
    }
    std::memcpy(id.internal, value->data(), sizeof(id.internal));
  }

  ncclConfig_t nccl_config = NCCL_CONFIG_INITIALIZER;
  nccl_config.blocking = 0;  // so that init and collectives can be abandoned at the timeout
  ncclComm_t nccl = nullptr;
  ncclResult_t r = ncclCommInitRankConfig(&nccl, config.world_size, id, config.rank, &nccl_config);
  if (r == ncclInProgress || r == ncclSuccess) r = WaitComm(nccl, deadline);
  if (r != ncclSuccess) {
    const std::string why = r == ncclInProgress ? "init did not complete within " +
                                                      std::to_string(config.timeout.count()) + " ms"
                                                : "init: " + NcclError(r, nccl);
    if (nccl != nullptr) ncclCommAbort(nccl);
    return Status(
        r == ncclInProgress ? core::StatusCode::kDeadlineExceeded : core::StatusCode::kUnavailable,
        where + ": " + why + "; " + comm->host_->PeerHint());
  }
  comm->comm_ = nccl;
  cudaStream_t stream = nullptr;
  e = cudaStreamCreate(&stream);  // blocking: ordered after the legacy default stream
  if (e != cudaSuccess) return Status::Internal(where + ": cudaStreamCreate: " + CudaError(e));
  comm->stream_ = stream;
  return comm;
}

NcclCommunicator::~NcclCommunicator() {
  cudaSetDevice(config_.cuda_device);
  if (comm_ != nullptr) {
    bool clean = false;
    if (broken_.ok()) {
      const ncclResult_t r = ncclCommFinalize(comm_);  // flushes; non-blocking mode: polled
      clean = (r == ncclSuccess || r == ncclInProgress) &&
              WaitComm(comm_, Clock::now() + config_.timeout) == ncclSuccess;
    }
    if (clean) {
      ncclCommDestroy(comm_);
    } else {
      ncclCommAbort(comm_);
    }
  }
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

Status NcclCommunicator::Fail(const std::string& op, const std::string& why, bool timed_out) {
  // A collective that failed or hangs leaves NCCL unusable: abort it so nothing waits on it.
  ncclCommAbort(comm_);
  comm_ = nullptr;
  const std::string message = "nccl " + op + " (collective #" + std::to_string(ops_) +
                              ") failed on " + RankName(host_->group(), config_.rank) + ": " + why +
                              "; " + host_->PeerHint();
  broken_ = timed_out ? Status::DeadlineExceeded(message) : Status::Unavailable(message);
  return broken_;
}

template <typename Fn>
Status NcclCommunicator::Run(const std::string& op, Fn&& enqueue) {
  if (!broken_.ok()) {
    return Status::FailedPrecondition(
        "nccl " + op + " on rank " + std::to_string(config_.rank) +
        ": communicator unusable after an earlier failure: " + broken_.message());
  }
  ++ops_;
  const Clock::time_point deadline = Clock::now() + config_.timeout;
  cudaError_t e = cudaSetDevice(config_.cuda_device);
  if (e != cudaSuccess) return Status::Internal("nccl " + op + ": " + CudaError(e));
  ncclResult_t r = static_cast<ncclResult_t>(enqueue());
  if (r == ncclInProgress) r = WaitComm(comm_, deadline);
  if (r == ncclInProgress) {
    return Fail(op, "not enqueued within " + std::to_string(config_.timeout.count()) + " ms", true);
  }
  if (r != ncclSuccess) return Fail(op, NcclError(r, comm_), false);
  Poller poller;
  while (true) {
    e = cudaStreamQuery(stream_);
    if (e == cudaSuccess) return Status::OK();
    if (e != cudaErrorNotReady) return Fail(op, CudaError(e), false);
    ncclResult_t state = ncclSuccess;
    r = ncclCommGetAsyncError(comm_, &state);
    if (r != ncclSuccess) return Fail(op, NcclError(r, comm_), false);
    if (state != ncclSuccess && state != ncclInProgress) {
      return Fail(op, NcclError(state, comm_), false);
    }
    if (Clock::now() >= deadline) {
      return Fail(op, "did not complete within " + std::to_string(config_.timeout.count()) + " ms",
                  true);
    }
    poller.Pause();
  }
}

Status NcclCommunicator::AllReduceSum(float* data, size_t count) {
  if (count == 0) return Status::OK();
  return Run("all-reduce of " + std::to_string(count) + " floats", [&] {
    return static_cast<int>(ncclAllReduce(data, data, count, ncclFloat32, ncclSum, comm_, stream_));
  });
}

Status NcclCommunicator::Broadcast(float* data, size_t count, int root) {
  if (root < 0 || root >= config_.world_size) {
    return Status::InvalidArgument("broadcast root " + std::to_string(root) + " out of range [0, " +
                                   std::to_string(config_.world_size) + ")");
  }
  if (count == 0) return Status::OK();
  return Run("broadcast of " + std::to_string(count) + " floats from rank " + std::to_string(root),
             [&] {
               return static_cast<int>(
                   ncclBroadcast(data, data, count, ncclFloat32, root, comm_, stream_));
             });
}

Status NcclCommunicator::AllReduceSumHost(double* data, size_t count) {
  return host_->AllReduceSumHost(data, count);
}

Status NcclCommunicator::BroadcastHost(void* data, size_t num_bytes, int root) {
  return host_->BroadcastHost(data, num_bytes, root);
}

Status NcclCommunicator::Barrier() {
  if (!broken_.ok()) {
    return Status::FailedPrecondition(
        "nccl barrier on rank " + std::to_string(config_.rank) +
        ": communicator unusable after an earlier failure: " + broken_.message());
  }
  // Device work of this communicator is already complete at every return; the barrier is the
  // host group's.
  return host_->Barrier();
}

}  // namespace halo::trainer
