#include "trainer/grad_sync.h"

#include <algorithm>

namespace halo::trainer {

using core::Status;

GradientSync::GradientSync(Communicator* comm, std::vector<Parameter*> params, size_t bucket_bytes)
    : comm_(comm), params_(std::move(params)) {
  const size_t bucket_floats = std::max<size_t>(1, bucket_bytes / sizeof(float));
  size_t begin = 0, size = 0, largest = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    const size_t n = static_cast<size_t>(params_[i]->grad.numel());
    if (i > begin && size + n > bucket_floats) {
      buckets_.emplace_back(begin, i);
      largest = std::max(largest, size);
      begin = i;
      size = 0;
    }
    size += n;
  }
  if (begin < params_.size()) {
    buckets_.emplace_back(begin, params_.size());
    largest = std::max(largest, size);
  }
  if (comm_->world_size() > 1 && largest > 0) {
    flat_ = core::Tensor(static_cast<int64_t>(largest), 1, comm_->device());
  }
}

Status GradientSync::BroadcastValues(int root) {
  std::vector<core::Tensor*> values;
  for (Parameter* p : params_) values.push_back(&p->value);
  return BroadcastTensors(values, root);
}

Status GradientSync::BroadcastTensors(const std::vector<core::Tensor*>& tensors, int root) {
  if (comm_->world_size() == 1) return Status::OK();
  for (core::Tensor* t : tensors) {
    if (t->numel() == 0) continue;
    HALO_RETURN_IF_ERROR(comm_->Broadcast(t->data(), static_cast<size_t>(t->numel()), root));
  }
  return Status::OK();
}

Status GradientSync::AllReduceGradients() {
  if (comm_->world_size() == 1) return Status::OK();
  const core::Device dev = comm_->device();
  for (const auto& [begin, end] : buckets_) {
    if (end - begin == 1) {  // a lone tensor needs no packing
      core::Tensor& g = params_[begin]->grad;
      HALO_RETURN_IF_ERROR(comm_->AllReduceSum(g.data(), static_cast<size_t>(g.numel())));
      continue;
    }
    size_t offset = 0;
    for (size_t i = begin; i < end; ++i) {
      const core::Tensor& g = params_[i]->grad;
      core::DeviceCopy(flat_.data() + offset, dev, g.data(), g.device(),
                       static_cast<size_t>(g.numel()) * sizeof(float));
      offset += static_cast<size_t>(g.numel());
    }
    HALO_RETURN_IF_ERROR(comm_->AllReduceSum(flat_.data(), offset));
    offset = 0;
    for (size_t i = begin; i < end; ++i) {
      core::Tensor& g = params_[i]->grad;
      core::DeviceCopy(g.data(), g.device(), flat_.data() + offset, dev,
                       static_cast<size_t>(g.numel()) * sizeof(float));
      offset += static_cast<size_t>(g.numel());
    }
  }
  return Status::OK();
}

}  // namespace halo::trainer
