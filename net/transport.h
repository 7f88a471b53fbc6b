// ZeroMQ plumbing shared by RpcClient and RpcServer; internal to net/ (other modules use client.h
// and server.h). Converts between codec Frames and zmq messages without copying large buffers,
// and sets the socket options every net socket gets.
#pragma once

#include <string>
#include <vector>
#include <zmq.hpp>

#include "core/status.h"
#include "net/codec.h"

namespace halo::net::internal {

// Frames below this size are copied into the zmq message (cheaper than a free callback).
constexpr size_t kZeroCopyMinBytes = 16 * 1024;

// The process-wide context of all RpcClients: one I/O thread, never terminated (a context
// terminated at exit would wait for sockets that static objects still hold).
zmq::context_t& ClientContext();

// LINGER 0 (closing never waits for unsent data), send/receive high-water marks of `hwm`
// messages, and unlimited message size.
void SetCommonOptions(zmq::socket_t& socket, int hwm);

// A zmq message carrying `frame`: a copy when small, else a zero-copy reference that keeps the
// frame's owner alive until ZeroMQ has sent it.
zmq::message_t ToZmq(const Frame& frame);
// A Frame that shares the received message's buffer.
Frame FromZmq(zmq::message_t message);

// Sends `parts` as one multipart message. With `dontwait`, returns false (sending nothing) when
// the socket cannot take the message now; throws zmq::error_t on other errors.
bool SendParts(zmq::socket_t& socket, std::vector<zmq::message_t>& parts, bool dontwait);
// Receives every part of the next multipart message. With `dontwait`, returns false when none is
// waiting. Throws zmq::error_t on errors (ETERM when the context shuts down).
bool RecvParts(zmq::socket_t& socket, std::vector<zmq::message_t>* parts, bool dontwait);

// "Unavailable: cannot <what> <endpoint>: <zmq error text>".
core::Status ZmqError(const std::string& what, const std::string& endpoint,
                      const zmq::error_t& error);

}  // namespace halo::net::internal
