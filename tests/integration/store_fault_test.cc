// halo-store under faults: a store killed (SIGKILL) while a client streams requests makes the next
// call fail within its deadline + 1 s, naming the part and the endpoint, and a store restarted on
// the same port serves the same data to the same client; malformed frames (raw ZeroMQ) and bad
// requests get error replies while the store keeps serving.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <zmq.hpp>

#include "net/client.h"
#include "net/codec.h"
#include "storage/store_client.h"
#include "storage/store_protocol.h"
#include "tests/integration/cora_cluster.h"
#include "tests/test_util.h"

namespace halo::testing {
namespace {

using core::StatusCode;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(StoreFault, KilledStoreFailsFastAndRestartedStoreServesTheSameData) {
  TempDir tmp;
  CoraPartition cora = PartitionCora(tmp.File("cora"), 2);
  ASSERT_EQ(cora.meta.num_parts, 2);
  std::vector<std::unique_ptr<StoreProcess>> stores = StartStores(cora.dir, 2);
  ASSERT_FALSE(HasFailure());
  const std::string endpoint1 = stores[1]->endpoint();
  const milliseconds deadline(2000);
  storage::StoreClientOptions opt;
  opt.deadline = deadline;
  opt.max_attempts = 2;
  auto made = storage::StoreClient::Create(cora.meta, Endpoints(stores), opt);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  const storage::StoreClient& client = *made.value();

  // A reader streams random batches over both parts until told to stop.
  std::mutex mu;
  std::condition_variable cv;
  int good_batches = 0;
  std::atomic<bool> stop{false};
  std::atomic<int> wrong_data{0};
  std::thread reader([&] {
    std::mt19937_64 rng(1);
    while (!stop.load()) {
      std::vector<int64_t> ids(500);
      for (int64_t& id : ids) id = static_cast<int64_t>(rng() % 2708);
      auto x = client.GetFeatures(ids);
      if (x.ok()) {
        const std::vector<float> want = cora.Features(ids);
        if (std::memcmp(x->data(), want.data(), want.size() * sizeof(float)) != 0) ++wrong_data;
        std::lock_guard<std::mutex> lock(mu);
        ++good_batches;
        cv.notify_all();
      }
    }
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return good_batches >= 5; }));
  }
  stores[1]->process().Signal(SIGKILL);
  EXPECT_EQ(stores[1]->process().Wait(std::chrono::seconds(30)), -SIGKILL);
  stop = true;
  reader.join();
  EXPECT_EQ(wrong_data.load(), 0);

  // The next call touching part 1 fails within the deadline (+1 s), naming part and endpoint.
  const core::PartInfo& p1 = cora.meta.parts[1];
  for (int k = 0; k < 2; ++k) {
    const auto start = Clock::now();
    auto x = client.GetFeatures({0, p1.node_begin, p1.node_begin + 1});
    const auto took = Clock::now() - start;
    ASSERT_FALSE(x.ok());
    EXPECT_TRUE(x.status().code() == StatusCode::kUnavailable ||
                x.status().code() == StatusCode::kDeadlineExceeded)
        << x.status().ToString();
    EXPECT_TRUE(Contains(x.status().message(), "part 1 (" + endpoint1 + ")"))
        << x.status().message();
    EXPECT_LT(took, deadline + milliseconds(1000));
  }
  // Part 0 alone still answers.
  EXPECT_TRUE(client.GetLabels({0, 1, p1.node_begin - 1}).ok());

  // Restart part 1 on the same port: the same client reads the same data again.
  stores[1] = std::make_unique<StoreProcess>(cora.dir, 1, std::vector<std::string>{}, endpoint1);
  ASSERT_TRUE(stores[1]->WaitReady()) << stores[1]->process().output();
  ASSERT_EQ(stores[1]->endpoint(), endpoint1);
  std::vector<int64_t> ids;
  for (int64_t id = 0; id < cora.num_nodes(); id += 7) ids.push_back(id);
  // The client's sockets reconnect on their own (ZeroMQ retries every 100 ms); allow a few
  // deadlines for that on a loaded machine.
  core::Result<std::vector<float>> x = core::Status::Internal("not called");
  for (int attempt = 0; attempt < 5 && !x.ok(); ++attempt) x = client.GetFeatures(ids);
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  const std::vector<float> want = cora.Features(ids);
  EXPECT_EQ(std::memcmp(x->data(), want.data(), want.size() * sizeof(float)), 0);
  auto y = client.GetLabels(ids);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y.value(), cora.Labels(ids));
}

