#include "actor/buffer_pool.h"

#include <algorithm>
#include <array>
#include <bit>
#include <mutex>
#include <new>
#include <vector>

#include <sanitizer/asan_interface.h>  // no-op macros unless built with ASan

namespace wactor::actor {
namespace {

constexpr std::size_t kMinShift = 6;  // 64 B
constexpr std::size_t kClasses = 11;  // 64 B .. 64 KiB
static_assert(std::size_t{1} << kMinShift == BufferPool::kMinSize);
static_assert(std::size_t{1} << (kMinShift + kClasses - 1) == BufferPool::kMaxSize);

constexpr std::size_t size_of(std::size_t c) { return std::size_t{1} << (kMinShift + c); }
// Buffers per class a thread keeps (at least 2, so a flush moves one or more).
constexpr std::size_t local_max(std::size_t c) {
  const std::size_t n = BufferPool::kLocalBytes / size_of(c);
  return n < 2 ? 2 : n > 64 ? 64 : n;
}
std::size_t class_of(std::size_t n) {
  if (n <= BufferPool::kMinSize) return 0;
  return static_cast<std::size_t>(std::bit_width(n - 1)) - kMinShift;
}

void free_buffer(char* p, std::size_t capacity) noexcept {
  ASAN_UNPOISON_MEMORY_REGION(p, capacity);
  ::operator delete(p);
}

struct Shared {
  std::array<std::mutex, kClasses> mu;
  std::array<std::vector<char*>, kClasses> free;
};
// Never destroyed: threads' caches flush into it at their exit, whenever that is.
Shared& shared() {
  static Shared* s = new Shared;
  return *s;
}

struct Local {
  std::array<std::vector<char*>, kClasses> free;
  ~Local() { flush(); }
  void flush() noexcept {
    for (std::size_t c = 0; c < kClasses; ++c) give(c, free[c].size());
  }
  // Moves the last `n` buffers of class c to the shared list, freeing what exceeds its bound.
  void give(std::size_t c, std::size_t n) noexcept {
    auto& mine = free[c];
    const std::size_t keep = mine.size() - n;
    {
      Shared& s = shared();
      std::lock_guard lock(s.mu[c]);
      const std::size_t room = BufferPool::kSharedBytes / size_of(c);
      auto& theirs = s.free[c];
      try {
        while (mine.size() > keep && theirs.size() < room) {
          theirs.push_back(mine.back());
          mine.pop_back();
        }
      } catch (...) {  // no memory for the list: the buffers are freed below
      }
    }
    while (mine.size() > keep) {
      free_buffer(mine.back(), size_of(c));
      mine.pop_back();
    }
  }
  // Refills class c from the shared list (up to half a cache); false if it had none.
  bool take(std::size_t c) {
    Shared& s = shared();
    std::lock_guard lock(s.mu[c]);
    auto& theirs = s.free[c];
    if (theirs.empty()) return false;
    const std::size_t n = std::min(theirs.size(), local_max(c) / 2);
    free[c].insert(free[c].end(), theirs.end() - static_cast<std::ptrdiff_t>(n), theirs.end());
    theirs.resize(theirs.size() - n);
    return true;
  }
};

Local& local() {
  thread_local Local l;
  return l;
}

}  // namespace

char* BufferPool::acquire(std::size_t n, std::size_t* capacity) {
  if (n > kMaxSize) {
    *capacity = n;
    return static_cast<char*>(::operator new(n));
  }
  const std::size_t c = class_of(n);
  *capacity = size_of(c);
  Local& l = local();
  auto& mine = l.free[c];
  if (mine.empty()) {
    mine.reserve(local_max(c));
    l.take(c);
  }
  if (!mine.empty()) {
    char* p = mine.back();
    mine.pop_back();
    ASAN_UNPOISON_MEMORY_REGION(p, size_of(c));
    return p;
  }
  return static_cast<char*>(::operator new(size_of(c)));
}

void BufferPool::release(char* p, std::size_t capacity) noexcept {
  if (p == nullptr) return;
  if (capacity > kMaxSize) {
    free_buffer(p, capacity);
    return;
  }
  const std::size_t c = class_of(capacity);
  // A pooled buffer is poisoned until it is handed out again: ASan still reports a payload
  // read after its release (a use-after-free the pool would otherwise hide).
  ASAN_POISON_MEMORY_REGION(p, capacity);
  Local& l = local();
  auto& mine = l.free[c];
  if (mine.size() >= local_max(c)) l.give(c, local_max(c) / 2);
  if (mine.capacity() > mine.size()) {
    mine.push_back(p);  // no allocation: reserved to local_max at the first acquire or below
    return;
  }
  try {
    mine.reserve(local_max(c));
    mine.push_back(p);
  } catch (...) {
    free_buffer(p, capacity);
  }
}

std::size_t BufferPool::shared_bytes() {
  Shared& s = shared();
  std::size_t total = 0;
  for (std::size_t c = 0; c < kClasses; ++c) {
    std::lock_guard lock(s.mu[c]);
    total += s.free[c].size() * size_of(c);
  }
  return total;
}

void BufferPool::flush_thread() noexcept { local().flush(); }

}  // namespace wactor::actor
