#include "serving/serve_metrics.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace halo::serving {

const char* EndpointName(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kEmbedding:
      return "embedding";
    case Endpoint::kBatchGet:
      return "batch_get";
    case Endpoint::kSimilar:
      return "similar";
    case Endpoint::kHealthz:
      return "healthz";
    case Endpoint::kMetrics:
      return "metrics";
    case Endpoint::kReload:
      return "reload";
    case Endpoint::kOther:
      return "other";
  }
  return "?";
}

ServeMetrics::ServeMetrics() {
  for (PerEndpoint& e : endpoints_) {
    for (auto& c : e.codes) c.store(0, std::memory_order_relaxed);
    for (auto& b : e.buckets) b.store(0, std::memory_order_relaxed);
  }
}

void ServeMetrics::Record(Endpoint endpoint, int code, double seconds) {
  PerEndpoint& e = endpoints_[static_cast<size_t>(endpoint)];
  const int slot = std::clamp(code, kMinCode, kMinCode + kNumCodes - 1) - kMinCode;
  e.codes[static_cast<size_t>(slot)].fetch_add(1, std::memory_order_relaxed);
  if (seconds < 0) return;
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin());
  e.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  e.latency_count.fetch_add(1, std::memory_order_relaxed);
  e.latency_sum_ns.fetch_add(static_cast<int64_t>(std::llround(seconds * 1e9)),
                             std::memory_order_relaxed);
}

void ServeMetrics::RecordReload(bool ok) {
  (ok ? reloads_ok_ : reloads_failed_).fetch_add(1, std::memory_order_relaxed);
}

int64_t ServeMetrics::Requests(Endpoint endpoint, int code) const {
  if (code < kMinCode || code >= kMinCode + kNumCodes) return 0;
  return endpoints_[static_cast<size_t>(endpoint)].codes[static_cast<size_t>(code - kMinCode)].load(
      std::memory_order_relaxed);
}

namespace {

// A label value with \, " and newline escaped as the exposition format asks.
std::string LabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string ServeMetrics::Render(const std::string& version, int64_t num_nodes, int64_t dim) const {
  std::ostringstream o;
  o << "# HELP halo_serve_requests_total Requests answered, by endpoint and HTTP status code.\n"
    << "# TYPE halo_serve_requests_total counter\n";
  for (int e = 0; e < kNumEndpoints; ++e) {
    for (int c = 0; c < kNumCodes; ++c) {
      const int64_t n = endpoints_[static_cast<size_t>(e)].codes[static_cast<size_t>(c)].load(
          std::memory_order_relaxed);
      if (n == 0) continue;
      o << "halo_serve_requests_total{endpoint=\"" << EndpointName(static_cast<Endpoint>(e))
        << "\",code=\"" << (c + kMinCode) << "\"} " << n << "\n";
    }
  }
  o << "# HELP halo_serve_errors_total Requests answered with a 4xx (client) or 5xx (server) "
       "status.\n"
    << "# TYPE halo_serve_errors_total counter\n";
  for (int e = 0; e < kNumEndpoints; ++e) {
    int64_t client = 0, server = 0;
    for (int c = 0; c < kNumCodes; ++c) {
      const int64_t n = endpoints_[static_cast<size_t>(e)].codes[static_cast<size_t>(c)].load(
          std::memory_order_relaxed);
      const int code = c + kMinCode;
      if (code >= 400 && code < 500) client += n;
      if (code >= 500) server += n;
    }
    const char* name = EndpointName(static_cast<Endpoint>(e));
    o << "halo_serve_errors_total{endpoint=\"" << name << "\",kind=\"client\"} " << client << "\n"
      << "halo_serve_errors_total{endpoint=\"" << name << "\",kind=\"server\"} " << server << "\n";
  }
  o << "# HELP halo_serve_request_duration_seconds Time spent answering a request (after the "
       "body was read).\n"
    << "# TYPE halo_serve_request_duration_seconds histogram\n";
  for (int e = 0; e < kNumEndpoints; ++e) {
    const PerEndpoint& pe = endpoints_[static_cast<size_t>(e)];
    const char* name = EndpointName(static_cast<Endpoint>(e));
    int64_t cumulative = 0;
    for (size_t b = 0; b < kNumBuckets; ++b) {
      cumulative += pe.buckets[b].load(std::memory_order_relaxed);
      o << "halo_serve_request_duration_seconds_bucket{endpoint=\"" << name << "\",le=\"";
      if (b < kBuckets.size()) {
        o << kBuckets[b];
      } else {
        o << "+Inf";
      }
      o << "\"} " << cumulative << "\n";
    }
    o << "halo_serve_request_duration_seconds_sum{endpoint=\"" << name << "\"} "
      << static_cast<double>(pe.latency_sum_ns.load(std::memory_order_relaxed)) * 1e-9 << "\n"
      << "halo_serve_request_duration_seconds_count{endpoint=\"" << name << "\"} " << cumulative
      << "\n";
  }
  o << "# HELP halo_serve_reloads_total Embedding version reloads.\n"
    << "# TYPE halo_serve_reloads_total counter\n"
    << "halo_serve_reloads_total{result=\"ok\"} " << reloads_ok_.load(std::memory_order_relaxed)
    << "\n"
    << "halo_serve_reloads_total{result=\"error\"} "
    << reloads_failed_.load(std::memory_order_relaxed) << "\n"
    << "# HELP halo_serve_embeddings Embeddings in the served version.\n"
    << "# TYPE halo_serve_embeddings gauge\n"
    << "halo_serve_embeddings " << num_nodes << "\n"
    << "# HELP halo_serve_embedding_dim Width of the served embeddings.\n"
    << "# TYPE halo_serve_embedding_dim gauge\n"
    << "halo_serve_embedding_dim " << dim << "\n"
    << "# HELP halo_serve_version_info The served embedding version.\n"
    << "# TYPE halo_serve_version_info gauge\n"
    << "halo_serve_version_info{version=\"" << LabelValue(version) << "\"} 1\n";
  return o.str();
}

}  // namespace halo::serving
