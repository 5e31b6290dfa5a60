// Counters kept per component (and summed for the whole runtime). One list defines them,
// so the struct, the JSON and the sums can never disagree.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace wactor {

// X(name, description)
#define WACTOR_COUNTERS(X)                                                                   \
  X(messages_sent, "messages this component queued for others (send, publish, broadcast)")   \
  X(messages_handled, "messages delivered to this component's handle-message")               \
  X(callbacks_handled, "callbacks delivered to this component's handle-callback")            \
  X(published, "publish calls by this component")                                            \
  X(refused_not_found, "sends/requests by this component refused: unknown or down target")   \
  X(refused_queue_full, "sends/requests by this component refused: target mailbox full")     \
  X(refused_too_large, "sends/requests/replies by this component refused: payload too large") \
  X(refused_invalid, "calls by this component refused: invalid argument")                     \
  X(refused_denied, "calls by this component refused: denied")                                \
  X(refused_limit, "calls by this component refused: its budget or the host's is used up (-7)") \
  X(refused_memory, "memory.grow/starts of this component refused: host memory budget used up") \
  X(log_bytes_dropped, "log bytes of this component dropped: line or per-call budget exceeded") \
  X(events_suppressed, "operator events about this component dropped: per-call budget exceeded") \
  X(interrupted, "handler calls stopped by the host (stop, shutdown, interrupt)")             \
  X(shed_queue_full, "messages for this component refused because its mailbox was full")      \
  X(requests_sent, "requests made by this component")                                          \
  X(replies_ok, "its requests answered with status 0")                                         \
  X(replies_error, "its requests answered with status 1 (error reply)")                        \
  X(requests_timed_out, "its requests ended with status 2 (timeout)")                          \
  X(requests_cancelled, "its requests ended with status 3 (cancelled)")                        \
  X(requests_target_down, "its requests ended with status 4 (target down)")                    \
  X(orphaned_replies, "respond calls by this component for requests already ended")           \
  X(handler_errors, "handler calls that returned non-zero")                                    \
  X(traps, "handler calls that trapped or failed")                                             \
  X(restarts, "fresh instances after a failure (its own or a group member's)")                 \
  X(health_checks, "health polls answered")                                                   \
  X(unhealthy, "health polls that answered non-zero or failed")                               \
  X(escalations, "times its failure exceeded its group's restart intensity")                  \
  X(dropped_while_down, "messages that reached this component while it was down")             \
  X(spawned, "components this component spawned (spawn answered 0)")                         \
  X(timers_set, "send-after timers this component set")                                       \
  X(timers_cancelled, "its send-after timers cancelled before they fired")                    \
  X(timers_dropped, "its send-after timers that fired but were not delivered (target gone/full)") \
  X(down_notices, "$down notices delivered to this component")                               \
  X(upgrades, "hot upgrades of this component that succeeded")                                \
  X(upgrade_rollbacks, "hot upgrades of this component refused or rolled back")               \
  X(handler_ns, "nanoseconds spent in this component's handlers")

// Durations in fixed buckets: upper bounds 1 us, 4 us, 16 us, ... 4^11 us (~4.2 s), then +Inf.
struct Histogram {
  static constexpr std::size_t kBuckets = 13;
  std::array<std::uint64_t, kBuckets> counts{};  // per bucket (not cumulative)
  std::uint64_t sum_ns = 0;
  // The upper bound of bucket `i` in seconds (+infinity for the last).
  [[nodiscard]] static double bound_seconds(std::size_t i);
  [[nodiscard]] static std::size_t bucket(std::uint64_t ns) {
    const std::uint64_t us = ns / 1000 + (ns % 1000 != 0);
    if (us <= 1) return 0;
    const std::size_t k = (static_cast<std::size_t>(std::bit_width(us - 1)) + 1) / 2;
    return k < kBuckets - 1 ? k : kBuckets - 1;
  }
  [[nodiscard]] std::uint64_t count() const;
  Histogram& operator+=(const Histogram& o);
};

struct ComponentStats {
#define WACTOR_FIELD(name, doc) std::uint64_t name = 0;
  WACTOR_COUNTERS(WACTOR_FIELD)
#undef WACTOR_FIELD
  std::uint64_t mailbox_depth = 0;       // envelopes queued now
  std::uint64_t mailbox_high_water = 0;  // most ever queued at once
  Histogram handler_time;  // each guest call, from its start to the next call's (or the batch end)
  Histogram request_time;  // its requests, from request to the callback queued (any status)

