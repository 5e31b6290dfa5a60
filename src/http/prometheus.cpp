// GET /metrics: the Prometheus text exposition format 0.0.4 (docs/METRICS.md, "Prometheus").
#include <cstdio>

#include "http/frontend.h"

namespace wactor::http {

namespace {

struct Family {
  std::string name;  // wactor_..._total
  const char* help;
  std::uint64_t ComponentStats::*field;
  double scale;  // 1e-9 for nanosecond counters (exposed in seconds)
};

std::vector<Family> counter_families() {
  std::vector<Family> f;
#define WACTOR_FAMILY(n, doc)                                                                            \
  {                                                                                                      \
    std::string name = #n;                                                                               \
    double scale = 1;                                                                                    \
    if (name.size() > 3 && name.compare(name.size() - 3, 3, "_ns") == 0) {                               \
      name = name.substr(0, name.size() - 3) + "_seconds";                                               \
      scale = 1e-9;                                                                                      \
    }                                                                                                    \
    f.push_back(Family{"wactor_" + name + "_total", doc, &ComponentStats::n, scale});                    \
  }
  WACTOR_COUNTERS(WACTOR_FAMILY)
#undef WACTOR_FAMILY
  return f;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void histogram(std::string& out, const std::string& name, const char* help, const Histogram& h) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < Histogram::kBuckets; ++i) {
    cumulative += h.counts[i];
    const bool inf = i + 1 == Histogram::kBuckets;
    out += name + "_bucket{le=\"" + (inf ? std::string("+Inf") : number(Histogram::bound_seconds(i))) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += name + "_sum " + number(static_cast<double>(h.sum_ns) * 1e-9) + "\n";
  out += name + "_count " + std::to_string(cumulative) + "\n";
}

void gauge(std::string& out, const std::string& name, const char* help, std::uint64_t v) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n" + name + " " + std::to_string(v) + "\n";
}

}  // namespace

std::string prometheus_text(const RuntimeMetrics& m, const std::vector<ComponentInfo>& components,
                            std::size_t max_components) {
  // Bounded cardinality: the first max_components components by id get their own series,
  // the others are summed under component="(others)" (never a valid component id).
  std::vector<std::pair<std::string, ComponentStats>> series;
  std::vector<std::uint64_t> pending;  // per series: its requests awaiting a callback
  ComponentStats others;
  std::uint64_t others_pending = 0;
  bool have_others = false;
  for (const auto& c : components) {
    if (series.size() < max_components) {
      series.emplace_back(c.id, c.stats);
      pending.push_back(c.pending_requests);
    } else {
      others += c.stats;
      others_pending += c.pending_requests;
      have_others = true;
    }
  }
  if (have_others) {
    series.emplace_back("(others)", others);
    pending.push_back(others_pending);
  }
  std::string out;
  out.reserve(4096 + series.size() * 2048);
  for (const auto& f : counter_families()) {
    out += "# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " counter\n";
    for (const auto& [id, s] : series) {
      const std::uint64_t v = s.*(f.field);
      out += f.name + "{component=\"" + id + "\"} " +
             (f.scale == 1 ? std::to_string(v) : number(static_cast<double>(v) * f.scale)) + "\n";
    }
  }
  out += "# HELP wactor_mailbox_depth envelopes queued for the component now\n# TYPE wactor_mailbox_depth gauge\n";
  for (const auto& [id, s] : series) out += "wactor_mailbox_depth{component=\"" + id + "\"} " + std::to_string(s.mailbox_depth) + "\n";
  out += "# HELP wactor_component_pending_requests the component's own requests awaiting a callback\n"
         "# TYPE wactor_component_pending_requests gauge\n";
  for (std::size_t i = 0; i < series.size(); ++i) {
    out += "wactor_component_pending_requests{component=\"" + series[i].first + "\"} " + std::to_string(pending[i]) + "\n";
  }
  gauge(out, "wactor_pending_requests", "requests awaiting a reply (components' and the host's)", m.pending_requests);
  gauge(out, "wactor_pending_timers", "send-after timers not yet fired or cancelled", m.pending_timers);
  gauge(out, "wactor_components_alive", "live components", m.live_components);
  out += "# HELP wactor_components_gone_total components down for good and removed\n# TYPE wactor_components_gone_total counter\n";
  out += "wactor_components_gone_total " + std::to_string(m.components_gone) + "\n";
  histogram(out, "wactor_handler_duration_seconds", "guest handler calls, from start to the next call or the batch end",
            m.total.handler_time);
  Histogram rtt = m.total.request_time;
  rtt += m.host_request_time;
  histogram(out, "wactor_request_duration_seconds", "requests from request to callback (any status), components' and the host's",
            rtt);
  // The worker pool (docs/METRICS.md, "Scheduler").
#define WACTOR_SCHEDULER_FAMILY(n, doc)                                                                     \
  out += "# HELP wactor_scheduler_" #n "_total " doc "\n# TYPE wactor_scheduler_" #n "_total counter\n"; \
  out += "wactor_scheduler_" #n "_total " + std::to_string(m.scheduler.n) + "\n";
  WACTOR_SCHEDULER_COUNTERS(WACTOR_SCHEDULER_FAMILY)
#undef WACTOR_SCHEDULER_FAMILY
  if (m.cluster.enabled) {  // [cluster]: the NATS link (docs/CLUSTER.md)
#define WACTOR_CLUSTER_FAMILY(n, doc)                                                                   \
  out += "# HELP wactor_cluster_" #n "_total " doc "\n# TYPE wactor_cluster_" #n "_total counter\n"; \
  out += "wactor_cluster_" #n "_total " + std::to_string(m.cluster.n) + "\n";
    WACTOR_CLUSTER_COUNTERS(WACTOR_CLUSTER_FAMILY)
#undef WACTOR_CLUSTER_FAMILY
    gauge(out, "wactor_cluster_live_hosts", "other hosts of the lattice seen alive now", m.cluster.live_hosts);
  }
  return out;
}

}  // namespace wactor::http
