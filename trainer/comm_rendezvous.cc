#include "trainer/comm_rendezvous.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

#include "trainer/coordinator_store.h"

namespace halo::trainer {

namespace {

constexpr size_t kMaxNamedRanks = 8;

std::string JoinKey(const std::string& prefix, int rank) {
  return prefix + "join/" + std::to_string(rank);
}

}  // namespace

std::string RankName(const CommGroup& group, int rank) {
  const std::string host = rank >= 0 && static_cast<size_t>(rank) < group.hosts.size()
                               ? group.hosts[static_cast<size_t>(rank)]
                               : std::string();
  return "rank " + std::to_string(rank) + " (host " + (host.empty() ? "unknown" : host) + ")";
}

core::Result<CommGroup> JoinGroup(net::CoordinatorClient& client, const CommConfig& config,
                                  const std::string& name) {
  const std::string me = std::to_string(config.rank);
  auto generation = client.Add("comm/" + name + "/generation/" + me, 1);
  if (!generation.ok()) return generation.status().WithContext("rendezvous");
  CommGroup group;
  group.prefix = "comm/" + name + "/" + std::to_string(*generation) + "/";
  group.hosts.assign(static_cast<size_t>(config.world_size), std::string());
  core::Status s = client.Set(JoinKey(group.prefix, config.rank), config.host);
  if (!s.ok()) return s.WithContext("rendezvous");

  std::vector<std::string> keys;
  for (int r = 0; r < config.world_size; ++r) keys.push_back(JoinKey(group.prefix, r));
  std::vector<std::string> missing;
  s = WaitForKeys(client, keys, config.timeout, &missing);
  if (!s.ok() && !missing.empty() && s.code() == core::StatusCode::kDeadlineExceeded) {
    std::string names;
    for (size_t i = 0; i < missing.size() && i < kMaxNamedRanks; ++i) {
      const int r = std::stoi(missing[i].substr(missing[i].rfind('/') + 1));
      auto host = client.TryGet("plan/rank/" + std::to_string(r) + "/host");
      const bool known = host.ok() && host->has_value();
      if (i > 0) names += ", ";
      names += std::to_string(r) + " (host " + (known ? **host : std::string("unknown")) + ")";
    }
    if (missing.size() > kMaxNamedRanks) {
      names += " and " + std::to_string(missing.size() - kMaxNamedRanks) + " more";
    }
    return core::Status::DeadlineExceeded(
        "rendezvous (" + name + ", rank " + me + " of " + std::to_string(config.world_size) +
        "): " + (missing.size() == 1 ? "rank " : "ranks ") + names + " did not join within " +
        std::to_string(config.timeout.count()) + " ms (coordinator " + client.endpoint() + ")");
  }
  if (!s.ok()) return s.WithContext("rendezvous");
  for (int r = 0; r < config.world_size; ++r) {
    auto host = client.Get(JoinKey(group.prefix, r), std::chrono::milliseconds(0));
    if (!host.ok()) return host.status().WithContext("rendezvous");
    group.hosts[static_cast<size_t>(r)] = *host;
  }
  return group;
}

std::string PeerHint(net::CoordinatorClient& client, const CommGroup& group, int self) {
  std::vector<int> peers;
  std::vector<std::string> keys;
  for (int r = 0; r < static_cast<int>(group.hosts.size()); ++r) {
    if (r == self) continue;
    peers.push_back(r);
    keys.push_back("heartbeat/" + std::to_string(r));
  }
  if (peers.empty()) return "no peers";
  auto ages = client.SecondsSinceSet(keys);
  std::vector<std::pair<double, int>> beats;  // (age, rank); age < 0: never
  if (ages.ok()) {
    for (size_t i = 0; i < peers.size(); ++i) {
      if ((*ages)[i]) beats.emplace_back(*(*ages)[i], peers[i]);
    }
  }
  std::string out;
  if (beats.empty()) {
    out = "peers: ";
    for (size_t i = 0; i < peers.size() && i < kMaxNamedRanks; ++i) {
      out += (i > 0 ? ", " : "") + RankName(group, peers[i]);
    }
    if (peers.size() > kMaxNamedRanks) {
      out += " and " + std::to_string(peers.size() - kMaxNamedRanks) + " more";
    }
    if (!ages.ok()) out += " (heartbeats unknown: " + ages.status().message() + ")";
    return out;
  }
  // Stalest first: a dead rank stops beating, so it sorts to the front.
  std::sort(beats.begin(), beats.end(), [](const auto& a, const auto& b) { return a > b; });
  out = "peers' last heartbeats: ";
  for (size_t i = 0; i < beats.size() && i < kMaxNamedRanks; ++i) {
    char age[32];
    std::snprintf(age, sizeof(age), "%.1f", beats[i].first);
    out += (i > 0 ? ", " : "") + RankName(group, beats[i].second) + " " + age + " s ago";
  }
  if (beats.size() > kMaxNamedRanks) {
    out += " and " + std::to_string(beats.size() - kMaxNamedRanks) + " more";
  }
  if (beats.size() < peers.size()) {
    out += "; no heartbeat from " + std::to_string(peers.size() - beats.size()) + " of " +
           std::to_string(peers.size()) + " peers";
  }
  return out;
}

}  // namespace halo::trainer
