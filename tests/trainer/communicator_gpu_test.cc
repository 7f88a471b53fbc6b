// The NCCL communicator on device buffers. Skips without a GPU. With one GPU it runs world size 1
// (NCCL allows one rank per device); with two or more, ranks as threads, one device each.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/device.h"
#include "net/coordinator.h"
#include "net/server.h"
#include "trainer/communicator.h"

#ifdef HALO_WITH_CUDA
#include <cuda_runtime.h>
#endif

namespace halo::trainer {
namespace {

int GpuCount() {
#ifdef HALO_WITH_CUDA
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) return 0;
  return n;
#else
  return 0;
#endif
}

class NcclCommunicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!core::CudaAvailable()) GTEST_SKIP() << core::CudaUnavailableReason();
    ASSERT_TRUE(server_.Start(net::LoopbackEndpoint()).ok());
  }
  CommConfig Config(int rank, int world) {
    CommConfig c;
    c.backend = "nccl";
    c.rank = rank;
    c.world_size = world;
    c.coordinator = server_.endpoint();
    c.host = "h" + std::to_string(rank);
    c.cuda_device = rank;
    c.timeout = std::chrono::milliseconds(30000);
    return c;
  }
  net::CoordinatorServer server_;
};

// Runs the collectives with `world` ranks (one thread and one GPU each) and checks the results
// against serial loops on the host.
void RunWorld(int world, const std::vector<CommConfig>& configs) {
  constexpr size_t kN = 1 << 20;
  std::vector<std::vector<float>> host(world, std::vector<float>(kN));
  std::vector<float> expected(kN, 0.0f);
  for (int r = 0; r < world; ++r) {
    for (size_t i = 0; i < kN; ++i) {
      host[r][i] = static_cast<float>((r + 1) * (i % 1000));  // integers: exact in any order
      expected[i] += host[r][i];
    }
  }
  std::vector<std::string> errors(world);
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      auto fail = [&](const std::string& what) { errors[r] = what; };
      auto comm = CreateCommunicator(configs[r]);
      if (!comm.ok()) return fail(comm.status().ToString());
      if ((*comm)->device() != core::Device::kCuda) return fail("device is not cuda");
      float* d = static_cast<float*>(core::DeviceAlloc(core::Device::kCuda, kN * sizeof(float)));
      core::DeviceCopy(d, core::Device::kCuda, host[r].data(), core::Device::kCpu,
                       kN * sizeof(float));
      core::Status s = (*comm)->AllReduceSum(d, kN);
      if (!s.ok()) return fail(s.ToString());
      std::vector<float> out(kN);
      core::DeviceCopy(out.data(), core::Device::kCpu, d, core::Device::kCuda, kN * sizeof(float));
      if (out != expected) return fail("all-reduce result differs from the serial sum");
      // Broadcast from the last rank.
      const int root = world - 1;
      core::DeviceCopy(d, core::Device::kCuda, host[r].data(), core::Device::kCpu,
                       kN * sizeof(float));
      s = (*comm)->Broadcast(d, kN, root);
      if (!s.ok()) return fail(s.ToString());
      core::DeviceCopy(out.data(), core::Device::kCpu, d, core::Device::kCuda, kN * sizeof(float));
      if (out != host[root]) return fail("broadcast result differs from the root's data");
      core::DeviceFree(core::Device::kCuda, d);
      std::vector<double> h = {static_cast<double>(r), 1.0};
      s = (*comm)->AllReduceSumHost(h.data(), h.size());
      if (!s.ok()) return fail(s.ToString());
      if (h[1] != world || h[0] != world * (world - 1) / 2.0) return fail("host all-reduce wrong");
      s = (*comm)->Barrier();
      if (!s.ok()) return fail(s.ToString());
    });
  }
  for (auto& th : threads) th.join();
  for (int r = 0; r < world; ++r) EXPECT_EQ(errors[r], "") << "rank " << r;
}

TEST_F(NcclCommunicatorTest, OneRank) { RunWorld(1, {Config(0, 1)}); }

TEST_F(NcclCommunicatorTest, TwoRanksOnTwoGpus) {
  if (GpuCount() < 2) GTEST_SKIP() << "needs 2 GPUs, " << GpuCount() << " visible";
  RunWorld(2, {Config(0, 2), Config(1, 2)});
}

}  // namespace
}  // namespace halo::trainer
