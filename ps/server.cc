#include "ps/server.h"

namespace halo::ps {

core::Result<std::unique_ptr<ShardServer>> ShardServer::Create(ShardServerOptions options,
                                                               bool restore) {
  if (options.num_threads < 3) {
    return core::Status::InvalidArgument("halo-ps needs at least 3 threads, got " +
                                         std::to_string(options.num_threads));
  }
  options.shard.max_parked = options.num_threads - 2;
  core::Result<std::unique_ptr<Shard>> shard =
      restore ? Shard::Restore(options.shard) : Shard::Create(options.shard);
  if (!shard.ok()) return shard.status();
  return std::unique_ptr<ShardServer>(new ShardServer(options, std::move(shard).value()));
}

ShardServer::ShardServer(ShardServerOptions options, std::unique_ptr<Shard> shard)
    : options_(std::move(options)), shard_(std::move(shard)) {}

ShardServer::~ShardServer() { Stop(); }

core::Status ShardServer::Start(const std::string& endpoint) {
  if (rpc_ != nullptr) return core::Status::FailedPrecondition("ShardServer already started");
  net::ServerOptions net_options;
  net_options.num_workers = options_.num_threads;
  auto rpc = std::make_unique<net::RpcServer>(
      [this](const net::Message& request) { return shard_->Handle(request); }, net_options);
  HALO_RETURN_IF_ERROR(rpc->Bind(endpoint));
  HALO_RETURN_IF_ERROR(rpc->Start());
  endpoint_ = rpc->endpoint();
  rpc_ = std::move(rpc);
  return core::Status::OK();
}

void ShardServer::Stop() {
  shard_->Stop();
  if (rpc_ != nullptr) rpc_->Stop();
}

}  // namespace halo::ps
