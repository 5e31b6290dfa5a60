// Recycled buffers for message payloads too big to travel inline. A payload is allocated on
// the sender's worker and freed on the receiver's: with glibc that is a free into another
// thread's arena (its lock, contended by the sender's next malloc) and, while the queue grows,
// fresh arena pages (mprotect, page faults). Here a freed buffer goes to the freeing thread's
// cache; full caches move half to a shared list (one mutex per batch, not per message) where
// an empty cache refills from. Sizes are powers of two from 64 B to 64 KiB; bigger ones are
// plain allocations. What the pool keeps is bounded: kLocalBytes per size per thread,
// kSharedBytes per size shared; the rest is freed. @threadsafe
#pragma once

#include <cstddef>
#include <cstdint>

namespace wactor::actor {

class BufferPool {
 public:
  static constexpr std::size_t kMinSize = 64;
  static constexpr std::size_t kMaxSize = 64 * 1024;
  static constexpr std::size_t kLocalBytes = 256 * 1024;
  static constexpr std::size_t kSharedBytes = 8 * 1024 * 1024;

  // A buffer of at least `n` bytes; its capacity (what release() takes) in `*capacity`.
  static char* acquire(std::size_t n, std::size_t* capacity);
  static void release(char* p, std::size_t capacity) noexcept;

  // Bytes held in the shared lists (tests: the bound holds).
  static std::size_t shared_bytes();
  // Returns this thread's cached buffers to the shared lists (or frees them) now.
  static void flush_thread() noexcept;
};

}  // namespace wactor::actor
