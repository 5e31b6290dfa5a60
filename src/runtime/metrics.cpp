#include "wactor/metrics.h"

#include <algorithm>
#include <limits>

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

namespace {
void stats_json(std::string& out, const ComponentStats& s) {
  out += "{";
#define WACTOR_JSON(name, doc) out += "\"" #name "\": " + std::to_string(s.name) + ", ";
  WACTOR_COUNTERS(WACTOR_JSON)
#undef WACTOR_JSON
  out += "\"mailbox_depth\": " + std::to_string(s.mailbox_depth) +
         ", \"mailbox_high_water\": " + std::to_string(s.mailbox_high_water) + "}";
}
}  // namespace

std::string to_json(const RuntimeMetrics& m) {
  std::string out = "{\n  \"total\": ";
  stats_json(out, m.total);
  out += ",\n  \"pending_requests\": " + std::to_string(m.pending_requests) +
         ",\n  \"pending_timers\": " + std::to_string(m.pending_timers) +
         ",\n  \"live_components\": " + std::to_string(m.live_components) +
         ",\n  \"components_gone\": " + std::to_string(m.components_gone) + ",\n  \"components\": {";
  for (std::size_t i = 0; i < m.components.size(); ++i) {
    out += i ? ",\n    " : "\n    ";
    out += "\"" + m.components[i].first + "\": ";  // ids are [A-Za-z0-9_.-]: nothing to escape
    stats_json(out, m.components[i].second);
  }
  out += "\n  }\n}\n";
  return out;
}

}  // namespace wactor
