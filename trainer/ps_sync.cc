#include "trainer/ps_sync.h"

#include <nlohmann/json.hpp>

#include "core/random.h"

namespace halo::trainer {

using core::Result;
using core::Status;

namespace {

constexpr char kEmbeddingTable[] = "input_embedding";

int64_t StalenessBound(const TrainConfig& c) {
  return c.sync.staleness < 0 ? ps::kAsync : c.sync.staleness;
}

}  // namespace

Result<std::unique_ptr<PsSync>> PsSync::Connect(const std::vector<std::string>& endpoints, int rank,
                                                const TrainConfig& config,
                                                const core::PartitionBook& book,
                                                std::vector<Parameter*> dense) {
  std::unique_ptr<PsSync> s(new PsSync());
  ps::ClientOptions options;
  options.worker = rank;
  options.rpc_deadline = std::chrono::milliseconds(int64_t{config.comm.timeout_s} * 1000);
  HALO_ASSIGN_OR_RETURN(s->client_, ps::Client::Connect(endpoints, options));
  const int num_workers = s->client_->num_workers();
  const auto& e = config.input_embedding;
  if (e.dim > 0) {
    ps::TableSpec spec;
    spec.name = kEmbeddingTable;
    spec.num_rows = book.num_nodes();
    spec.dim = e.dim;
    spec.init = {ps::InitKind::kUniform, -e.init_scale, e.init_scale,
                 core::DeriveSeed(config.train.seed, 0xE3B)};
    HALO_ASSIGN_OR_RETURN(spec.optimizer.kind, ps::ParseOptimizerKind(e.optimizer));
    spec.optimizer.lr = e.lr;
    spec.staleness = StalenessBound(config);
    spec.routing = ps::Routing::ByPartition(book);
    HALO_RETURN_IF_ERROR(s->client_->CreateTable(spec));
    s->embedding_dim_ = e.dim;
  }
  s->dense_ = std::move(dense);
  for (Parameter* p : s->dense_) {
    ps::TableSpec spec;
    spec.name = "dense/" + p->name;
    spec.num_rows = p->value.rows();
    spec.dim = p->value.cols();
    spec.init = {ps::InitKind::kZeros, 0, 0, 0};  // a delta from the initial values
    const std::string& name = config.train.optimizer;
    HALO_ASSIGN_OR_RETURN(spec.optimizer.kind,
                          ps::ParseOptimizerKind(name == "adamw" ? "adam" : name));
    // Under BSP a clock's pushes are summed and applied once; otherwise each worker's push is its
    // own update, and Adam/Adagrad steps do not shrink with the gradient's share: divide the rate
    // by the workers so that one clock moves the parameters about as far as one BSP update.
    spec.optimizer.lr = !config.sync.scale_lr || config.sync.staleness == 0 ||
                                spec.optimizer.kind == ps::OptimizerKind::kSgd
                            ? config.train.lr
                            : config.train.lr / static_cast<float>(num_workers);
    spec.optimizer.weight_decay = config.train.weight_decay;
    spec.staleness = StalenessBound(config);
    spec.routing = ps::Routing::Modulo();
    HALO_RETURN_IF_ERROR(s->client_->CreateTable(spec));
    s->initial_.push_back(p->value.ToVector());
    std::vector<int64_t> rows(static_cast<size_t>(p->value.rows()));
    for (size_t r = 0; r < rows.size(); ++r) rows[r] = static_cast<int64_t>(r);
    s->all_rows_.push_back(std::move(rows));
  }
  return s;
}

Status PsSync::PullEmbeddings(const std::vector<core::NodeId>& ids, std::vector<float>* rows) {
  return client_->Wait(client_->Pull(kEmbeddingTable, ids, rows));
}

void PsSync::PushEmbeddings(const std::vector<core::NodeId>& ids, const std::vector<float>& grads) {
  client_->Push(kEmbeddingTable, ids, grads);
}

Status PsSync::PullDense() {
  std::vector<std::vector<float>> deltas(dense_.size());
  std::vector<ps::Client::Handle> handles;
  for (size_t i = 0; i < dense_.size(); ++i) {
    handles.push_back(client_->Pull("dense/" + dense_[i]->name, all_rows_[i], &deltas[i]));
  }
  Status first;
  for (ps::Client::Handle h : handles) {
    Status s = client_->Wait(h);
    if (first.ok() && !s.ok()) first = s;
  }
  HALO_RETURN_IF_ERROR(first);
  for (size_t i = 0; i < dense_.size(); ++i) {
    std::vector<float>& v = deltas[i];
    for (size_t j = 0; j < v.size(); ++j) v[j] += initial_[i][j];
    core::DeviceCopy(dense_[i]->value.data(), dense_[i]->value.device(), v.data(),
                     core::Device::kCpu, v.size() * sizeof(float));
  }
  return Status::OK();
}

void PsSync::PushDense() {
  for (size_t i = 0; i < dense_.size(); ++i) {
    client_->Push("dense/" + dense_[i]->name, all_rows_[i], dense_[i]->grad.ToVector());
  }
}

Status PsSync::Clock() { return client_->Clock(); }

Result<std::vector<float>> PsSync::AllEmbeddings(int64_t num_nodes) {
  std::vector<int64_t> ids(static_cast<size_t>(num_nodes));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
  std::vector<float> rows;
  HALO_RETURN_IF_ERROR(client_->Wait(client_->Pull(kEmbeddingTable, ids, &rows)));
  return rows;
}

std::string PsSync::StalenessJson() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [table, s] : client_->AllStaleness()) {
    j[table] = {{"staleness_bound", s.bound},
                {"max_observed_staleness", s.max_observed},
                {"mean_observed_staleness", s.mean_observed},
                {"pulls", s.pulls},
                {"waited_pulls", s.waited_pulls},
                {"rows_read", s.rows_read},
                {"cache_hits", s.cache_hits}};
  }
  return j.dump();
}

}  // namespace halo::trainer
