#include "net/transport.h"

#include <memory>
#include <utility>

namespace halo::net::internal {

zmq::context_t& ClientContext() {
  static zmq::context_t* context = new zmq::context_t(1);  // intentionally never destroyed
  return *context;
}

void SetCommonOptions(zmq::socket_t& socket, int hwm) {
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::sndhwm, hwm);
  socket.set(zmq::sockopt::rcvhwm, hwm);
  socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(-1));
}

namespace {
void ReleaseOwner(void* /*data*/, void* hint) {
  delete static_cast<std::shared_ptr<const void>*>(hint);
}
}  // namespace

zmq::message_t ToZmq(const Frame& frame) {
  if (frame.size < kZeroCopyMinBytes || frame.owner == nullptr) {
    return zmq::message_t(frame.data, frame.size);
  }
  auto* hint = new std::shared_ptr<const void>(frame.owner);
  // ZeroMQ never writes through this pointer; the API just is not const-correct.
  return zmq::message_t(const_cast<uint8_t*>(frame.data), frame.size, &ReleaseOwner, hint);
}

Frame FromZmq(zmq::message_t message) {
  auto holder = std::make_shared<zmq::message_t>(std::move(message));
  Frame frame;
  frame.data = static_cast<const uint8_t*>(holder->data());
  frame.size = holder->size();
  frame.owner = std::move(holder);
  return frame;
}

bool SendParts(zmq::socket_t& socket, std::vector<zmq::message_t>& parts, bool dontwait) {
  for (size_t i = 0; i < parts.size(); ++i) {
    zmq::send_flags flags = i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
    // Only the first part can hit the high-water mark: later parts of a multipart message are
    // always accepted once the first one was.
    if (dontwait && i == 0) flags = flags | zmq::send_flags::dontwait;
    if (!socket.send(parts[i], flags)) return false;
  }
  return true;
}

bool RecvParts(zmq::socket_t& socket, std::vector<zmq::message_t>* parts, bool dontwait) {
  parts->clear();
  zmq::message_t part;
  if (!socket.recv(part, dontwait ? zmq::recv_flags::dontwait : zmq::recv_flags::none)) {
    return false;
  }
  bool more = part.more();
  parts->push_back(std::move(part));
  while (more) {
    zmq::message_t next;
    (void)socket.recv(next, zmq::recv_flags::none);  // the rest of a message is already here
    more = next.more();
    parts->push_back(std::move(next));
  }
  return true;
}

core::Status ZmqError(const std::string& what, const std::string& endpoint,
                      const zmq::error_t& error) {
  return core::Status::Unavailable("cannot " + what + " " + endpoint + ": " + error.what());
}

}  // namespace halo::net::internal
