// fake_trainer: a stand-in for halo-train that speaks the launcher contract (docs/halo-launch.md)
// without training: it takes the distributed flags, checks the coordinator's plan keys, sends
// heartbeats, reads one label from every part's store through the given endpoints, connects to
// the halo-ps shards of --ps_endpoints (if given) as worker R — which pings every shard and checks
// its index, the shard count and the worker count — prints halo-progress lines per "epoch" and a
// halo-result line, and writes what it was given to <output_dir>/rank<R>/flags.json. The `fake:`
// section of its --config says how to misbehave:
//   fake: {epochs: 3, epoch_ms: 20, heartbeat_ms: 100,
//          fail_rank: 1, fail_epoch: 0, mode: exit|hang|hang_ignore_term, exit_code: 3}
// exit: exit with exit_code; hang: stop heartbeats and block forever (SIGTERM ends it);
// hang_ignore_term: the same, ignoring SIGTERM (only SIGKILL ends it).
#include <gflags/gflags.h>
#include <signal.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/fs.h"
#include "core/partition_book.h"
#include "net/client.h"
#include "net/coordinator.h"
#include "ps/client.h"
#include "storage/store_client.h"

DEFINE_string(config, "", "train.yaml written by the launcher");
DEFINE_string(output_dir, "", "run output directory");
DEFINE_string(partition_dir, "", "partition directory");
DEFINE_int32(rank, -1, "rank");
DEFINE_int32(world_size, 0, "world size");
DEFINE_string(coordinator, "", "coordinator endpoint");
DEFINE_string(host, "", "host name");
DEFINE_string(host_address, "", "host address");
DEFINE_int32(part, -1, "part trained");
DEFINE_int32(part_rank, -1, "index among the part's trainers");
DEFINE_int32(part_trainers, 0, "trainers of the part");
DEFINE_string(store_endpoints, "", "store endpoints, in part order");
DEFINE_string(ps_endpoints, "", "halo-ps shard endpoints, in shard order");
DEFINE_bool(resume, false, "resume");
DEFINE_int32(cuda_device, -1, "cuda device");

