#include "serving/layerwise_inference.h"

#include <algorithm>

#include "partition/part_files.h"
#include "sampler/block.h"
#include "trainer/graph_block.h"

namespace halo::serving {

using core::NodeId;
using core::Result;
using core::Status;

namespace {

// Part p's inner rows as a block: destinations = inner nodes, sources = all local nodes.
sampler::Block InnerRowsBlock(const partition::LocalPart& part) {
  sampler::Block b;
  b.num_dst = part.num_inner;
  b.num_src = part.num_local();
  const auto rows = static_cast<size_t>(part.num_inner);
  b.csr.indptr.assign(part.in_csr.indptr.begin(), part.in_csr.indptr.begin() + rows + 1);
  b.csr.indices.assign(part.in_csr.indices.begin(),
                       part.in_csr.indices.begin() + part.in_csr.indptr[rows]);
  return b;
}

}  // namespace

Result<InferenceResult> LayerwiseInference(trainer::Model* model, const std::string& partition_dir,
                                           bool normalize_features, core::Device device,
                                           const std::function<void(int64_t, int64_t)>& on_step,
                                           const InputEmbedding* input_embedding) {
  HALO_ASSIGN_OR_RETURN(core::PartitionMeta meta, core::ReadPartitionMeta(partition_dir));
  const int64_t n = meta.num_nodes;
  int64_t dim = meta.feature_dim;
  if (dim <= 0) return Status::InvalidArgument(partition_dir + ": the graph has no node features");
  std::vector<partition::LocalPart> parts;
  std::vector<float> h(static_cast<size_t>(n * dim));
  for (const core::PartInfo& info : meta.parts) {
    HALO_ASSIGN_OR_RETURN(partition::LocalPart part, partition::ReadPartFiles(partition_dir, info));
    std::copy(part.features.begin(), part.features.end(),
              h.begin() + static_cast<int64_t>(info.node_begin) * dim);
    part.features = {};  // the inner rows now live in h
    parts.push_back(std::move(part));
  }
  if (normalize_features) {
    for (int64_t r = 0; r < n; ++r) {
      float* row = h.data() + r * dim;
      double sum = 0.0;
      for (int64_t c = 0; c < dim; ++c) sum += row[c];
      if (sum == 0.0) continue;
      for (int64_t c = 0; c < dim; ++c) row[c] = static_cast<float>(row[c] / sum);
    }
  }
  if (input_embedding != nullptr && input_embedding->dim > 0) {
    const int64_t e = input_embedding->dim;
    if (static_cast<int64_t>(input_embedding->rows.size()) != n * e) {
      return Status::InvalidArgument(
          "input embeddings hold " + std::to_string(input_embedding->rows.size()) +
          " floats, expected " + std::to_string(n) + " x " + std::to_string(e));
    }
    const int64_t width = input_embedding->replace_features ? e : dim + e;
    std::vector<float> x(static_cast<size_t>(n * width));
    for (int64_t r = 0; r < n; ++r) {
      float* row = x.data() + r * width;
      if (!input_embedding->replace_features) std::copy_n(h.data() + r * dim, dim, row);
      std::copy_n(input_embedding->rows.data() + r * e, e, row + (width - e));
    }
    h.swap(x);
    dim = width;
  }
  // Out-degree of every node in the whole graph (each edge is an inner-row edge of one part),
  // with the self-loops the model adds: GCN normalizes by it.
  const trainer::BlockOptions& options = model->block_options();
  std::vector<int64_t> out_degree;
  if (options.gcn_norm) {
    out_degree.assign(static_cast<size_t>(n), options.add_self_loops ? 1 : 0);
    for (const auto& part : parts) {
      for (int64_t v = 0; v < part.num_inner; ++v) {
        for (core::EdgeId e = part.in_csr.indptr[v]; e < part.in_csr.indptr[v + 1]; ++e) {
          const NodeId u = part.in_csr.indices[e];
          if (options.add_self_loops && u == v) continue;  // the added loop stands for it
          ++out_degree[static_cast<size_t>(part.local_to_global[static_cast<size_t>(u)])];
        }
      }
    }
  }
  const int num_layers = model->num_layers();
  const int64_t total_steps = static_cast<int64_t>(num_layers) * meta.num_parts;
  int64_t steps = 0;
  InferenceResult result;
  result.num_nodes = n;
  for (int layer = 0; layer < num_layers; ++layer) {
    std::vector<float> next;
    int64_t out_dim = 0;
    for (size_t p = 0; p < parts.size(); ++p) {
      const partition::LocalPart& part = parts[p];
      // Inputs of every local node, read from the rows their owners computed.
      std::vector<float> x(static_cast<size_t>(part.num_local() * dim));
      for (int64_t l = 0; l < part.num_local(); ++l) {
        const NodeId g = part.local_to_global[static_cast<size_t>(l)];
        std::copy_n(h.begin() + g * dim, dim, x.begin() + l * dim);
      }
      std::vector<int64_t> src_degree;
      if (options.gcn_norm) {
        src_degree.resize(static_cast<size_t>(part.num_local()));
        for (int64_t l = 0; l < part.num_local(); ++l) {
          src_degree[static_cast<size_t>(l)] =
              out_degree[static_cast<size_t>(part.local_to_global[static_cast<size_t>(l)])];
        }
      }
      const trainer::GraphBlock block = trainer::MakeGraphBlock(
          InnerRowsBlock(part), options, device, options.gcn_norm ? &src_degree : nullptr);
      const core::Tensor input = core::Tensor::FromVector(x, part.num_local(), dim, device);
      const core::Tensor out = model->InferLayer(layer, block, input);
      if (next.empty()) {
        out_dim = out.cols();
        next.assign(static_cast<size_t>(n * out_dim), 0.0f);
      }
      const std::vector<float> rows = out.ToVector();
      std::copy(rows.begin(), rows.end(), next.begin() + meta.parts[p].node_begin * out_dim);
      if (on_step) on_step(++steps, total_steps);
    }
    h.swap(next);
    dim = out_dim;
    if (layer + 2 == num_layers) {  // the last hidden layer: the embeddings
      result.embeddings = h;
      result.dim = dim;
    }
  }
  result.logits = std::move(h);
  result.num_classes = dim;
  if (num_layers == 1) {
    result.embeddings = result.logits;
    result.dim = dim;
  }
  return result;
}

}  // namespace halo::serving
