#include "sampler/block.h"

#include <string>

namespace halo::sampler {

core::Status Block::Validate(const char* what) const {
  const std::string name(what);
  if (num_dst < 0 || num_dst > num_src) {
    return core::Status::Internal(name + ": num_dst " + std::to_string(num_dst) +
                                  " is not in [0, num_src " + std::to_string(num_src) + "]");
  }
  if (csr.num_rows() != num_dst) {
    return core::Status::Internal(name + ": csr has " + std::to_string(csr.num_rows()) +
                                  " rows for " + std::to_string(num_dst) + " dst nodes");
  }
  core::Status st = csr.Validate(num_src, name);
  if (!st.ok()) return core::Status::Internal(st.message());
  if (!edge_ids.empty() && static_cast<int64_t>(edge_ids.size()) != num_edges()) {
    return core::Status::Internal(name + ": " + std::to_string(edge_ids.size()) + " edge ids for " +
                                  std::to_string(num_edges()) + " edges");
  }
  return core::Status::OK();
}

core::Status MiniBatch::Validate() const {
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::string name = "block " + std::to_string(i);
    HALO_RETURN_IF_ERROR(blocks[i].Validate(name.c_str()));
    if (i + 1 < blocks.size() && blocks[i].num_dst != blocks[i + 1].num_src) {
      return core::Status::Internal(name + " has " + std::to_string(blocks[i].num_dst) +
                                    " dst nodes but block " + std::to_string(i + 1) + " has " +
                                    std::to_string(blocks[i + 1].num_src) + " src nodes");
    }
  }
  const int64_t num_inputs =
      blocks.empty() ? static_cast<int64_t>(seeds.size()) : blocks.front().num_src;
  const int64_t num_outputs =
      blocks.empty() ? static_cast<int64_t>(seeds.size()) : blocks.back().num_dst;
  if (static_cast<int64_t>(input_nodes.size()) != num_inputs) {
    return core::Status::Internal(std::to_string(input_nodes.size()) + " input nodes for " +
                                  std::to_string(num_inputs) + " src nodes of block 0");
  }
  if (static_cast<int64_t>(seeds.size()) != num_outputs) {
    return core::Status::Internal(std::to_string(seeds.size()) + " seeds for " +
                                  std::to_string(num_outputs) + " dst nodes of the last block");
  }
  for (size_t i = 0; i < seeds.size(); ++i) {
    if (input_nodes[i] != seeds[i]) {
      return core::Status::Internal("seed " + std::to_string(i) + " (" + std::to_string(seeds[i]) +
                                    ") is not input node " + std::to_string(i));
    }
  }
  return core::Status::OK();
}

}  // namespace halo::sampler
