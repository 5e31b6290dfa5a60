#include "wactor/metrics.h"

#include "runtime/metrics_json.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

namespace wactor {

double Histogram::bound_seconds(std::size_t i) {
  if (i + 1 >= kBuckets) return std::numeric_limits<double>::infinity();
  return 1e-6 * static_cast<double>(std::uint64_t{1} << (2 * i));
}

std::uint64_t Histogram::count() const {
  std::uint64_t n = 0;
  for (auto c : counts) n += c;
  return n;
}

Histogram& Histogram::operator+=(const Histogram& o) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts[i] += o.counts[i];
  sum_ns += o.sum_ns;
  return *this;
}

ComponentStats& ComponentStats::operator+=(const ComponentStats& o) {
#define WACTOR_ADD(name, doc) name += o.name;
  WACTOR_COUNTERS(WACTOR_ADD)
#undef WACTOR_ADD
  mailbox_depth += o.mailbox_depth;
  mailbox_high_water = std::max(mailbox_high_water, o.mailbox_high_water);
  handler_time += o.handler_time;
  request_time += o.request_time;
  return *this;
}

nlohmann::ordered_json stats_json(const ComponentStats& s) {
  nlohmann::ordered_json j;
#define WACTOR_JSON(name, doc) j[#name] = s.name;
  WACTOR_COUNTERS(WACTOR_JSON)
#undef WACTOR_JSON
  j["mailbox_depth"] = s.mailbox_depth;
  j["mailbox_high_water"] = s.mailbox_high_water;
  return j;
}

std::string to_json(const RuntimeMetrics& m) {
  nlohmann::ordered_json j;  // ordered: the keys stay in the order written here
  j["total"] = stats_json(m.total);
  j["pending_requests"] = m.pending_requests;
  j["pending_timers"] = m.pending_timers;
  j["live_components"] = m.live_components;
  j["components_gone"] = m.components_gone;
  nlohmann::ordered_json components = nlohmann::ordered_json::object();
  for (const auto& [id, stats] : m.components) components[id] = stats_json(stats);
  j["components"] = std::move(components);
  nlohmann::ordered_json sched;
#define WACTOR_JSON(name, doc) sched[#name] = m.scheduler.name;
  WACTOR_SCHEDULER_COUNTERS(WACTOR_JSON)
#undef WACTOR_JSON
  j["scheduler"] = std::move(sched);
  if (m.cluster.enabled) {
    nlohmann::ordered_json c;
#define WACTOR_JSON(name, doc) c[#name] = m.cluster.name;
    WACTOR_CLUSTER_COUNTERS(WACTOR_JSON)
#undef WACTOR_JSON
    c["live_hosts"] = m.cluster.live_hosts;
    j["cluster"] = std::move(c);
  }
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace wactor
