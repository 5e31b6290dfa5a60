#include "actor/scheduler.h"

#include <algorithm>

namespace wactor::actor {
namespace {

// Which scheduler's worker this thread is, if any, and whether it is inside a batch. It only
// decides where a scheduled runnable is queued (next slot or injection queue), never what
// runs: a placement hint, like CAF's and Tokio's "current worker".
struct Current {
  const void* scheduler = nullptr;
  unsigned index = 0;
  bool in_batch = false;
  bool helping = false;             // in run_claimed(): a nested batch runs, no more nesting
  const char* stack_top = nullptr;  // the worker loop's frame (claim() measures from it)
};
thread_local Current t_current;

unsigned hardware_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace

Scheduler::Scheduler(unsigned workers, std::chrono::microseconds spin)
    : workers_(workers == 0 ? 1 : workers),
      // Half the cores may search at once: more spinners only take CPU from workers with work.
      max_spinning_(std::max(1u, std::min(workers_, hardware_threads()) / 2)),
      oversubscribed_(workers_ > hardware_threads()),
      // Between none and an hour (now + spin_ must not overflow).
      spin_(std::clamp(spin, std::chrono::microseconds(0), std::chrono::microseconds(std::chrono::hours(1)))) {
  w_.reserve(workers_);
  for (unsigned i = 0; i < workers_; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    w->seen_gen.assign(workers_, 0);
    w->seen_at.assign(workers_, std::chrono::steady_clock::time_point{});
    w_.push_back(std::move(w));
  }
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::count(Counter c) {
  const Current& cur = t_current;
  if (cur.scheduler == this) {
    bump(w_[cur.index]->counts.*c);
  } else {
    (outside_.*c).fetch_add(1, std::memory_order_relaxed);
  }
}

Scheduler::WorkerId Scheduler::current_worker() {
  const Current& cur = t_current;
  return {cur.scheduler, cur.index};
}

SchedulerStats Scheduler::stats() const {
  SchedulerStats s;
#define WACTOR_FIELD(name, doc) s.name = outside_.name.load(std::memory_order_relaxed);
  WACTOR_SCHEDULER_COUNTERS(WACTOR_FIELD)
#undef WACTOR_FIELD
  for (const auto& w : w_) {
#define WACTOR_FIELD(name, doc) s.name += w->counts.name.load(std::memory_order_relaxed);
    WACTOR_SCHEDULER_COUNTERS(WACTOR_FIELD)
#undef WACTOR_FIELD
  }
  return s;
}

void Scheduler::start() {
  std::lock_guard lock(park_mu_);
  if (!threads_.empty()) return;
  stopping_.store(false);
  wakeups_ = 0;
  for (unsigned i = 0; i < workers_; ++i) threads_.emplace_back([this, i] { work(i); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(park_mu_);
    stopping_.store(true);  // under the lock: a worker about to park sees it
  }
  park_cv_.notify_all();
  threads_.clear();  // jthread joins
}

void Scheduler::schedule(Runnable* r) {
  const Current& c = t_current;
  if (c.scheduler == this && c.in_batch) {
    // Woken by a running batch: it runs here next (its messages are in this core's cache),
    // and whatever was in the slot goes to the run queue where idle workers can steal it.
    Worker& w = *w_[c.index];
    bump(w.counts.handoffs);
    to_next(w, r);
    return;
  }
  count(&Counts::injected);
  {
    std::lock_guard lock(inject_mu_);
    inject_.push_back(r);
    injected_.store(inject_.size(), std::memory_order_release);
  }
  wake_one_if_none_searching();
}

void Scheduler::coalesce(Worker& w, const Runnable* r) {
  // A consumer fed by a sender on another core that keeps catching up takes one or two
  // envelopes per batch: its takes and the sender's pushes then pass the mailbox's lines
  // between the cores at every message, and both slow down (the one-pair collapse,
  // docs/BENCHMARKS.md). With nothing else to run here, it waits while its stream keeps
  // coming, so that its next batch is a full one. The depth is looked at twice: now, and
  // after kCoalesceGap. Nothing new by then (a burst's tail): it runs again at once.
  // Otherwise it waits as long as the rate just seen needs to fill kCoalesceBacklog, at most
  // kCoalesceMax in all, without looking at the depth again: each look takes the line the
  // sender writes at every push. Looking once per µs until 32 were queued cost the sender a
  // miss every few sends and left ~38 per batch: the collapse's slow mode (docs/BENCHMARKS.md,
  // session 13). The price: a stream that stops just after the second look still waits the
  // rest (at most kCoalesceMax, the bound there was before). Not with more workers than cores
  // (the sender may need this core), and never while other work waits anywhere.
  if (oversubscribed_) return;
  const std::size_t depth = r->backlog();
  if (depth >= kCoalesceBacklog) return;
  const auto start = std::chrono::steady_clock::now();
  // False when the wait ended for other work: injected, or queued at another worker (looked
  // at once per kCoalesceGap: those are the run queues' counts, not the sender's lines).
  const auto wait_until = [&](std::chrono::steady_clock::time_point until) {
    auto look = start + kCoalesceGap;
    for (;;) {
      for (int i = 0; i < 8; ++i) cpu_relax();
      if (injected_.load(std::memory_order_relaxed) != 0 || stopping_.load(std::memory_order_relaxed)) return false;
      const auto now = std::chrono::steady_clock::now();
      if (now >= look || now >= until) {
        if (visible_work(false)) return false;  // this worker should steal it
        look = now + kCoalesceGap;
      }
      if (now >= until) return true;
    }
  };
  if (!wait_until(start + kCoalesceGap)) return;
  const std::size_t d = r->backlog();
  bump(w.counts.coalesced);
  if (d <= depth || d >= kCoalesceBacklog) return;
  // (kCoalesceBacklog - d) more at the rate (d - depth) per kCoalesceGap.
  const auto more = kCoalesceGap * static_cast<std::int64_t>(kCoalesceBacklog - d) / static_cast<std::int64_t>(d - depth);
  wait_until(start + std::min<std::chrono::nanoseconds>(kCoalesceMax, kCoalesceGap + more));
}

void Scheduler::to_next(Worker& w, Runnable* r) {
  w.next_gen.store(w.next_gen.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  // seq_cst: the exchange orders the slot's new runnable before the look at sleeping_
  // as the fence in wake_one_if_none_searching would (a locked xchg on x86 either way).
  if (Runnable* prev = w.next.exchange(r, std::memory_order_seq_cst)) {
    push_local(w, prev);
  } else {
    wake_one_if_none_searching(true);  // someone must watch in case this batch runs long
  }
}

void Scheduler::push_local(Worker& w, Runnable* r) {
  std::size_t n;
  {
    std::lock_guard lock(w.mu);
    w.queue.push_back(r);
    n = w.queue.size();
    w.size.store(n, std::memory_order_release);
  }
  // The owner takes one next; anything beyond that is for a thief.
  if (n >= 2 || w.next.load(std::memory_order_relaxed) != nullptr) wake_one_if_none_searching();
}

void Scheduler::wake_one_if_none_searching(bool after_seq_cst_write) {
  // Pairs with the fence in search(): either the parking worker sees the work just queued,
  // or this sees it parking. A caller whose write of that work was a seq_cst operation needs
  // no fence: its seq_cst loads below come after it in the single total order.
  if (!after_seq_cst_write) std::atomic_thread_fence(std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_seq_cst) == 0) return;
  if (spinning_.load(std::memory_order_seq_cst) != 0) {
    count(&Counts::wakes_skipped);
    return;
  }
  {
    std::lock_guard lock(park_mu_);
    if (wakeups_ >= sleeping_.load(std::memory_order_relaxed)) return;
    ++wakeups_;
  }
  count(&Counts::wakes);
  park_cv_.notify_one();
}

bool Scheduler::take_queued(Worker& w, Runnable* r) {
  Runnable* expected = r;
  if (w.next.load(std::memory_order_relaxed) == r &&
      w.next.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) {
    return true;
  }
  if (w.size.load(std::memory_order_relaxed) == 0) return false;
  std::lock_guard lock(w.mu);
  const auto it = std::find(w.queue.begin(), w.queue.end(), r);
  if (it == w.queue.end()) return false;
  w.queue.erase(it);
  w.size.store(w.queue.size(), std::memory_order_release);
  return true;
}

bool Scheduler::claim(Runnable* consumer, bool look_elsewhere) {
  const Current& c = t_current;
  if (c.scheduler != this || !c.in_batch || c.helping) return false;
  const char* here = static_cast<const char*>(__builtin_frame_address(0));
  if (c.stack_top == nullptr || here > c.stack_top || static_cast<std::size_t>(c.stack_top - here) > kHelpStackUse) {
    return false;
  }
  Worker& w = *w_[c.index];
  const bool maybe_here = w.next.load(std::memory_order_relaxed) == consumer || w.size.load(std::memory_order_relaxed) != 0;
  if (!maybe_here && !look_elsewhere) return false;
  // Only while every other worker is in a batch of something else: a worker that is looking
  // for work, parked, or between batches takes the consumer soon and runs it beside this
  // batch (two cores beat one: the one-pair pipeline).
  if (spinning_.load(std::memory_order_relaxed) != 0 || sleeping_.load(std::memory_order_relaxed) != 0) return false;
  for (const auto& o : w_) {
    if (o.get() == &w) continue;
    const Runnable* r = o->running.load(std::memory_order_acquire);
    if (r == nullptr || r == consumer) return false;
  }
  // Queued here, or (when asked) waiting behind another worker's batch: taken out of the queue
  // as a thief would. One running now is not queued at all.
  if (maybe_here && take_queued(w, consumer)) return true;
  for (unsigned k = 1; look_elsewhere && k < workers_; ++k) {
    if (take_queued(*w_[(c.index + k) % workers_], consumer)) return true;
  }
  return false;
}

void Scheduler::run_claimed(Runnable* consumer, unsigned max_batches) {
  Current& c = t_current;
  Worker& w = *w_[c.index];
  bump(w.counts.helps);
  c.helping = true;
  bool more = true;
  const unsigned n = std::clamp(max_batches, 1u, kHelpMaxBatches);
  const auto until = std::chrono::steady_clock::now() + kHelpMaxTime;
  try {
    for (unsigned i = 0; more && i < n; ++i) {
      if (i > 0 && (!consumer->helpable() || std::chrono::steady_clock::now() >= until)) break;
      more = consumer->run_nested();
      bump(w.counts.help_batches);
    }
  } catch (...) {  // (run_batch handles each envelope's failures; this is for the rest, e.g. bad_alloc)
    c.helping = false;
    to_next(w, consumer);
    throw;
  }
  c.helping = false;
  // It runs after the sender's batch, here, or where a worker takes it (as schedule()).
  if (more) to_next(w, consumer);
}

Scheduler::Worker* Scheduler::consumer_worker(const Runnable* consumer, Worker** self) const {
  const Current& c = t_current;
  if (c.scheduler != this || !c.in_batch || workers_ < 2) return nullptr;
  *self = w_[c.index].get();
  for (const auto& o : w_) {
    if (o.get() == *self || o->running.load(std::memory_order_acquire) != consumer) continue;
    return o->throttling.load(std::memory_order_seq_cst) ? nullptr : o.get();
  }
  return nullptr;
}

bool Scheduler::try_start_spinning() {
  unsigned s = spinning_.load(std::memory_order_relaxed);
  while (s < max_spinning_) {
    if (spinning_.compare_exchange_weak(s, s + 1, std::memory_order_seq_cst)) return true;
  }
  return false;
}

bool Scheduler::visible_work(bool count_next) const {
  if (injected_.load(std::memory_order_relaxed) != 0) return true;
  for (const auto& w : w_) {
    if (w->size.load(std::memory_order_relaxed) != 0) return true;
    if (count_next && w->next.load(std::memory_order_relaxed) != nullptr) return true;
  }
  return false;
}

Runnable* Scheduler::take_injected(Worker& w) {
  Runnable* batch[32];
  std::size_t n = 0;
  {
    std::lock_guard lock(inject_mu_);
    // A fair share, so that one worker does not take everything a burst injected.
    const std::size_t share = std::min<std::size_t>(std::size(batch), inject_.size() / workers_ + 1);
    for (; n < share && !inject_.empty(); ++n) {
      batch[n] = inject_.front();
      inject_.pop_front();
    }
    injected_.store(inject_.size(), std::memory_order_release);
  }
  if (n == 0) return nullptr;
  if (n > 1) {
    std::lock_guard lock(w.mu);
    w.queue.insert(w.queue.end(), batch + 1, batch + n);
    w.size.store(w.queue.size(), std::memory_order_release);
  }
  return batch[0];
}

Runnable* Scheduler::steal(Worker& w, std::chrono::steady_clock::time_point now) {
  // Start at a different victim each time, so thieves spread over the workers.
  const unsigned start = w.index + 1 + w.tick % workers_;
  const bool look_at_next = now - w.next_looked >= kNextStealAfter;
  if (look_at_next) w.next_looked = now;
  for (unsigned k = 0; k < workers_; ++k) {
    const unsigned v = (start + k) % workers_;
    if (v == w.index) continue;
    Worker& o = *w_[v];
    if (o.size.load(std::memory_order_relaxed) != 0) {
      Runnable* batch[32];
      std::size_t n = 0;
      {
        std::lock_guard lock(o.mu);
        const std::size_t half = std::min<std::size_t>(std::size(batch), (o.queue.size() + 1) / 2);
        for (; n < half; ++n) {
          batch[n] = o.queue.front();
          o.queue.pop_front();
        }
        o.size.store(o.queue.size(), std::memory_order_release);
      }
      if (n > 1) {
        std::lock_guard lock(w.mu);
        w.queue.insert(w.queue.end(), batch + 1, batch + n);
        w.size.store(w.queue.size(), std::memory_order_release);
      }
      if (n > 0) {
        bump(w.counts.steals);
        return batch[0];
      }
    }
    // Its next runnable waits for the end of its batch; take it only when it has waited
    // there for kNextStealAfter (seen by this worker: the same fill of the slot since then).
    // A consumer woken by a sender in a long batch thus starts with 10-20 µs of messages
    // queued, not one: woken per message, a consumer that keeps catching up pulls the
    // mailbox's lines from the sender's core at every send and slows both (the one-pair
    // collapse: 1-3 messages per batch, docs/BENCHMARKS.md). Looked at once per
    // kNextStealAfter, not at every turn: each look by another core makes the owner's next
    // write to these lines a miss, and the owner writes them at every hand-off (a round trip
    // on one worker: p99 1.06-1.16 µs with a look every 2.5 µs, 0.87-0.93 µs with one every
    // 10 µs; docs/BENCHMARKS.md, session 13). A runnable stuck there waits 10-20 µs.
    if (!look_at_next) continue;
    const std::uint64_t g = o.next_gen.load(std::memory_order_acquire);
    if (g != w.seen_gen[v]) {
      w.seen_gen[v] = g;
      w.seen_at[v] = now;
      continue;
    }
    if (o.next.load(std::memory_order_relaxed) == nullptr || now - w.seen_at[v] < kNextStealAfter) continue;
    if (Runnable* r = o.next.exchange(nullptr, std::memory_order_acq_rel)) {
      bump(w.counts.next_steals);
      return r;
    }
  }
  return nullptr;
}

Runnable* Scheduler::next_local(Worker& w) {
  ++w.tick;
  if (w.tick % kInjectEvery == 0 && injected_.load(std::memory_order_relaxed) != 0) {
    // Now and then the injection queue goes first, so local work cannot starve it.
    if (Runnable* r = take_injected(w)) {
      if (w.size.load(std::memory_order_relaxed) > 1) wake_one_if_none_searching();
      return r;
    }
  }
  Runnable* r = w.next.load(std::memory_order_relaxed) ? w.next.exchange(nullptr, std::memory_order_acq_rel) : nullptr;
  // Two runnables waking each other would keep the run queue waiting: after kMaxNextRuns
  // in a row, the next runnable goes behind it.
  if (r && (++w.next_runs <= kMaxNextRuns || w.size.load(std::memory_order_relaxed) == 0)) {
    bump(w.counts.next_runs);
    return r;
  }
  if (r == nullptr && w.size.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard lock(w.mu);
  if (r) w.queue.push_back(r);
  w.next_runs = 0;
  if (w.queue.empty()) return nullptr;
  r = w.queue.front();
  w.queue.pop_front();
  w.size.store(w.queue.size(), std::memory_order_release);
  return r;
}

Runnable* Scheduler::search(Worker& w) {
  for (;;) {
    if (stopping_.load(std::memory_order_acquire)) return nullptr;
    const bool spinning = try_start_spinning();
    auto now = std::chrono::steady_clock::now();
    const auto until = now + spin_;
    for (;;) {
      Runnable* r = injected_.load(std::memory_order_relaxed) != 0 ? take_injected(w) : nullptr;
      if (r == nullptr) r = steal(w, now);
      if (r != nullptr) {
        if (spinning) {
          spinning_.fetch_sub(1, std::memory_order_seq_cst);
          bump(w.counts.spin_found);
        }
        // Found more than it runs now: another worker may help.
        if (w.size.load(std::memory_order_relaxed) != 0 || injected_.load(std::memory_order_relaxed) != 0) {
          wake_one_if_none_searching();
        }
        return r;
      }
      if (!spinning || now >= until || stopping_.load(std::memory_order_relaxed)) break;
      if (oversubscribed_) {
        std::this_thread::yield();  // a worker with work may be waiting for this core
      } else {
        for (int i = 0; i < 16; ++i) cpu_relax();
      }
      now = std::chrono::steady_clock::now();
    }
    if (spinning) spinning_.fetch_sub(1, std::memory_order_seq_cst);
    std::unique_lock lock(park_mu_);
    sleeping_.fetch_add(1, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with wake_one_if_none_searching
    // A next runnable waits for its worker's batch to end; someone must keep watching it in
    // case that batch runs long: the last searcher does.
    const bool count_next = spinning_.load(std::memory_order_relaxed) == 0;
    if (stopping_.load(std::memory_order_relaxed) || visible_work(count_next)) {
      sleeping_.fetch_sub(1, std::memory_order_seq_cst);
      continue;
    }
    bump(w.counts.parks);
    park_cv_.wait(lock, [&] { return stopping_.load(std::memory_order_relaxed) || wakeups_ > 0; });
    if (wakeups_ > 0) --wakeups_;
    sleeping_.fetch_sub(1, std::memory_order_seq_cst);
  }
}

void Scheduler::work(unsigned index) {
  t_current = Current{this, index, false, false, static_cast<const char*>(__builtin_frame_address(0))};
  Worker& w = *w_[index];
  while (!stopping_.load(std::memory_order_acquire)) {
    Runnable* r = next_local(w);
    if (r == nullptr) r = search(w);
    if (r == nullptr) break;
    w.batches.store(w.batches.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    t_current.in_batch = true;
    w.running.store(r, std::memory_order_release);
    const bool more = r->run_batch();
    w.running.store(nullptr, std::memory_order_release);
    t_current.in_batch = false;
    bump(w.counts.batches);
    if (!more) bump(w.counts.drained);
    // Batch used up with work left: behind what else waits here (fairness).
    if (more) {
      coalesce(w, r);
      push_local(w, r);
    }
  }
  t_current = Current{};
}

}  // namespace wactor::actor
