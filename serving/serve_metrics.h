// ServeMetrics: halo-serve's request counters and latency histograms, rendered in the Prometheus
// text exposition format (version 0.0.4) for GET /metrics.
//
// Series (docs/halo-serve.md):
//   halo_serve_requests_total{endpoint, code}                 counter
//   halo_serve_errors_total{endpoint, kind="client"|"server"} counter (4xx | 5xx answers)
//   halo_serve_request_duration_seconds{endpoint}             histogram (handler time)
//   halo_serve_reloads_total{result="ok"|"error"}             counter
//   halo_serve_embeddings, halo_serve_embedding_dim           gauges of the served version
//   halo_serve_version_info{version}                          always 1
//
// Usage:
//   metrics.Record(Endpoint::kSimilar, 200, 0.0012);
//   std::string text = metrics.Render(version, num_nodes, dim);
// Thread-safety: every method may be called from many threads at once (relaxed atomics; a
// render may see a request counted but not yet its latency).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace halo::serving {

enum class Endpoint { kEmbedding, kBatchGet, kSimilar, kHealthz, kMetrics, kReload, kOther };
constexpr int kNumEndpoints = 7;
const char* EndpointName(Endpoint endpoint);  // "embedding", "batch_get", ...

class ServeMetrics {
 public:
  // Upper bounds (seconds) of the latency buckets; +Inf is implied.
  static constexpr std::array<double, 14> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};

  ServeMetrics();
  // One answered request with HTTP `code` (100..599); `seconds` < 0 records no latency.
  void Record(Endpoint endpoint, int code, double seconds);
  void RecordReload(bool ok);
  // Requests answered so far at `endpoint` with `code`.
  int64_t Requests(Endpoint endpoint, int code) const;
  std::string Render(const std::string& version, int64_t num_nodes, int64_t dim) const;

 private:
  static constexpr int kMinCode = 100, kNumCodes = 500;
  static constexpr size_t kNumBuckets = kBuckets.size() + 1;
  struct PerEndpoint {
    std::array<std::atomic<int64_t>, kNumCodes> codes;
    std::array<std::atomic<int64_t>, kNumBuckets> buckets;  // not cumulative
    std::atomic<int64_t> latency_count{0};
    std::atomic<int64_t> latency_sum_ns{0};
  };
  std::array<PerEndpoint, kNumEndpoints> endpoints_;
  std::atomic<int64_t> reloads_ok_{0}, reloads_failed_{0};
};

}  // namespace halo::serving
