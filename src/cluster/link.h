// The NATS link of one host (docs/CLUSTER.md): connects to the lattice, announces this
// host's components (heartbeats), keeps the membership (which live host runs which id),
// carries frames to other hosts and hands the ones it receives to its LinkHost.
//
// Subjects, for lattice L (ids hex-encoded, since ids may hold '.'):
//   wactor.L.c.<hex id>   messages and requests for a component; each host running it
//                         subscribes in queue group wactor.L.q.<hex id> (replicas: one each)
//   wactor.L.h.<hex host> replies for the requests a host made
//   wactor.L.hb           heartbeats and byes
//   wactor.L.t.<topic>    publishes (every host subscribes to wactor.L.t.>)
// @threadsafe
#pragma once

#include <nats/status.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cluster/batch.h"
#include "cluster/wire.h"
#include "wactor/metrics.h"
#include "wactor/runtime.h"

typedef struct __natsConnection natsConnection;
typedef struct __natsSubscription natsSubscription;
typedef struct __natsMsg natsMsg;

namespace wactor::cluster {

struct ClusterCounters {
#define WACTOR_FIELD(name, doc) std::atomic<std::uint64_t> name{0};
  WACTOR_CLUSTER_COUNTERS(WACTOR_FIELD)
#undef WACTOR_FIELD
};

// What the link asks of the runtime. Called on NATS delivery threads and the link's own
// heartbeat thread, never under a link lock.
class LinkHost {
 public:
  virtual ~LinkHost() = default;
  // The ids this host runs now (announced, and subscribed to).
  virtual std::vector<std::string> local_ids() = 0;
  virtual void on_send(Frame&& f) = 0;
  virtual void on_request(Frame&& f) = 0;
  virtual void on_reply(Frame&& f) = 0;
  virtual void on_publish(Frame&& f) = 0;
  // No live host runs these ids any more (their host died, left, or stopped them).
  virtual void on_ids_lost(const std::vector<std::string>& ids) = 0;
  // Placement and the control API across hosts (src/runtime/placement.cpp): a kControl
  // from a live member for this host, and the answer to one this host sent.
  virtual void on_control(Frame&& /*f*/) {}
  virtual void on_control_reply(Frame&& /*f*/) {}
};

class Link {
 public:
  // Connects (a bad URL or credentials: an error text, one line) and announces this host.
  // What the link tells the operator: kind (host-joined, host-lost, refused), detail.
  using EventFn = std::function<void(std::string_view kind, const std::string& detail)>;
  static std::unique_ptr<Link> connect(const ClusterOptions& options, LinkHost& host, EventFn events,
                                       std::string& error);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Says bye, stops the heartbeats and delivery to the LinkHost; idempotent.
  void close();

  // True if some live remote host announces `id`.
  [[nodiscard]] bool runs(std::string_view id) const;
  // True if the live member `host` announces `id`, or did until its last heartbeat (a reply
  // it sent as `id` stopped may arrive just after the heartbeat without it).
  [[nodiscard]] bool announced_by(const std::string& host, const std::string& id) const;
  // Waits until some live remote host announces `id` (or does not, for `present` false).
  bool wait_runs(std::string_view id, bool present, std::chrono::milliseconds timeout);
  // Sends a kSend/kRequest frame to one host running f.target; a kReply to `host`;
  // a kPublish to every host. 0, or abi status -1 (no host runs it / closed), -3 (the
  // reconnect buffer is full).
  std::int32_t to_component(Frame& f);
  std::int32_t to_host(const std::string& host, Frame& f);
  std::int32_t to_topic(Frame& f);

  [[nodiscard]] const std::string& host_id() const { return options_.host_id; }
  [[nodiscard]] const ClusterOptions& options() const { return options_; }
  // Placement (docs/CLUSTER.md): is `host` a live member; every live remote host with the
  // number of components it announced; the live remote hosts announcing `id` (sorted).
  [[nodiscard]] bool live(std::string_view host) const;
  [[nodiscard]] std::vector<std::pair<std::string, std::size_t>> loads() const;
  [[nodiscard]] std::vector<std::string> hosts_running(std::string_view id) const;
  // Announces this host's components now, on the calling thread (after a spawn a remote
  // host asked for: the heartbeat goes out before the reply, so the asker knows the id).
  void announce_now();
  [[nodiscard]] std::vector<std::string> hosts() const;  // live remote hosts
  [[nodiscard]] ClusterStats stats() const;
  void count(std::atomic<std::uint64_t> ClusterCounters::*c) { (counters_.*c).fetch_add(1, std::memory_order_relaxed); }
  // Tells the operator (rate-limited: a hostile lattice cannot flood the log).
  void event(std::string_view kind, std::string detail) noexcept;
  // Announces now (after a local change), instead of at the next heartbeat.
  void announce_soon();

