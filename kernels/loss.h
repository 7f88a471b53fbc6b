// Classification loss and accuracy over rows of logits.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace halo::kernels {

// Mean over rows r with labels[r] >= 0 of -log_softmax(logits[r])[labels[r]] (stable).
// grad_logits (same shape) = (softmax(logits[r]) - onehot(labels[r])) / count for those rows,
// 0 for rows with label -1. Returns 0 with a zero gradient when no row is labeled.
// labels has one entry per row and lives on the logits' device.
float SoftmaxCrossEntropy(const core::Tensor& logits, const core::Array<int64_t>& labels,
                          core::Tensor* grad_logits);

// Rows r with labels[r] >= 0 whose argmax (first maximum) equals labels[r].
int64_t CountCorrect(const core::Tensor& logits, const core::Array<int64_t>& labels);

}  // namespace halo::kernels
