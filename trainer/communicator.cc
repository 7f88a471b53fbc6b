#include "trainer/communicator.h"

#include <utility>

#include "trainer/gloo_communicator.h"
#ifdef HALO_WITH_CUDA
#include "trainer/nccl_communicator.h"
#endif

namespace halo::trainer {

namespace {

using core::Status;

class SoloCommunicator : public Communicator {
 public:
  explicit SoloCommunicator(core::Device device) : device_(device) {}
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  core::Device device() const override { return device_; }
  Status AllReduceSum(float*, size_t) override { return Status::OK(); }
  Status AllReduceSumHost(double*, size_t) override { return Status::OK(); }
  Status Broadcast(float*, size_t, int root) override { return CheckRoot(root); }
  Status BroadcastHost(void*, size_t, int root) override { return CheckRoot(root); }
  Status Barrier() override { return Status::OK(); }

 private:
  static Status CheckRoot(int root) {
    if (root != 0) {
      return Status::InvalidArgument("broadcast root " + std::to_string(root) +
                                     " out of range [0, 1)");
    }
    return Status::OK();
  }
  core::Device device_;
};

Status Validate(const CommConfig& c) {
  if (c.backend != "gloo" && c.backend != "nccl") {
    return Status::InvalidArgument("communicator backend must be gloo or nccl, got '" + c.backend +
                                   "'");
  }
  if (c.world_size < 1) {
    return Status::InvalidArgument("world_size must be >= 1, got " + std::to_string(c.world_size));
  }
  if (c.rank < 0 || c.rank >= c.world_size) {
    return Status::InvalidArgument("rank " + std::to_string(c.rank) + " out of range [0, " +
                                   std::to_string(c.world_size) + ")");
  }
  if (c.timeout.count() <= 0) {
    return Status::InvalidArgument("communicator timeout must be > 0 ms, got " +
                                   std::to_string(c.timeout.count()));
  }
  if (c.world_size > 1 && c.coordinator.empty()) {
    return Status::InvalidArgument("world_size " + std::to_string(c.world_size) +
                                   " needs a coordinator endpoint");
  }
  return Status::OK();
}

}  // namespace

std::unique_ptr<Communicator> MakeSoloCommunicator(core::Device device) {
  return std::make_unique<SoloCommunicator>(device);
}

core::Result<std::unique_ptr<Communicator>> CreateCommunicator(const CommConfig& config) {
  HALO_RETURN_IF_ERROR(Validate(config));
  const core::Device device = config.backend == "nccl" ? core::Device::kCuda : core::Device::kCpu;
  if (device == core::Device::kCuda && !core::CudaAvailable()) {
    return Status::FailedPrecondition("nccl backend: " + core::CudaUnavailableReason());
  }
  // A lone process without a coordinator has nobody to talk to.
  if (config.world_size == 1 && config.coordinator.empty()) return MakeSoloCommunicator(device);
  if (device == core::Device::kCpu) {
    HALO_ASSIGN_OR_RETURN(std::unique_ptr<GlooCommunicator> gloo, GlooCommunicator::Create(config));
    return std::unique_ptr<Communicator>(std::move(gloo));
  }
#ifdef HALO_WITH_CUDA
  HALO_ASSIGN_OR_RETURN(std::unique_ptr<NcclCommunicator> nccl, NcclCommunicator::Create(config));
  return std::unique_ptr<Communicator>(std::move(nccl));
#else
  return Status::FailedPrecondition("nccl backend: built without CUDA");
#endif
}

}  // namespace halo::trainer
