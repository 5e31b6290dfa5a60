// A fixed pool of owned worker threads shared by all actors. Each worker has its own run
// queue and a one-entry "next" slot; threads that are not workers feed a shared injection
// queue; idle workers steal, spin a little, then park. Nothing on the way from a send to a
// run is shared by all workers (docs/BENCHMARKS.md, "Scaling").
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "actor/own_counter.h"
#include "actor/spin_lock.h"
#include "wactor/metrics.h"

namespace wactor::actor {

class Runnable {
 public:
  virtual ~Runnable() = default;
  // Runs a bounded batch of work; true if more work is waiting and it must be run again.
  virtual bool run_batch() = 0;
  // The same, nested in another runnable's batch (Scheduler::run_claimed): it may end its
  // batch early, after anything that took long.
  virtual bool run_nested() { return run_batch(); }
  // False once it should not be run nested any more (run_claimed stops). @threadsafe
  virtual bool helpable() const { return true; }
  // How much work waits for its next batch (a mailbox's depth), if it knows. @threadsafe
  virtual std::size_t backlog() const { return SIZE_MAX; }
};

class Scheduler {
 public:
  // An idle worker looks for work for `spin` before it parks (0: parks at once; at most an
  // hour).
  explicit Scheduler(unsigned workers, std::chrono::microseconds spin = kDefaultSpin);
  ~Scheduler();  // stops and joins
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void start();
  // Stops taking work and joins the workers; queued runnables are left unrun.
  void stop();
  // Enqueues a runnable (it must not already be queued or running). Called by one of this
  // scheduler's workers during a batch, it goes to that worker's next slot: it runs on the
  // same thread once the batch ends, unless the batch runs long and an idle worker takes
  // it. From any other thread it goes to the injection queue. @threadsafe
  void schedule(Runnable* r);
  unsigned workers() const { return workers_; }
  // Which worker of which scheduler the calling thread is ({nullptr, 0} for any other
  // thread): the key of per-worker state kept outside the scheduler (sandbox::Allowance).
  struct WorkerId {
    const void* pool = nullptr;
    unsigned index = 0;
  };
  static WorkerId current_worker();
  // Back-pressure for a batch that outruns a consumer (docs/BENCHMARKS.md, "The collapse:
  // cause and fix"): called by a worker during a batch after it queued work for `consumer`
  // and found `consumer`'s backlog deep. While `consumer` runs on another worker (which is
  // not waiting like this itself), spins until `caught_up()` holds, at most kThrottleMax.
  // Returns at once elsewhere (any other thread, a consumer waiting to run, or one worker).
  // True if it waited. @threadsafe
  template <class Pred>
  bool throttle(const Runnable* consumer, Pred caught_up);
  // The backlog (envelopes) past which a sender should throttle(), and wait until half of it
  // is left: ~0.5 MiB of envelopes, in the caches of both cores.
  static constexpr std::size_t kThrottleBacklog = 4096;
  // Helping, wactor's answer to preemption (docs/BENCHMARKS.md, "Many pairs: helping"):
  // while every other worker is in a batch of something else, a handler that sends far ahead
  // of a consumer waiting for a worker (in this worker's next slot or run queue, behind the
  // handler's own long batch, or with `look_elsewhere` in another worker's) runs up to
  // `max_batches` of that consumer's batches (Runnable::run_nested) here and now, nested in
  // its own, while the messages are still in this core's cache. Only from a batch of this
  // scheduler that is not helping already, with the native stack still shallow. The runnable
  // is taken out of its queue first, as a thief would, so it runs nowhere else meanwhile, and
  // goes to this worker's next slot if work is left. Called with no lock held (the
  // consumer's handlers run inside). In two steps, so that the caller reads its clock only
  // when it helps: claim() takes the runnable (false: not queued where it looked, or not
  // allowed now), and run_claimed() must follow at once on the same thread. @threadsafe
  [[nodiscard]] bool claim(Runnable* consumer, bool look_elsewhere = false);
  void run_claimed(Runnable* consumer, unsigned max_batches);
  // coalesce(): a runnable that left fewer than kCoalesceBacklog envelopes (a component's
  // full batch) waits for more while they keep coming (any within kCoalesceGap), for as long
  // as the rate seen in that gap needs to fill a batch, at most kCoalesceMax.
  static constexpr std::size_t kCoalesceBacklog = 64;
  static constexpr std::chrono::microseconds kCoalesceMax{10};
  static constexpr std::chrono::nanoseconds kCoalesceGap{1000};
  // How long an idle worker keeps looking before it parks, unless told otherwise
  // (RuntimeOptions::worker_spin): a send to a consumer on a parked worker's side pays a
  // futex wake, several µs on a virtual machine. 50 µs made one round trip in a hundred pay
  // one (p99 4.3 µs against p98 1.3 µs); 300 µs: p99 1.1 µs (docs/BENCHMARKS.md, "Round-trip
  // p99: parked workers").
  static constexpr std::chrono::microseconds kDefaultSpin{300};
  // The backlog past which a sender helps (an eighth of what makes it throttle).
  static constexpr std::size_t kHelpBacklog = 512;
  // Workers parked now (for tests and metrics). @threadsafe
  unsigned parked() const { return sleeping_.load(std::memory_order_acquire); }
  // What the workers did since construction, summed over them (a few relaxed loads per
  // worker; each counter is written by one thread only). @threadsafe
  SchedulerStats stats() const;

