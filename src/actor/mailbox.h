// A bounded FIFO mailbox that also tracks whether its actor is scheduled, so an actor is
// on the run queue at most once and handles one message at a time. @threadsafe
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <iterator>
#include <mutex>
#include <new>
#include <type_traits>
#include <vector>

#include "actor/envelope.h"
#include "actor/ring.h"
#include "actor/scheduler.h"
#include "actor/spin_lock.h"
#include "sandbox/allowance.h"

namespace wactor::actor {

class Mailbox {
 public:
  // `max_bytes` (0: none) bounds the payload bytes queued here, `host_bytes` (optional)
  // those queued in every mailbox of the host; one envelope always fits an empty mailbox.
  explicit Mailbox(std::size_t capacity, std::uint64_t max_bytes = 0, sandbox::Allowance* host_bytes = nullptr)
      : capacity_(capacity), max_bytes_(max_bytes), host_bytes_(host_bytes) {}
  ~Mailbox() {
    if (host_bytes_) host_bytes_->give(bytes_);
  }
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // What an envelope holds against the byte budgets.
  static std::uint64_t weight(const Envelope& e) { return e.payload.size(); }  // a published message's topic too
  static_assert(std::is_nothrow_move_constructible_v<Envelope>, "take() moves envelopes without a way back");

  // kClosed: the actor passivated (close_if_empty); nothing was queued.
  enum class Push { kQueued, kQueuedNeedsSchedule, kFull, kClosed };
  // Callbacks answer requests already accepted, so they bypass the capacity.
  Push push(Envelope&& e, bool bypass_capacity) {
    std::lock_guard lock(mu_);
    if (closed_) return Push::kClosed;
    const std::uint64_t w = weight(e);
    if (!bypass_capacity) {
      if (queue_.size() >= capacity_) return Push::kFull;
      if (max_bytes_ && !queue_.empty() && bytes_ + w > max_bytes_) return Push::kFull;
      if (host_bytes_ && !host_bytes_->take(w, host_slot())) return Push::kFull;
    } else if (host_bytes_) {
      host_bytes_->force(w, host_slot());
    }
    bytes_ += w;
    queue_.push_back(std::move(e));
    depth_.store(queue_.size(), std::memory_order_relaxed);
    if (queue_.size() > high_water_) high_water_ = queue_.size();
    if (scheduled_ || paused_) return Push::kQueued;
    scheduled_ = true;
    return Push::kQueuedNeedsSchedule;
  }

  // Queues a control envelope ahead of everything else, ignoring the capacity.
  Push push_front(Envelope&& e) {
    std::lock_guard lock(mu_);
    add_bytes(weight(e));
    queue_.push_front(std::move(e));
    depth_.store(queue_.size(), std::memory_order_relaxed);
    note_front();
    if (scheduled_ || paused_) return Push::kQueued;
    scheduled_ = true;
    return Push::kQueuedNeedsSchedule;
  }

  // Like push_front, and ends a pause: the actor runs again, this envelope first.
  Push resume_front(Envelope&& e) {
    std::lock_guard lock(mu_);
    paused_ = false;
    add_bytes(weight(e));
    queue_.push_front(std::move(e));
    depth_.store(queue_.size(), std::memory_order_relaxed);
    note_front();
    if (scheduled_) return Push::kQueued;
    scheduled_ = true;
    return Push::kQueuedNeedsSchedule;
  }

  // Holds what is queued (and what arrives) until resume_front: the actor waits for a
  // restart. Called by the actor's own worker; its next take returns false.
  void pause() {
    std::lock_guard lock(mu_);
    paused_ = true;
  }

