// The recycled payload buffers (actor/buffer_pool.h): bytes kept across moves and threads,
// buffers reused, and the bounds of what the pool keeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sanitizer/asan_interface.h>

#include "actor/buffer_pool.h"
#include "actor/mailbox.h"
#include "actor/payload.h"

namespace wactor::actor {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(BufferPool, SizesAreRoundedToAPowerOfTwoBigOnesArePlain) {
  for (const std::size_t n : {std::size_t{1}, std::size_t{64}, std::size_t{65}, std::size_t{1024}, std::size_t{1025},
                              BufferPool::kMaxSize, BufferPool::kMaxSize + 1}) {
    std::size_t cap = 0;
    char* p = BufferPool::acquire(n, &cap);
    ASSERT_NE(p, nullptr);
    EXPECT_GE(cap, n);
    if (n <= BufferPool::kMaxSize) {
      EXPECT_EQ(cap & (cap - 1), 0u) << n;
      EXPECT_LT(cap, 2 * std::max<std::size_t>(n, BufferPool::kMinSize)) << n;
    } else {
      EXPECT_EQ(cap, n);
    }
    std::memset(p, 0x5a, n);
    BufferPool::release(p, cap);
  }
}

TEST(BufferPool, AReleasedBufferIsReusedOnTheSameThread) {
  std::size_t cap = 0;
  char* p = BufferPool::acquire(1000, &cap);
  BufferPool::release(p, cap);
  char* q = BufferPool::acquire(1000, &cap);
  EXPECT_EQ(p, q);
  BufferPool::release(q, cap);
}

// Under ASan a pooled buffer is poisoned between its release and its next acquire, so a
// payload read after its release is still reported (the pool would otherwise hide it).
#if defined(__SANITIZE_ADDRESS__) || (defined(__has_feature) && __has_feature(address_sanitizer))
TEST(BufferPool, AReleasedBufferIsPoisonedUntilHandedOutAgain) {
  std::size_t cap = 0;
  char* p = BufferPool::acquire(1000, &cap);
  std::memset(p, 'x', cap);
  BufferPool::release(p, cap);
  EXPECT_TRUE(__asan_address_is_poisoned(p));
  EXPECT_TRUE(__asan_address_is_poisoned(p + cap - 1));
  char* q = BufferPool::acquire(1000, &cap);
  ASSERT_EQ(q, p);  // this thread's cache gives it back
  EXPECT_FALSE(__asan_address_is_poisoned(q));
  EXPECT_FALSE(__asan_address_is_poisoned(q + cap - 1));
  BufferPool::release(q, cap);
}
#endif

TEST(BufferPool, BuffersFreedOnTheReceiverComeBackToTheSender) {
  // The message path: one thread acquires, another releases (after a flush of its cache,
  // which a full cache does by itself); the first reuses those buffers.
  std::vector<char*> sent;
  std::size_t cap = 0;
  for (int i = 0; i < 16; ++i) sent.push_back(BufferPool::acquire(1024, &cap));
  BufferPool::flush_thread();  // this thread's cache is empty: what it takes next comes from the shared list
  std::thread receiver([&] {
    for (char* p : sent) BufferPool::release(p, cap);
    BufferPool::flush_thread();  // the receiver's buffers are the shared list's last
  });
  receiver.join();
  std::set<char*> before(sent.begin(), sent.end());
  std::vector<char*> again;
  for (int i = 0; i < 16; ++i) again.push_back(BufferPool::acquire(1024, &cap));
  std::size_t reused = 0;
  for (char* p : again) reused += before.count(p);
  EXPECT_GT(reused, 0u);
  for (char* p : again) BufferPool::release(p, cap);
}

TEST(BufferPool, WhatThePoolKeepsIsBounded) {
  // 64 MiB of 64 KiB buffers released at once: the shared lists keep at most kSharedBytes
  // per size, a thread at most kLocalBytes; the rest is freed.
  std::vector<char*> many;
  std::size_t cap = 0;
  for (int i = 0; i < 1024; ++i) many.push_back(BufferPool::acquire(BufferPool::kMaxSize, &cap));
  std::thread other([&] {
    for (char* p : many) BufferPool::release(p, cap);
  });
  other.join();  // its cache flushed at its exit
  EXPECT_LE(BufferPool::shared_bytes(), 11 * BufferPool::kSharedBytes);  // 11 sizes at most
  for (auto& p : many) p = BufferPool::acquire(BufferPool::kMaxSize, &cap);
  for (char* p : many) BufferPool::release(p, cap);
  BufferPool::flush_thread();
  EXPECT_LE(BufferPool::shared_bytes(), 11 * BufferPool::kSharedBytes);
}

TEST(BufferPool, PayloadsAcrossThreadsKeepTheirBytes) {
  // A producer builds pooled payloads, a consumer checks and drops them, concurrently: every
  // message arrives intact (a buffer is never handed out twice).
  constexpr int kMessages = 20'000;
  Mailbox box(1 << 20);
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (int i = 0; i < kMessages; ++i) {
      std::string s(static_cast<std::size_t>(Payload::kInline + 1 + (i % 3000)), static_cast<char>('a' + i % 26));
      Envelope e;
      e.request_id = i;
      e.payload = Payload(bytes(s));
      EXPECT_TRUE(e.payload.is_pooled());
      while (box.push(std::move(e), false) == Mailbox::Push::kFull) std::this_thread::yield();
    }
    done.store(true);
  });
  int seen = 0;
  std::vector<Envelope> batch;
  while (seen < kMessages) {
    batch.clear();
    if (!box.take(batch, 64)) {
      std::this_thread::yield();
      continue;
    }
    for (auto& e : batch) {
      const auto i = static_cast<int>(e.request_id);
      ASSERT_EQ(i, seen);
      ASSERT_EQ(e.payload.size(), Payload::kInline + 1 + static_cast<std::size_t>(i % 3000));
      const auto want = static_cast<char>('a' + i % 26);
      for (char c : e.payload.view()) ASSERT_EQ(c, want);
      ++seen;
    }
  }
  producer.join();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(box.bytes(), 0u);
}

TEST(BufferPool, PooledPayloadMovesCopiesAndTakes) {
  const std::string s(1000, 'p');
  Payload a(bytes(s));
  ASSERT_TRUE(a.is_pooled());
  const char* data = a.data();
  Payload b(std::move(a));
  EXPECT_EQ(b.data(), data);  // a move hands the buffer over
  EXPECT_TRUE(a.empty());     // NOLINT(bugprone-use-after-move): moved-from is empty
  Payload c(b);
  EXPECT_NE(c.data(), b.data());
  EXPECT_EQ(c, s);
  c = Payload("x");
  EXPECT_EQ(c, "x");
  c = b;
  EXPECT_EQ(c, s);
  EXPECT_EQ(std::move(c).take(), s);
  EXPECT_EQ(b, s);
}

}  // namespace
}  // namespace wactor::actor
