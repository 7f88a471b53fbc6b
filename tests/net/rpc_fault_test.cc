// Faults over real loopback sockets: handlers slower than the deadline, nothing listening, a
// server stopped mid-stream and restarted on its port, malformed frames from a raw socket.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "net/client.h"
#include "net/codec.h"
#include "net/server.h"
#include "tests/net/rpc_test_util.h"

namespace halo::net {
namespace {

using std::chrono::milliseconds;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr uint16_t kSlow = 17;
// Slack allowed past a deadline before a call must have returned.
constexpr milliseconds kMargin(1000);

TEST(RpcFaultTest, SlowHandlerGivesDeadlineExceededNamingTheEndpoint) {
  Gate release;
  TestServer server([&](const Message& req) {
    release.Wait();
    return core::Result<Message>(Message(req.type));
  });
  OpenOnExit open_on_exit(release);
  auto client = Connect(server.endpoint());

  Clock::time_point start = Clock::now();
  core::Result<Message> r = client->Call(Message(kSlow), milliseconds(300));
  Clock::duration elapsed = Clock::now() - start;
  EXPECT_EQ(r.status().code(), core::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(),
              HasSubstr("no reply from " + server.endpoint() + " to request type 17 within"));
  EXPECT_THAT(r.status().message(), HasSubstr("ms (1 attempt)"));
  EXPECT_GE(elapsed, milliseconds(300));
  EXPECT_LT(elapsed, milliseconds(300) + kMargin);

  // Two attempts share the deadline; both go out, neither is answered.
  start = Clock::now();
  r = client->Call(Message(kSlow), milliseconds(400), 2);
  elapsed = Clock::now() - start;
  EXPECT_EQ(r.status().code(), core::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(), HasSubstr("(2 attempts)"));
  EXPECT_LT(elapsed, milliseconds(400) + kMargin);
}

TEST(RpcFaultTest, NothingListeningFailsWithinTheDeadline) {
  std::string endpoint;
  {
    TestServer gone(EchoHandler());  // a port that was free a moment ago and is free again
    endpoint = gone.endpoint();
  }
  auto client = Connect(endpoint);
  const Clock::time_point start = Clock::now();
  core::Result<Message> r = client->Call(Message(kSlow), milliseconds(300), 2);
  const Clock::duration elapsed = Clock::now() - start;
  EXPECT_EQ(r.status().code(), core::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(),
              HasSubstr("no connection to " + endpoint + " for request type 17 within"));
  EXPECT_THAT(r.status().message(), HasSubstr("(2 attempts)"));
  EXPECT_LT(elapsed, milliseconds(300) + kMargin);
  EXPECT_EQ(client->Ping(milliseconds(100)).code(), core::StatusCode::kUnavailable);
}

// A client thread calls in a loop while the server is stopped under it and then restarted on the
// same port: calls fail within their deadline while it is gone, and succeed again after.
TEST(RpcFaultTest, ServerStoppedMidStreamThenRestartedOnItsPort) {
  auto server = std::make_unique<TestServer>(EchoHandler());
  const int port = server->port();
  const std::string endpoint = server->endpoint();
  auto client = Connect(endpoint);
  constexpr milliseconds kDeadline(400);

  std::mutex mu;
  std::condition_variable cv;
  int ok = 0;
  int failed = 0;
  Clock::duration slowest_failure{0};
  std::vector<core::Status> errors;
  bool done = false;
  std::thread caller([&] {
    const Message request(kSlow, {Array::FromVector<int64_t>({1, 2, 3})});
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (done) return;
      }
      const Clock::time_point start = Clock::now();
      core::Result<Message> r = client->Call(request, kDeadline, 2);
      const Clock::duration elapsed = Clock::now() - start;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (r.ok()) {
          ++ok;
        } else {
          ++failed;
          slowest_failure = std::max(slowest_failure, elapsed);
          errors.push_back(r.status());
        }
      }
      cv.notify_all();
    }
  });
  struct JoinOnExit {
    std::mutex& mu;
    bool& done;
    std::thread& t;
    ~JoinOnExit() {
      {
        std::lock_guard<std::mutex> lock(mu);
        done = true;
      }
      t.join();
    }
  } join_on_exit{mu, done, caller};
  // Bounded waits for the caller's progress (a hang fails the test instead of blocking it).
  auto await = [&](auto done_waiting) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), done_waiting);
  };

  ASSERT_TRUE(await([&] { return ok >= 20; }));
  server->Stop();
  ASSERT_TRUE(await([&] { return failed >= 2; }));

  server = std::make_unique<TestServer>(EchoHandler(), ServerOptions{}, LoopbackEndpoint(port));
  ASSERT_EQ(server->port(), port);
  int ok_before_restart;
  {
    std::lock_guard<std::mutex> lock(mu);
    ok_before_restart = ok;
  }
  ASSERT_TRUE(await([&] { return ok >= ok_before_restart + 10; }));

  std::lock_guard<std::mutex> lock(mu);
  EXPECT_LT(slowest_failure, kDeadline + kMargin);
  for (const core::Status& s : errors) {
    EXPECT_THAT(s.code(),
                AnyOf(core::StatusCode::kUnavailable, core::StatusCode::kDeadlineExceeded));
    EXPECT_THAT(s.message(), HasSubstr(endpoint));
  }
}

// Sends `frames` from a raw DEALER socket and decodes the server's answer.
core::Result<Message> RawRoundTrip(zmq::socket_t& dealer, const std::vector<std::string>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    dealer.send(zmq::buffer(frames[i]),
                i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
  zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, milliseconds(5000)) == 0) {
    return core::Status::DeadlineExceeded("no answer to raw frames");
  }
  std::vector<zmq::message_t> parts;
  (void)zmq::recv_multipart(dealer, std::back_inserter(parts));
  std::vector<Frame> decoded;
  for (const zmq::message_t& p : parts) {
    decoded.push_back(Frame{static_cast<const uint8_t*>(p.data()), p.size(), nullptr});
  }
  return Decode(decoded);
}

