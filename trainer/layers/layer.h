// A graph convolution layer with an explicit backward pass (no autograd).
//
// Forward maps the source rows x [block.num_src x in_dim] to destination rows
// [block.num_dst x out_dim], caching what Backward needs; the block and x must stay alive until
// Backward. Backward takes d(loss)/d(out), overwrites every parameter's grad, and returns
// d(loss)/d(x) (an empty tensor when `need_grad_input` is false: the first layer's input
// gradient is never used, and skipping it saves a GEMM and a transposed aggregation).
#pragma once

#include <vector>

#include "core/tensor.h"
#include "trainer/graph_block.h"
#include "trainer/parameter.h"

namespace halo::trainer {

class Layer {
 public:
  virtual ~Layer() = default;
  virtual core::Tensor Forward(const GraphBlock& block, const core::Tensor& x, bool training,
                               uint64_t seed) = 0;
  virtual core::Tensor Backward(const core::Tensor& grad_out, bool need_grad_input = true) = 0;
  virtual std::vector<Parameter*> parameters() = 0;
  virtual int64_t in_dim() const = 0;
  virtual int64_t out_dim() const = 0;
};

}  // namespace halo::trainer
