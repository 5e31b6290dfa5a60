// What an actor needs from the runtime around it. The calling component is always passed
// explicitly; nothing is carried in globals or thread-locals.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace wactor::actor {

class Component;
class Stopwatch;

class Router {
 public:
  virtual ~Router() = default;
  // Guest imports (arguments already checked by the ABI layer); results go to the guest.
  virtual std::int32_t send(Component& from, std::string_view target, std::span<const std::uint8_t> payload) = 0;
  virtual std::int64_t request(Component& from, std::string_view target, std::span<const std::uint8_t> payload,
                               std::int32_t timeout_ms) = 0;
  virtual std::int32_t respond(Component& from, std::int64_t request_id, bool is_error,
                               std::span<const std::uint8_t> payload) = 0;
  virtual std::int32_t cancel(Component& from, std::int64_t request_id) = 0;
  virtual std::int64_t now_ms() = 0;
  // The runtime clock.
  virtual std::chrono::nanoseconds now() = 0;
  // The clock of guest calls' deadlines and handler_time (stopwatch.h); lives as long as the router.
  [[nodiscard]] virtual const Stopwatch& stopwatch() const = 0;
  virtual std::int32_t subscribe(Component& from, std::string_view pattern) = 0;
  virtual std::int32_t unsubscribe(Component& from, std::string_view pattern) = 0;
  virtual std::int32_t publish(Component& from, std::string_view topic, std::span<const std::uint8_t> payload) = 0;
  virtual std::int32_t broadcast(Component& from, std::span<const std::uint8_t> payload) = 0;
  virtual void log(Component& from, std::int32_t level, std::string_view message) = 0;
  virtual std::int32_t spawn(Component& from, std::string_view module, std::string_view id, std::string_view config) = 0;
  virtual std::int32_t stop(Component& from, std::string_view target) = 0;
  virtual std::int64_t send_after(Component& from, std::string_view target, std::span<const std::uint8_t> payload,
                                  std::int32_t delay_ms) = 0;
  virtual std::int32_t cancel_timer(Component& from, std::int64_t timer_id) = 0;
  virtual std::int32_t monitor(Component& from, std::string_view target) = 0;
  virtual std::int32_t demonitor(Component& from, std::string_view target) = 0;
  // HTTP ingress (docs/ABI.md, "HTTP"): the head of an open HTTP request `from` received.
  virtual std::int32_t http_info(Component& from, std::int64_t request_id, std::int32_t what, std::string_view name,
                                 std::string& out) = 0;
  virtual std::int32_t http_set_status(Component& from, std::int64_t request_id, std::int32_t status) = 0;
  virtual std::int32_t http_set_header(Component& from, std::int64_t request_id, std::string_view name,
                                       std::string_view value) = 0;

  // Outcomes of handling.
  // The target's handler has started on this request.
  virtual void request_received(Component& target, std::int64_t request_id) = 0;
  // The handler failed (non-zero status or trap) on a request: answer it with an error if still open.
  virtual void request_failed(Component& target, std::int64_t request_id, std::string reason) = 0;
  // The request reached a component that is down: end it with status 4 (target down).
  virtual void request_target_down(Component& target, std::int64_t request_id) = 0;
  // The instance is gone (trap, restart, stop): end every request it received and did not answer.
  virtual void instance_lost(Component& target) = 0;
  // Something worth telling the operator (trap, restart, a bad log call, a dropped message).
  virtual void report(Component& c, std::string_view kind, std::string_view detail) = 0;
  // Supervision: the component failed and its instance is gone. Decides per its group's
  // policy; returns when it should start again (runtime clock), or nothing if its group
  // was stopped for good. Other members it restarts get a kRestart envelope.
  virtual std::optional<std::chrono::nanoseconds> member_failed(Component& c, std::string_view reason) = 0;
  // Queues kStart(token) for the component at `at` (the end of a restart backoff).
  virtual void start_later(Component& c, std::chrono::nanoseconds at, std::uint64_t token) = 0;
  // The component is down for good (stopped, escalated, its init failed, its owner stopped)
  // and its instance is gone: notify its owner and monitors, stop its children, free its id.
  virtual void gone(Component& c) = 0;
  // A passivated component's state, kept for its next activation.
  virtual void keep_state(Component& c, std::string state) = 0;
  // An upgrade gave the component a health export it did not have: start polling it.
  virtual void health_gained(Component& c) = 0;
  // True while the host interrupts every running guest call (Runtime::interrupt, stop).
  virtual bool interrupting() const = 0;
  // Envelopes taken from a mailbox have been fully handled.
  virtual void envelopes_done(std::size_t n) = 0;
};

}  // namespace wactor::actor