// Sends `frames` on a raw DEALER and returns the decoded reply (or fails the test).
net::Message RawCall(zmq::socket_t& socket, const std::vector<std::string>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    zmq::message_t m(frames[i].data(), frames[i].size());
    socket.send(m, i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
  std::vector<zmq::message_t> parts;
  zmq::pollitem_t item{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, kCallDeadline);
  EXPECT_TRUE(item.revents & ZMQ_POLLIN) << "no reply to a malformed request";
  if (!(item.revents & ZMQ_POLLIN)) return net::Message();
  while (true) {
    zmq::message_t m;
    EXPECT_TRUE(socket.recv(m, zmq::recv_flags::none));
    const bool more = m.more();
    parts.push_back(std::move(m));
    if (!more) break;
  }
  std::vector<net::Frame> wire;
  for (auto& p : parts) {
    wire.push_back(net::Frame{static_cast<const uint8_t*>(p.data()), p.size(), nullptr});
  }
  auto decoded = net::Decode(wire);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  return decoded.ok() ? decoded.value() : net::Message();
}

TEST(StoreFault, MalformedRequestsGetErrorRepliesAndTheStoreKeepsServing) {
  TempDir tmp;
  CoraPartition cora = PartitionCora(tmp.File("cora"), 2);
  ASSERT_EQ(cora.meta.num_parts, 2);
  StoreProcess store(cora.dir, 0);
  ASSERT_TRUE(store.WaitReady()) << store.process().output();
  const core::PartInfo& p0 = cora.meta.parts[0];

  zmq::context_t ctx;
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(store.endpoint());
  // Garbage, a truncated header, a header with the magic but a bad checksum, too many frames.
  net::Message r = RawCall(dealer, {"hello"});
  EXPECT_EQ(r.status.code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(r.status.message(), "malformed request")) << r.status.message();
  auto good = net::Encode(storage::MakeIdsRequest(storage::kGetLabels, {0, 1}));
  ASSERT_TRUE(good.ok());
  std::string header(reinterpret_cast<const char*>((*good)[0].data), (*good)[0].size);
  std::string ids(reinterpret_cast<const char*>((*good)[1].data), (*good)[1].size);
  r = RawCall(dealer, {header.substr(0, 22)});
  EXPECT_EQ(r.status.code(), StatusCode::kCorruption);
  std::string bad_crc = header;
  bad_crc[bad_crc.size() - 1] ^= 0x5a;
  r = RawCall(dealer, {bad_crc, ids});
  EXPECT_EQ(r.status.code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(r.status.message(), "checksum")) << r.status.message();
  r = RawCall(dealer, {header, ids, ids});
  EXPECT_EQ(r.status.code(), StatusCode::kCorruption);
  // The intact request still works on the same socket.
  r = RawCall(dealer, {header, ids});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.arrays[0].ToVector<int64_t>(), cora.Labels({0, 1}));

  // Well-formed messages the store must refuse.
  auto rpc = net::RpcClient::Connect(store.endpoint());
  ASSERT_TRUE(rpc.ok());
  auto call = [&](net::Message m) { return (*rpc)->Call(std::move(m), kCallDeadline); };
  auto bogus = call(net::Message(1234, {net::Array::FromVector<int64_t>({0})}));
  EXPECT_EQ(bogus.status().code(), StatusCode::kUnimplemented) << bogus.status().ToString();
  auto wrong_dtype =
      call(net::Message(storage::kGetFeatures, {net::Array::FromVector<float>({0.0f})}));
  EXPECT_EQ(wrong_dtype.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(wrong_dtype.status().message(), "expected i64"))
      << wrong_dtype.status().message();
  auto not_owned = call(storage::MakeIdsRequest(storage::kGetFeatures, {0, p0.node_end}));
  EXPECT_EQ(not_owned.status().code(), StatusCode::kOutOfRange);
  const std::string range =
      "[" + std::to_string(p0.node_begin) + ", " + std::to_string(p0.node_end) + ")";
  EXPECT_TRUE(Contains(not_owned.status().message(),
                       "global ID " + std::to_string(p0.node_end) + " (position 1)"))
      << not_owned.status().message();
  EXPECT_TRUE(Contains(not_owned.status().message(), range)) << not_owned.status().message();
  auto bad_params =
      call(net::Message(storage::kSampleNeighbors, {net::Array::FromVector<int64_t>({0}),
                                                    net::Array::FromVector<int64_t>({1})}));
  EXPECT_EQ(bad_params.status().code(), StatusCode::kInvalidArgument);

  // Still serving, and counting the errors.
  EXPECT_TRUE((*rpc)->Ping(kCallDeadline).ok());
  auto stats = call(storage::MakeStatsRequest());
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_TRUE(Contains(std::string(stats->arrays[0].bytes()), "\"errors\":4"))
      << stats->arrays[0].bytes();
}

}  // namespace
}  // namespace halo::testing