std::vector<std::string> WireOf(const Message& m) {
  std::vector<std::string> wire;
  core::Result<std::vector<Frame>> frames = Encode(m);
  EXPECT_TRUE(frames.ok());
  for (const Frame& f : *frames) wire.emplace_back(reinterpret_cast<const char*>(f.data), f.size);
  return wire;
}

void ExpectErrorReply(const core::Result<Message>& reply, uint64_t request_id,
                      const std::string& what) {
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->request_id, request_id);
  EXPECT_EQ(reply->status.code(), core::StatusCode::kCorruption);
  EXPECT_THAT(reply->status.message(), HasSubstr("malformed request: " + what));
}

TEST(RpcFaultTest, MalformedFramesGetErrorRepliesAndTheServerGoesOn) {
  TestServer server(EchoHandler());
  zmq::context_t context(1);
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(server.endpoint());

  ExpectErrorReply(RawRoundTrip(dealer, {"garbage"}), 0, "header frame is 7 bytes");
  ExpectErrorReply(RawRoundTrip(dealer, {""}), 0, "header frame is 0 bytes");

  Message valid(kSlow, {Array::FromVector<int32_t>({5, 6}), Array::FromString("xy")});
  valid.request_id = 77;
  std::vector<std::string> wire = WireOf(valid);
  wire[0][4] = 9;
  ExpectErrorReply(RawRoundTrip(dealer, wire), 77, "unsupported wire version 9");
  wire = WireOf(valid);
  wire[1][0] ^= 0x40;
  ExpectErrorReply(RawRoundTrip(dealer, wire), 77, "checksum mismatch");
  wire = WireOf(valid);
  wire.pop_back();
  ExpectErrorReply(RawRoundTrip(dealer, wire), 77, "header declares 2 arrays");
  wire = WireOf(valid);
  wire[0][kFixedHeaderBytes] = 0x7F;
  ExpectErrorReply(RawRoundTrip(dealer, wire), 77, "array 0: unknown dtype code 127");

  core::Result<Message> echo = RawRoundTrip(dealer, WireOf(valid));
  ASSERT_TRUE(echo.ok()) << echo.status().ToString();
  EXPECT_TRUE(echo->status.ok());
  EXPECT_EQ(echo->request_id, 77u);
  EXPECT_EQ(echo->arrays[0].ToVector<int32_t>(), (std::vector<int32_t>{5, 6}));

  auto client = Connect(server.endpoint());
  EXPECT_TRUE(client->Call(valid, milliseconds(5000)).ok());
}

// A hand-written ROUTER answers each request first with a reply for another request id (as a
// late reply to an abandoned call would be), then with the real one.
TEST(RpcFaultTest, RepliesToOtherRequestsAreSkipped) {
  zmq::context_t context(1);
  zmq::socket_t router(context, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.set(zmq::sockopt::rcvtimeo, 5000);  // a broken client fails the test, never hangs it
  router.bind(LoopbackEndpoint());
  const std::string endpoint = router.get(zmq::sockopt::last_endpoint);
  std::thread fake_server([&] {
    for (int call = 0; call < 2; ++call) {
      std::vector<zmq::message_t> parts;
      if (!zmq::recv_multipart(router, std::back_inserter(parts))) return;
      const uint64_t id =
          PeekHeader(static_cast<const uint8_t*>(parts[1].data()), parts[1].size()).request_id;
      Message stale(kSlow, {Array::FromString("stale")});
      stale.request_id = id + 1000;
      Message good(kSlow, {Array::FromString("good")});
      good.request_id = id;
      if (call == 1) {  // the second call is answered "cannot parse your request"
        good = Message(kSlow);
        good.status = core::Status::Corruption("malformed request: test");
      }
      for (const Message* m : {&stale, &good}) {
        std::vector<zmq::message_t> out;
        out.emplace_back(parts[0].data(), parts[0].size());
        for (const std::string& f : WireOf(*m)) out.emplace_back(f.data(), f.size());
        (void)zmq::send_multipart(router, out);
      }
    }
  });
  auto client = Connect(endpoint);
  core::Result<Message> reply = client->Call(Message(kSlow), milliseconds(5000));
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->arrays[0].bytes(), "good");
  // Request id 0 with an error status is the server saying it could not read the request.
  reply = client->Call(Message(kSlow), milliseconds(5000));
  EXPECT_EQ(reply.status().code(), core::StatusCode::kCorruption);
  EXPECT_THAT(reply.status().message(), HasSubstr("malformed request: test"));
  fake_server.join();
}

TEST(RpcFaultTest, StopIsPromptAndIdempotent) {
  RpcServer unstarted(EchoHandler());
  ASSERT_TRUE(unstarted.Bind("tcp://127.0.0.1:*").ok());
  unstarted.Stop();
  EXPECT_EQ(unstarted.Start().code(), core::StatusCode::kFailedPrecondition);

  RpcServer server(EchoHandler(), ServerOptions{/*num_workers=*/8});
  ASSERT_TRUE(server.Bind("tcp://127.0.0.1:*").ok());
  ASSERT_TRUE(server.Start().ok());
  auto client = Connect(server.endpoint());
  ASSERT_TRUE(client->Ping(milliseconds(5000)).ok());
  const Clock::time_point start = Clock::now();
  server.Stop();
  server.Stop();
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_FALSE(client->Ping(milliseconds(200)).ok());
}

}  // namespace
}  // namespace halo::net
