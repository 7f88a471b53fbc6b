// Layer-wise full-neighbor inference over a partitioned graph, the way DistDGL and PyG do
// inference at scale: instead of one L-hop neighborhood per node (exponential in L), every layer
// is computed for every node once, part by part: part p computes layer l for its inner nodes from
// the layer l-1 rows of its inner nodes and its 1-hop halo nodes, which their owner parts
// computed. All in-edges of inner nodes are in the part (partition/halo.h), so the result equals
// a single-process forward over the whole graph (GCN's normalization uses each source's degree
// in the whole graph). Parts with halo_hops 0 have dropped their cross-part edges: inference
// then follows that cut graph.
//
// The parts run one after another in this process and exchange their layer outputs through one
// [num_nodes x dim] array per layer (two alive at a time).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/partition_book.h"
#include "core/status.h"
#include "trainer/model.h"

namespace halo::serving {

struct InferenceResult {
  int64_t num_nodes = 0;
  int64_t dim = 0;                // embedding width
  std::vector<float> embeddings;  // [num_nodes x dim]: the last hidden layer's output
  int64_t num_classes = 0;
  std::vector<float> logits;  // [num_nodes x num_classes]: the output layer's
};

// Runs `model` over every node of the partition in `partition_dir`. Node features are
// row-normalized when `normalize_features` (as in training). The embeddings are the input of
// the output layer (for a 1-layer model, the logits themselves). `on_step` (optional) is called
// after each (layer, part) with the number done and the total.
//
// A model trained with learnable input embeddings takes them as `input_embedding`
// ([num_nodes x dim], the run's input_embedding.npy): appended to the features (`replace_features`
// false) or instead of them.
struct InputEmbedding {
  std::vector<float> rows;
  int64_t dim = 0;
  bool replace_features = false;
};
core::Result<InferenceResult> LayerwiseInference(
    trainer::Model* model, const std::string& partition_dir, bool normalize_features,
    core::Device device, const std::function<void(int64_t, int64_t)>& on_step = nullptr,
    const InputEmbedding* input_embedding = nullptr);

}  // namespace halo::serving