  ComponentStats& operator+=(const ComponentStats& o);
};

// X(name, description): what a host's NATS link did (zero without [cluster]).
#define WACTOR_CLUSTER_COUNTERS(X)                                                            \
  X(frames_sent, "frames this host handed to NATS")                                           \
  X(batches_sent, "NATS messages that carried several frames (a batch)")                       \
  X(frames_received, "frames this host received from NATS")                                  \
  X(refused_malformed, "lattice messages refused: not a well-formed wactor frame")            \
  X(refused_unknown_host, "frames refused: from a host that is not a live member")            \
  X(refused_sender, "frames refused: sender id not accepted here ([cluster] accept_from)")    \
  X(refused_no_target, "messages/requests refused: this host does not run the target (now)")  \
  X(refused_queue_full, "messages/requests refused: the target's mailbox was full")           \
  X(late_replies, "replies refused: the request had ended already (or was not ours)")         \
  X(send_failed, "frames NATS did not take (reconnect buffer full or connection closed)")     \
  X(dropped_slow_consumer, "frames the NATS client dropped: this host fell behind (slow consumer)") \
  X(dropped_host_error, "frames dropped: handling them failed on this host (e.g. out of memory)") \
  X(hosts_joined, "hosts seen joining the lattice")                                           \
  X(hosts_lost, "hosts declared gone (no heartbeat within dead_after, or bye)")               \
  X(disconnects, "times the NATS connection was lost")                                        \
  X(reconnects, "times the NATS connection came back")

struct ClusterStats {
#define WACTOR_FIELD(name, doc) std::uint64_t name = 0;
  WACTOR_CLUSTER_COUNTERS(WACTOR_FIELD)
#undef WACTOR_FIELD
  std::uint64_t live_hosts = 0;  // other hosts seen alive now
  bool enabled = false;          // [cluster] is set
};

// X(name, description): what the worker pool did since start (summed over the workers on
// read; docs/BENCHMARKS.md, "The collapse: cause and fix").
#define WACTOR_SCHEDULER_COUNTERS(X)                                                          \
  X(batches, "batches run (one runnable's run_batch)")                                         \
  X(drained, "batches after which their runnable had no more work (went idle)")                \
  X(handoffs, "runnables scheduled by a batch into its worker's next slot")                    \
  X(next_runs, "batches taken from the worker's own next slot")                                \
  X(next_steals, "runnables taken from another worker's next slot (its batch ran long)")       \
  X(steals, "steals from another worker's run queue")                                          \
  X(injected, "runnables scheduled from outside the workers (injection queue)")                \
  X(wakes, "parked workers woken (one futex wake each)")                                       \
  X(wakes_skipped, "wakes not needed: a worker was searching already")                         \
  X(parks, "times a worker parked (slept on the condition variable)")                          \
  X(spin_found, "searches that found work while spinning, without parking")                   \
  X(throttled, "sends that waited for a consumer running on another worker (deep backlog)")   \
  X(throttle_timeouts, "of those, waits that gave up after the longest wait (1 ms)")           \
  X(throttle_skipped, "waits skipped: the consumer was stuck in one batch for 50 ms")         \
  X(helps, "sends that ran their consumer here at once (it waited for a worker, all busy)")    \
  X(help_batches, "batches run that way, nested in the sender's batch")                        \
  X(coalesced, "batches that waited (at most 10 us, on an idle worker) for more of a stream")

struct SchedulerStats {
#define WACTOR_FIELD(name, doc) std::uint64_t name = 0;
  WACTOR_SCHEDULER_COUNTERS(WACTOR_FIELD)
#undef WACTOR_FIELD
};

struct RuntimeMetrics {
  std::vector<std::pair<std::string, ComponentStats>> components;  // manifest order
  ComponentStats total;  // sums (mailbox figures: sum of depths, max of high-waters)
  std::uint64_t pending_requests = 0;
  std::uint64_t pending_timers = 0;     // send-after timers not yet fired or cancelled
  std::uint64_t live_components = 0;    // now
  std::uint64_t components_gone = 0;    // down for good and removed since start (their counters stay in total)
  Histogram host_request_time;          // requests the host made (HTTP ingress, the control API)
  ClusterStats cluster;                 // the NATS link ([cluster])
  SchedulerStats scheduler;             // the worker pool
};

// {"total": {...}, "pending_requests": N, "components": {"id": {...}, ...}}
[[nodiscard]] std::string to_json(const RuntimeMetrics& m);

}  // namespace wactor