namespace {

int Fail(const std::string& message, int code = 2) {
  std::fprintf(stderr, "fake_trainer: error: rank %d: %s\n", FLAGS_rank, message.c_str());
  return code;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

template <typename T>
T Get(const YAML::Node& fake, const char* key, T fallback) {
  return fake && fake[key] ? fake[key].as<T>() : fallback;
}

// Sets heartbeat/<rank> every `period_ms` from a thread until stopped (joined on destruction).
class Heartbeat {
 public:
  explicit Heartbeat(int period_ms) {
    thread_ = std::thread([this, period_ms] {
      auto c = halo::net::CoordinatorClient::Connect(FLAGS_coordinator);
      if (!c.ok()) return;
      std::unique_lock<std::mutex> lock(mutex_);
      while (!stop_) {
        lock.unlock();
        (void)c.value()->Set("heartbeat/" + std::to_string(FLAGS_rank), "1");
        lock.lock();
        cv_.wait_for(lock, std::chrono::milliseconds(period_ms), [this] { return stop_; });
      }
    });
  }
  ~Heartbeat() { Stop(); }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  YAML::Node config = YAML::LoadFile(FLAGS_config);
  const YAML::Node fake = config["fake"];
  const int epochs = Get(fake, "epochs", 3);
  const int epoch_ms = Get(fake, "epoch_ms", 20);
  const int heartbeat_ms = Get(fake, "heartbeat_ms", 100);
  const int fail_rank = Get(fake, "fail_rank", -1);
  const int fail_epoch = Get(fake, "fail_epoch", 0);
  const std::string mode = Get<std::string>(fake, "mode", "exit");
  const int exit_code = Get(fake, "exit_code", 3);

  // The plan keys the launcher sets before starting trainers.
  auto coordinator = halo::net::CoordinatorClient::Connect(FLAGS_coordinator);
  if (!coordinator.ok()) return Fail(coordinator.status().ToString());
  auto world = coordinator.value()->Get("plan/world_size", std::chrono::seconds(10));
  if (!world.ok()) return Fail(world.status().ToString());
  if (world.value() != std::to_string(FLAGS_world_size)) {
    return Fail("plan/world_size is " + world.value() + ", --world_size " +
                std::to_string(FLAGS_world_size));
  }
  auto host = coordinator.value()->Get("plan/rank/" + std::to_string(FLAGS_rank) + "/host",
                                       std::chrono::seconds(10));
  if (!host.ok() || host.value() != FLAGS_host) return Fail("plan/rank/<R>/host disagrees");

  Heartbeat heartbeat(heartbeat_ms);
  // Every part's store answers at the endpoint given for it.
  auto meta = halo::core::ReadPartitionMeta(FLAGS_partition_dir);
  if (!meta.ok()) return Fail(meta.status().ToString());
  const std::vector<std::string> endpoints = Split(FLAGS_store_endpoints);
  auto client = halo::storage::StoreClient::Create(meta.value(), endpoints);
  if (!client.ok()) return Fail(client.status().ToString());
  std::vector<int64_t> first_ids;
  for (const auto& part : meta->parts) first_ids.push_back(part.node_begin);
  auto labels = client.value()->GetLabels(first_ids);
  if (!labels.ok()) return Fail("store check: " + labels.status().ToString());

  // Every ps shard answers at the endpoint given for it: a ping each, then a Connect that checks
  // each shard's index against its position, the shard count and the worker count (world size),
  // and takes the worker's clock (a restored snapshot's).
  const std::vector<std::string> ps_endpoints =
      FLAGS_ps_endpoints.empty() ? std::vector<std::string>{} : Split(FLAGS_ps_endpoints);
  int ps_pinged = 0;
  int64_t ps_clock = -1;
  for (const std::string& e : ps_endpoints) {
    auto rpc = halo::net::RpcClient::Connect(e);
    if (!rpc.ok()) return Fail("ps endpoint " + e + ": " + rpc.status().ToString());
    halo::core::Status ping = rpc.value()->Ping(std::chrono::seconds(10));
    if (!ping.ok()) return Fail("ps ping: " + ping.ToString());
    ++ps_pinged;
  }
  if (!ps_endpoints.empty()) {
    halo::ps::ClientOptions options;
    options.worker = FLAGS_rank;
    auto ps = halo::ps::Client::Connect(ps_endpoints, options);
    if (!ps.ok()) return Fail("ps check: " + ps.status().ToString());
    if (ps.value()->num_workers() != FLAGS_world_size) {
      return Fail("ps shards serve " + std::to_string(ps.value()->num_workers()) +
                  " workers, --world_size is " + std::to_string(FLAGS_world_size));
    }
    ps_clock = ps.value()->clock();
  }

  const char* prefix_env = std::getenv("HALO_FAKE_PREFIX");
  nlohmann::json flags = {
      {"pid", getpid()},
      {"rank", FLAGS_rank},
      {"world_size", FLAGS_world_size},
      {"coordinator", FLAGS_coordinator},
      {"host", FLAGS_host},
      {"host_address", FLAGS_host_address},
      {"part", FLAGS_part},
      {"part_rank", FLAGS_part_rank},
      {"part_trainers", FLAGS_part_trainers},
      {"store_endpoints", endpoints},
      {"ps_endpoints", ps_endpoints},
      {"ps_pinged", ps_pinged},
      {"ps_clock", ps_clock},
      {"partition_dir", FLAGS_partition_dir},
      {"resume", FLAGS_resume},
      {"cuda_device", FLAGS_cuda_device},
      {"labels_read", labels->size()},
      {"prefix_env", prefix_env != nullptr ? prefix_env : ""},
      {"config_partition_dir", config["dataset"]["partition_dir"].as<std::string>("")},
      {"config_output_dir", config["output_dir"].as<std::string>("")}};
  const std::string dir = FLAGS_output_dir + "/rank" + std::to_string(FLAGS_rank);
  if (!halo::core::MakeDirs(dir).ok() ||
      !halo::core::WriteFileAtomic(dir + "/flags.json", flags.dump(2)).ok()) {
    return Fail("cannot write " + dir + "/flags.json");
  }
  std::printf("fake_trainer: rank %d running\n", FLAGS_rank);
  std::fflush(stdout);

  std::vector<double> epoch_seconds;
  for (int e = 0; e < epochs; ++e) {  // 0-based, as halo-train reports them
    std::this_thread::sleep_for(std::chrono::milliseconds(epoch_ms));  // the "work"
    epoch_seconds.push_back(epoch_ms / 1000.0);
    nlohmann::json progress = {{"rank", FLAGS_rank},
                               {"epoch", e},
                               {"epochs", epochs},
                               {"loss", 1.0 / (e + 1)},
                               {"epoch_seconds", epoch_ms / 1000.0},
                               {"seeds_per_second", 1000.0 + FLAGS_rank},
                               {"val_acc", 0.5}};
    std::printf("halo-progress %s\n", progress.dump().c_str());
    std::fflush(stdout);
    if (FLAGS_rank == fail_rank && e == fail_epoch) {
      if (mode == "exit") return Fail("told to fail at epoch " + std::to_string(e), exit_code);
      if (mode == "hang" || mode == "hang_ignore_term") {
        if (mode == "hang_ignore_term") signal(SIGTERM, SIG_IGN);
        heartbeat.Stop();
        std::fprintf(stderr, "fake_trainer: rank %d hanging\n", FLAGS_rank);
        while (true) pause();
      }
    }
  }
  nlohmann::json result = {{"rank", FLAGS_rank},
                           {"part", FLAGS_part},
                           {"host", FLAGS_host},
                           {"test_acc", 0.8 + 0.01 * FLAGS_rank},
                           {"val_acc", 0.7},
                           {"epoch_seconds", epoch_seconds},
                           {"seeds_per_second", 1000.0 + FLAGS_rank}};
  std::printf("halo-result %s\n", result.dump().c_str());
  std::fflush(stdout);
  return 0;
}