 private:
  struct Counts {
#define WACTOR_FIELD(name, doc) std::atomic<std::uint64_t> name{0};
    WACTOR_SCHEDULER_COUNTERS(WACTOR_FIELD)
#undef WACTOR_FIELD
  };
  using Counter = std::atomic<std::uint64_t> Counts::*;

  struct alignas(64) Worker {
    // Written by the owner once per batch and per schedule; read by idle workers.
    std::atomic<Runnable*> next{nullptr};
    std::atomic<std::uint64_t> next_gen{0};  // bumped each time the owner fills `next` (steal())
    std::atomic<std::uint64_t> batches{0};
    std::atomic<const Runnable*> running{nullptr};  // the batch running now
    std::atomic<bool> throttling{false};           // in throttle(), waiting for another worker
    // The run queue: the owner pushes at the back; the owner and thieves take at the front.
    alignas(64) SpinLock mu;
    std::deque<Runnable*> queue;
    std::atomic<std::size_t> size{0};  // queue.size(), readable without the lock
    // Owner only: what this worker last saw of each other worker (see steal()).
    alignas(64) std::vector<std::uint64_t> seen_gen;
    std::vector<std::chrono::steady_clock::time_point> seen_at;
    std::chrono::steady_clock::time_point next_looked{};  // when steal() last looked at next slots
    unsigned index = 0;
    std::uint32_t tick = 0;
    unsigned next_runs = 0;  // batches taken from `next` in a row
    // Owner only: the consumer batch this worker last waited for in throttle(), and since when.
    const Worker* stall_worker = nullptr;
    std::uint64_t stall_batch = 0;
    std::chrono::steady_clock::time_point stall_since{};
    Counts counts;           // written by the owner only
  };

  // Counts one event: on the calling worker's own counters, or (another thread) on outside_.
  void count(Counter c);
  static void bump(std::atomic<std::uint64_t>& c) { own_add(c); }

  void work(unsigned index);
  Runnable* next_local(Worker& w);
  Runnable* search(Worker& w);
  Runnable* take_injected(Worker& w);
  // Takes `r` out of w's next slot or run queue, if it is there.
  bool take_queued(Worker& w, Runnable* r);
  Runnable* steal(Worker& w, std::chrono::steady_clock::time_point now);
  void push_local(Worker& w, Runnable* r);
  // Puts `r` in w's next slot (called by w's owner): a new fill for thieves to time; what
  // was there goes to the run queue, or else a parked worker is woken to watch the slot.
  void to_next(Worker& w, Runnable* r);
  // After a batch of `r` that left a little work, on a worker with nothing else to run.
  void coalesce(Worker& w, const Runnable* r);
  bool visible_work(bool count_next) const;
  void wake_one_if_none_searching(bool after_seq_cst_write = false);
  bool try_start_spinning();
  // The worker running `consumer` now, if it is not the caller's and not throttling itself;
  // the caller's worker, or nullptr if the caller is not in a batch of this scheduler.
  Worker* consumer_worker(const Runnable* consumer, Worker** self) const;