 private:
  Link(ClusterOptions options, LinkHost& host, EventFn events);
  static void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  static void on_closed(natsConnection*, void* closure);
  static void on_disconnected(natsConnection*, void* closure);
  static void on_error(natsConnection*, natsSubscription*, natsStatus err, void* closure);
  static void on_reconnected(natsConnection*, void* closure);
  void handle(std::string_view subject, std::string_view data);
  // Runs `handling` (of a frame, or a whole message, on `subject`); an exception it throws
  // drops what it handled: counted and told.
  template <class F>
  void guarded(std::string_view subject, F&& handling) noexcept {
    try {
      handling();
    } catch (const std::exception& e) {
      dropped(subject, e.what());
    } catch (...) {
      dropped(subject, "unknown exception");
    }
  }
  void dropped(std::string_view subject, std::string_view why) noexcept;
  // One data frame (send, request, reply, publish) of a live member, checked, to host_.
  void dispatch(std::string_view subject, Frame&& f);
  // True if subject is prefix_ + kind + hex(id) (no allocation: this runs per frame).
  [[nodiscard]] bool is_subject(std::string_view subject, std::string_view kind, std::string_view id) const;
  void heartbeat_loop(std::stop_token stop);
  void sync_subscriptions();
  void send_heartbeat();
  void expire_hosts();
  // Replaces what `host` runs; returns the ids no live host runs any more.
  std::vector<std::string> set_host_ids(const std::string& host, std::vector<std::string> ids, bool alive);
  std::int32_t publish(const std::string& subject, std::string_view data, std::size_t frames = 1);

  ClusterOptions options_;
  LinkHost& host_;
  EventFn events_;
  std::string prefix_;  // "wactor.<lattice>."
  std::string hb_subject_;  // prefix_ + "hb"
  // Frames to components, hosts and topics go through it (batch.h); heartbeats do not.
  std::unique_ptr<Batcher> batcher_;
  std::shared_mutex nc_mu_;  // publish() shares it; close() takes it to destroy the connection
  natsConnection* nc_ = nullptr;
  std::vector<natsSubscription*> fixed_subs_;  // host, hb, topics
  std::mutex subs_mu_;
  std::unordered_map<std::string, natsSubscription*> component_subs_;  // by id

  struct Member {
    std::unordered_set<std::string> ids;
    std::unordered_set<std::string> dropped;  // ids its last heartbeat no longer listed
    std::chrono::steady_clock::time_point last_seen;
  };
  mutable std::shared_mutex members_mu_;
  std::unordered_map<std::string, Member> members_;
  std::unordered_map<std::string, std::uint32_t> runners_;  // id -> live hosts announcing it
  std::condition_variable_any members_cv_;

  // Delivery to host_ stops at close(): callbacks hold it shared.
  std::shared_mutex life_mu_;
  bool closed_ = false;
  // nats.c runs the connection's callbacks on its own thread, after natsConnection_Close
  // returned: close() waits for the last one (closed) before this object may go.
  std::mutex closed_cb_mu_;
  std::condition_variable_any closed_cb_cv_;
  bool closed_cb_done_ = false;
  std::atomic<std::uint64_t> sequence_{0};
  std::mutex wake_mu_;
  std::condition_variable_any wake_cv_;
  bool wake_ = false;
  ClusterCounters counters_;
  std::atomic<std::uint32_t> events_left_{1000};
  std::atomic<bool> impostor_seen_{false};  // a heartbeat with our host id arrived
  std::jthread heartbeat_;
};

// Hex of `s` (subjects carry ids as hex: ids may hold '.').
[[nodiscard]] std::string hex(std::string_view s);

}  // namespace wactor::cluster