  // Takes up to `max` envelopes at once (one lock for a whole batch); when there are none
  // or the mailbox is paused, marks the actor unscheduled and returns false.
  bool take(std::vector<Envelope>& out, std::size_t max) {
    std::lock_guard lock(mu_);
    if (queue_.empty() || paused_) {
      scheduled_ = false;
      return false;
    }
    const std::size_t n = std::min(max, queue_.size());
    out.reserve(out.size() + n);  // the one step that may throw: before anything moves
    std::uint64_t w = 0;
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(std::move(queue_.front()));  // moved once, straight into the batch (no throw)
      queue_.drop_front();
      w += weight(out.back());
    }
    depth_.store(queue_.size(), std::memory_order_relaxed);
    bytes_ -= w;
    if (host_bytes_) host_bytes_->give(w, host_slot());
    front_since_take_ = 0;
    if (urgent_.load(std::memory_order_relaxed)) urgent_.store(false, std::memory_order_relaxed);
    try {
      queue_.trim();  // frees an emptied queue's spare blocks (allocates a small block map)
    } catch (const std::bad_alloc&) {  // kept as it is: the batch is taken and counted
    }
    return true;
  }

  // True once an envelope was queued at the front since the last take: the actor should
  // give back what it took and not handled yet. @threadsafe
  bool urgent() const { return urgent_.load(std::memory_order_acquire); }

  // Returns taken, unhandled envelopes [from, end) of `taken` to the queue, in order, ahead of
  // everything except what was queued at the front since they were taken.
  void give_back(std::vector<Envelope>& taken, std::size_t from) {
    std::lock_guard lock(mu_);
    const std::size_t at = std::min(front_since_take_, queue_.size());
    for (std::size_t i = from; i < taken.size(); ++i) add_bytes(weight(taken[i]));
    queue_.insert(at, taken.begin() + static_cast<std::ptrdiff_t>(from), taken.end());
    depth_.store(queue_.size(), std::memory_order_relaxed);
    taken.resize(from);
  }

  // After a full batch: true (still scheduled) if work is waiting, else unschedules.
  bool keep_scheduled() {
    std::lock_guard lock(mu_);
    if (queue_.empty() || paused_) scheduled_ = false;
    return scheduled_;
  }

  // Refuses every later push() (kClosed) if nothing is queued now; false otherwise. Called
  // by the actor's own worker.
  bool close_if_empty() {
    std::lock_guard lock(mu_);
    if (!queue_.empty()) return false;
    closed_ = true;
    return true;
  }

  // True once close_if_empty succeeded (the actor passivates). @threadsafe
  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }

  // Not scheduled and nothing queued.
  bool idle() const {
    std::lock_guard lock(mu_);
    return !scheduled_ && queue_.empty();
  }

  std::size_t size() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }
  // size() without the lock: what the last push or take left (for back-pressure). @threadsafe
  std::size_t depth() const { return depth_.load(std::memory_order_relaxed); }
  std::size_t high_water() const {
    std::lock_guard lock(mu_);
    return high_water_;
  }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }

 private:
  void add_bytes(std::uint64_t w) {
    bytes_ += w;
    if (host_bytes_) host_bytes_->force(w, host_slot());
  }
  // The calling worker's credit in the host allowance, if it has one.
  int host_slot() const {
    const auto id = Scheduler::current_worker();
    return host_bytes_->slot(id.pool, id.index);
  }

  void note_front() {
    ++front_since_take_;
    urgent_.store(true, std::memory_order_release);
  }

  const std::size_t capacity_;
  const std::uint64_t max_bytes_;
  sandbox::Allowance* const host_bytes_;
  std::uint64_t bytes_ = 0;  // weight() of everything queued
  mutable SpinLock mu_;  // held for a few queue operations at a time
  Ring<Envelope> queue_;  // allocates only to grow (or to free a large emptied buffer)
  std::size_t high_water_ = 0;
  bool scheduled_ = false;
  bool paused_ = false;
  bool closed_ = false;
  std::size_t front_since_take_ = 0;
  std::atomic<std::size_t> depth_{0};  // queue_.size(), readable without the lock (written by every push)
  // Read by the worker after every message: not on the line every push writes.
  alignas(64) std::atomic<bool> urgent_{false};
};

}  // namespace wactor::actor