  // A worker may take another's `next` runnable once it has waited there at least this long
  // (it looks once per this long: 10-20 µs).
  static constexpr std::chrono::microseconds kNextStealAfter{10};
  static constexpr unsigned kMaxNextRuns = 8;     // then the run queue goes first (fairness)
  static constexpr std::uint32_t kInjectEvery = 61;  // ticks between looks at the injection queue
  static constexpr std::chrono::microseconds kThrottleMax{1000};  // per throttle() call
  static constexpr std::chrono::microseconds kThrottleSpin{20};   // then it yields between looks
  // A consumer stuck in one batch this long (a long handler: slow, or hostile) is not waited
  // for any more until that batch ends: each send past the backlog would wait kThrottleMax
  // again, so a sender would pay about one wait per send. Batches of a slow but moving
  // consumer end well before (64 messages of ~750 µs each), and so do the batches of a
  // consumer whose thread the OS put aside for a few time slices on a loaded machine.
  static constexpr std::chrono::milliseconds kThrottleStall{50};
  // claim() only while the worker's stack holds less than this (the sender's guest frames
  // and host calls): a consumer run nested has the rest, all but this much of what it has
  // when it runs on its own (docs/ABI.md, limits).
  static constexpr std::size_t kHelpStackUse = 256u << 10;
  static constexpr unsigned kHelpMaxBatches = 16;
  // ... and no new batch once this long passed (a batch itself ends with its handler calls).
  static constexpr std::chrono::microseconds kHelpMaxTime{200};

  const unsigned workers_;
  const unsigned max_spinning_;
  const bool oversubscribed_;  // more workers than cores: searchers yield instead of spinning
  const std::chrono::microseconds spin_;  // how long a searcher looks before it parks
  std::vector<std::unique_ptr<Worker>> w_;

  alignas(64) SpinLock inject_mu_;
  std::deque<Runnable*> inject_;
  std::atomic<std::size_t> injected_{0};  // inject_.size()

  alignas(64) std::atomic<unsigned> spinning_{0};  // workers searching for work
  std::atomic<unsigned> sleeping_{0};              // workers parked (or about to)
  std::atomic<bool> stopping_{false};

  std::mutex park_mu_;
  std::condition_variable park_cv_;
  unsigned wakeups_ = 0;  // under park_mu_: parked workers told to look again
  std::vector<std::jthread> threads_;
  Counts outside_;  // events on threads that are not workers (fetch_add)
};

template <class Pred>
bool Scheduler::throttle(const Runnable* consumer, Pred caught_up) {
  Worker* self = nullptr;
  Worker* o = consumer_worker(consumer, &self);
  if (o == nullptr || caught_up()) return false;
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t batch = o->batches.load(std::memory_order_acquire);
  if (self->stall_worker != o || self->stall_batch != batch) {
    self->stall_worker = o;
    self->stall_batch = batch;
    self->stall_since = start;
  } else if (start - self->stall_since >= kThrottleStall) {
    bump(self->counts.throttle_skipped);
    return false;
  }
  self->throttling.store(true, std::memory_order_seq_cst);
  bump(self->counts.throttled);
  const auto until = start + kThrottleMax;
  // Stops when the consumer caught up, stopped running there (its batch ended: it may be
  // waiting for a worker), or its worker throttles too (two senders waiting for each other).
  for (unsigned i = 1; !caught_up(); ++i) {
    if (o->running.load(std::memory_order_acquire) != consumer || o->throttling.load(std::memory_order_seq_cst)) break;
    if (i % 64 == 0) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= until) {
        bump(self->counts.throttle_timeouts);
        break;
      }
      // Long enough that the consumer's thread may have lost its core: give this one away.
      if (now >= start + kThrottleSpin) std::this_thread::yield();
    }
    cpu_relax();
  }
  self->throttling.store(false, std::memory_order_release);
  return true;
}

}  // namespace wactor::actor
