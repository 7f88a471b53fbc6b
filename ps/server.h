// ShardServer: one parameter-server shard (ps::Shard) served over net/ (the engine of `halo-ps`).
//
//   ShardServerOptions opt;
//   opt.shard.shard = 0;  opt.shard.num_shards = 2;  opt.shard.num_workers = 4;
//   opt.shard.snapshot_dir = "out/run/ps";
//   HALO_ASSIGN_OR_RETURN(auto server, ShardServer::Create(opt, /*restore=*/false));
//   HALO_RETURN_IF_ERROR(server->Start("tcp://127.0.0.1:0"));   // server->endpoint(): the port
//   ...
//   server->Stop();
//
// Threads: `num_threads` RPC workers (at least 3). At most num_threads - 2 requests are parked at
// once (ShardOptions::max_parked is set so), leaving threads for the Clock and Push requests that
// release them; see ps/shard.h.
//
// Thread-safety: Start and Stop from one controlling thread; shard() may be used from any thread.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "net/server.h"
#include "ps/shard.h"

namespace halo::ps {

struct ShardServerOptions {
  ShardOptions shard;   // its max_parked is replaced by num_threads - 2
  int num_threads = 8;  // RPC worker threads, >= 3
};

class ShardServer {
 public:
  // A fresh shard, or with `restore` the one in the latest snapshot under shard.snapshot_dir.
  static core::Result<std::unique_ptr<ShardServer>> Create(ShardServerOptions options,
                                                           bool restore);
  ~ShardServer();  // Stop()s
  ShardServer(const ShardServer&) = delete;
  ShardServer& operator=(const ShardServer&) = delete;

  // Binds `endpoint` ("tcp://127.0.0.1:0" picks a free port) and starts serving; once.
  core::Status Start(const std::string& endpoint);
  const std::string& endpoint() const { return endpoint_; }
  // Releases parked requests, then stops the RPC server (the port is free when it returns).
  // Idempotent.
  void Stop();

  Shard& shard() { return *shard_; }

 private:
  ShardServer(ShardServerOptions options, std::unique_ptr<Shard> shard);

  const ShardServerOptions options_;
  std::unique_ptr<Shard> shard_;
  std::unique_ptr<net::RpcServer> rpc_;
  std::string endpoint_;
};

}  // namespace halo::ps
