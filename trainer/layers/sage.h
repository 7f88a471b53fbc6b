// SAGEConv (Hamilton et al.) with three aggregators:
//   mean: out = W_n mean_{u in N(v)} x_u [+ W_r x_v] + b
//   gcn:  out = W_n mean_{u in N(v) + v} x_u + b        (block with self-loops, no root weight)
//   pool: out = W_n max_{u in N(v)} relu(W_p x_u + b_p) [+ W_r x_v] + b
// [+ W_r x_v] is the root weight (root_weight); `normalize` L2-normalizes each output row.
#pragma once

#include <string>

#include "core/status.h"
#include "kernels/spmm.h"
#include "trainer/layers/layer.h"

namespace halo::trainer {

enum class SageAggregator { kMean, kGcn, kPool };
core::Result<SageAggregator> ParseSageAggregator(const std::string& name);

class SageConv : public Layer {
 public:
  SageConv(int64_t in_dim, int64_t out_dim, SageAggregator aggregator, bool root_weight,
           bool normalize, const std::string& name, core::Device device, uint64_t seed);
  core::Tensor Forward(const GraphBlock& block, const core::Tensor& x, bool training,
                       uint64_t seed) override;
  core::Tensor Backward(const core::Tensor& grad_out, bool need_grad_input = true) override;
  std::vector<Parameter*> parameters() override;
  int64_t in_dim() const override { return in_dim_; }
  int64_t out_dim() const override { return out_dim_; }

 private:
  int64_t in_dim_, out_dim_;
  SageAggregator aggregator_;
  bool root_weight_;
  bool normalize_;
  Parameter w_neigh_, w_root_, bias_, w_pool_, b_pool_;
  // Forward state.
  const GraphBlock* block_ = nullptr;
  const core::Tensor* x_ = nullptr;
  core::Tensor pooled_pre_;  // pool: x W_p + b_p
  core::Tensor pooled_;      // pool: relu(pooled_pre_)
  core::Tensor agg_;         // aggregated neighbor rows [num_dst x agg_dim]
  core::Array<int64_t> argmax_;
  core::Tensor out_;  // normalized output (normalize only)
  core::Tensor norms_;
};

}  // namespace halo::trainer
