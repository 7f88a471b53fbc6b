#include "trainer/model.h"

#include "core/check.h"
#include "trainer/init.h"
#include "trainer/layers/gat.h"
#include "trainer/layers/gcn.h"
#include "trainer/layers/sage.h"

namespace halo::trainer {

using core::Result;
using core::Status;
using core::Tensor;

Result<std::unique_ptr<Model>> Model::Create(const ModelConfig& config, int64_t in_dim,
                                             int64_t num_classes, core::Device device,
                                             uint64_t seed) {
  std::unique_ptr<Model> model(new Model());
  model->dropout_ = config.dropout;
  HALO_ASSIGN_OR_RETURN(model->activation_, kernels::ParseActivation(config.activation));
  const int n = config.num_layers;
  int64_t dim = in_dim;
  for (int i = 0; i < n; ++i) {
    const bool last = i == n - 1;
    const std::string name = "layer" + std::to_string(i);
    const uint64_t layer_seed = MixSeed(seed, static_cast<uint64_t>(i));
    std::unique_ptr<Layer> layer;
    if (config.type == "gcn") {
      layer = std::make_unique<GcnConv>(dim, last ? num_classes : config.hidden, name, device,
                                        layer_seed);
    } else if (config.type == "sage") {
      HALO_ASSIGN_OR_RETURN(SageAggregator agg, ParseSageAggregator(config.aggregator));
      layer = std::make_unique<SageConv>(dim, last ? num_classes : config.hidden, agg,
                                         config.root_weight, config.normalize && !last, name,
                                         device, layer_seed);
    } else if (config.type == "gat") {
      layer = last ? std::make_unique<GatConv>(dim, num_classes, config.out_heads, false,
                                               config.negative_slope, config.attn_dropout, name,
                                               device, layer_seed)
                   : std::make_unique<GatConv>(dim, config.hidden, config.heads, true,
                                               config.negative_slope, config.attn_dropout, name,
                                               device, layer_seed);
    } else {
      return Status::InvalidArgument("unknown model type '" + config.type + "'");
    }
    dim = layer->out_dim();
    model->layers_.push_back(std::move(layer));
  }
  model->block_options_.add_self_loops = config.type == "gcn" || config.type == "gat" ||
                                         (config.type == "sage" && config.aggregator == "gcn");
  model->block_options_.gcn_norm = config.type == "gcn";
  return model;
}

std::vector<Parameter*> Model::parameters() {
  std::vector<Parameter*> params;
  for (auto& layer : layers_) {
    for (Parameter* p : layer->parameters()) params.push_back(p);
  }
  return params;
}

Tensor Model::Forward(const std::vector<const GraphBlock*>& blocks, const Tensor& x, bool training,
                      uint64_t step_seed) {
  const size_t n = layers_.size();
  HALO_CHECK(blocks.size() == n) << "model has " << n << " layers but got " << blocks.size()
                                 << " blocks";
  // Sized once: layers keep pointers to their inputs until Backward.
  for (auto* v : {&dropped_inputs_, &pre_act_, &hidden_}) {
    v->clear();
    v->resize(n);
  }
  masks_.resize(n);
  dropped_.assign(n, false);
  const Tensor* h = &x;  // the caller keeps x alive until Backward
  for (size_t i = 0; i < n; ++i) {
    const Tensor* layer_input = h;
    if (training && dropout_ > 0.0f) {
      dropped_inputs_[i] = Tensor(h->rows(), h->cols(), h->device());
      masks_[i] = core::Array<uint8_t>(h->numel(), h->device());
      kernels::DropoutForward(dropout_, MixSeed(step_seed, 2 * i), *h, &dropped_inputs_[i],
                              &masks_[i]);
      dropped_[i] = true;
      layer_input = &dropped_inputs_[i];
    }
    Tensor out =
        layers_[i]->Forward(*blocks[i], *layer_input, training, MixSeed(step_seed, 2 * i + 1));
    if (i + 1 == n) return out;
    pre_act_[i] = std::move(out);
    hidden_[i] = Tensor(pre_act_[i].rows(), pre_act_[i].cols(), pre_act_[i].device());
    kernels::ActivationForward(activation_, slope_, pre_act_[i], &hidden_[i]);
    h = &hidden_[i];
  }
  return Tensor();  // unreachable: a model has at least one layer
}

Tensor Model::InferLayer(int i, const GraphBlock& block, const Tensor& x) {
  HALO_CHECK(i >= 0 && i < num_layers());
  Tensor out = layers_[static_cast<size_t>(i)]->Forward(block, x, /*training=*/false, 0);
  if (i + 1 == num_layers()) return out;
  Tensor activated(out.rows(), out.cols(), out.device());
  kernels::ActivationForward(activation_, slope_, out, &activated);
  return activated;
}

Tensor Model::Backward(const Tensor& grad_logits, bool need_grad_input) {
  Tensor grad = grad_logits.Clone();
  for (size_t k = layers_.size(); k-- > 0;) {
    if (k + 1 < layers_.size()) {
      kernels::ActivationBackward(activation_, slope_, pre_act_[k], grad, &grad);
    }
    if (k == 0 && !need_grad_input) {
      layers_[k]->Backward(grad, /*need_grad_input=*/false);
      return Tensor();
    }
    grad = layers_[k]->Backward(grad);
    if (dropped_[k]) kernels::DropoutBackward(dropout_, masks_[k], grad, &grad);
  }
  return grad;
}

}  // namespace halo::trainer
