// The mailbox's parts that make a send cheap: Payload (small messages inline), Ring (a queue
// that does not allocate in steady state), and the Mailbox semantics built on them.
#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

#include "actor/mailbox.h"
#include "actor/payload.h"
#include "actor/ring.h"
#include "sandbox/allowance.h"

namespace wactor::actor {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(Payload, SmallIsInlineBigIsAString) {
  const std::string small(Payload::kInline, 's');
  const std::string big(Payload::kInline + 1, 'b');
  Payload a(bytes(small));
  Payload b(bytes(big));
  EXPECT_TRUE(a.is_inline());
  EXPECT_FALSE(b.is_inline());
  EXPECT_EQ(a, small);
  EXPECT_EQ(b, big);
  EXPECT_EQ(a.size(), small.size());
  EXPECT_TRUE(Payload().empty());
  EXPECT_TRUE(Payload().is_inline());
}

TEST(Payload, ABigStringMovesInWithoutACopy) {
  std::string body(1 << 20, 'x');
  const char* data = body.data();
  Payload p(std::move(body));
  EXPECT_EQ(p.data(), data);
  Payload q(std::move(p));
  EXPECT_EQ(q.data(), data);
  EXPECT_EQ(std::move(q).take().data(), data);
}

TEST(Payload, CopiesMovesAndAssignmentsKeepTheBytes) {
  for (const std::size_t n : {std::size_t{0}, std::size_t{16}, Payload::kInline, Payload::kInline + 1, std::size_t{5000}}) {
    const std::string s(n, 'q');
    Payload a(s);
    Payload b(a);
    Payload c(std::move(a));
    EXPECT_EQ(b, s);
    EXPECT_EQ(c, s);
    Payload d("short");
    d = b;
    EXPECT_EQ(d, s);
    Payload e(std::string(100, 'z'));
    e = std::move(c);
    EXPECT_EQ(e, s);
    EXPECT_EQ(std::move(e).take(), s);
  }
}

TEST(Ring, MatchesADequeUnderRandomOperations) {
  Ring<std::string> ring;
  std::deque<std::string> ref;
  std::mt19937 rng(7);
  int next = 0;
  for (int step = 0; step < 20000; ++step) {
    const auto op = rng() % 8;
    if (op < 3) {
      ring.push_back(std::to_string(next));
      ref.push_back(std::to_string(next++));
    } else if (op == 3) {
      ring.push_front(std::to_string(next));
      ref.push_front(std::to_string(next++));
    } else if (op < 6 && !ref.empty()) {
      ASSERT_EQ(ring.pop_front(), ref.front());
      ref.pop_front();
      ring.trim();
    } else if (op == 6) {
      const std::size_t at = ref.empty() ? 0 : rng() % (ref.size() + 1);
      std::vector<std::string> in;
      for (std::size_t i = rng() % 40; i > 0; --i) in.push_back(std::to_string(next++));
      // Debian 12's libstdc++ deque, asked to insert an empty range in its middle, was seen
      // to leave an empty string there: the reference only inserts something.
      if (!in.empty()) ref.insert(ref.begin() + static_cast<std::ptrdiff_t>(at), in.begin(), in.end());
      ring.insert(at, in.begin(), in.end());
    } else {
      while (!ref.empty()) {
        ASSERT_EQ(ring.pop_front(), ref.front());
        ref.pop_front();
      }
      ring.trim();
      EXPECT_LE(ring.capacity(), Ring<std::string>::kKeep);
    }
    ASSERT_EQ(ring.size(), ref.size());
    for (std::size_t i = 0; i < ref.size(); i += 7) ASSERT_EQ(ring[i], ref[i]);
  }
}

TEST(Ring, SteadyTrafficDoesNotReallocate) {
  Ring<int> ring;
  for (int i = 0; i < 10; ++i) ring.push_back(int{i});
  for (int i = 0; i < 100; ++i) {  // across a block boundary: the spare is made
    ring.push_back(int{i});
    ring.pop_front();
  }
  const std::size_t cap = ring.capacity();
  for (int i = 0; i < 100000; ++i) {
    ring.push_back(int{i});
    ring.pop_front();
    ring.trim();
  }
  EXPECT_EQ(ring.capacity(), cap);
}

// A backlog that grows moves no queued element (a doubling ring moved them all at each
// doubling), and once drained keeps at most kKeep slots.
TEST(Ring, GrowingMovesNoQueuedElement) {
  struct Moved {
    int* moves;
    explicit Moved(int* m) : moves(m) {}
    Moved(Moved&& o) noexcept : moves(o.moves) { ++*moves; }
    Moved& operator=(Moved&& o) noexcept {
      moves = o.moves;
      ++*moves;
      return *this;
    }
  };
  int moves = 0;
  Ring<Moved> ring;
  for (int round = 0; round < 3; ++round) {
    moves = 0;
    for (int i = 0; i < 50000; ++i) ring.push_back(Moved(&moves));
    EXPECT_EQ(moves, 50000);  // one move in per element, none when blocks are added
    for (int i = 0; i < 50000; ++i) (void)ring.pop_front();
    ring.trim();
    EXPECT_LE(ring.capacity(), Ring<Moved>::kKeep);
  }
}

Envelope message(std::size_t bytes, int tag) {
  Envelope e;
  e.payload = Payload(std::string(bytes, 'm'));
  e.request_id = tag;
  return e;
}

TEST(MailboxQueue, CapacityBytesAndTheHostAllowanceAreExact) {
  sandbox::Allowance host(250);
  Mailbox a(3, 200, &host);
  Mailbox b(10, 0, &host);
  EXPECT_EQ(a.push(message(100, 1), false), Mailbox::Push::kQueuedNeedsSchedule);
  EXPECT_EQ(a.push(message(100, 2), false), Mailbox::Push::kQueued);
  EXPECT_EQ(a.push(message(1, 3), false), Mailbox::Push::kFull);  // its own 200 bytes
  EXPECT_EQ(b.push(message(50, 4), false), Mailbox::Push::kQueuedNeedsSchedule);
  EXPECT_EQ(b.push(message(1, 5), false), Mailbox::Push::kFull);  // the host's 250
  EXPECT_EQ(host.used(), 250u);
  // Callbacks bypass both; counted all the same.
  EXPECT_EQ(b.push(message(10, 6), true), Mailbox::Push::kQueued);
  EXPECT_EQ(host.used(), 260u);
  std::vector<Envelope> out;
  ASSERT_TRUE(a.take(out, 1));
  EXPECT_EQ(host.used(), 160u);
  EXPECT_EQ(a.bytes(), 100u);
  EXPECT_EQ(b.push(message(90, 7), false), Mailbox::Push::kQueued);
  EXPECT_EQ(b.push(message(1, 8), false), Mailbox::Push::kFull);
  // Capacity in messages.
  Mailbox c(2);
  EXPECT_NE(c.push(message(0, 1), false), Mailbox::Push::kFull);
  EXPECT_NE(c.push(message(0, 2), false), Mailbox::Push::kFull);
  EXPECT_EQ(c.push(message(0, 3), false), Mailbox::Push::kFull);
  EXPECT_NE(c.push_front(message(0, 4)), Mailbox::Push::kFull);  // control envelopes ignore it
  EXPECT_EQ(c.size(), 3u);
}

TEST(MailboxQueue, GiveBackKeepsOrderBehindFrontEnvelopes) {
  sandbox::Allowance host(0);
  Mailbox m(100, 0, &host);
  for (int i = 1; i <= 5; ++i) m.push(message(10, i), false);
  std::vector<Envelope> taken;
  ASSERT_TRUE(m.take(taken, 4));
  EXPECT_EQ(host.used(), 10u);
  m.push_front(message(3, 100));
  m.push_front(message(3, 101));
  EXPECT_TRUE(m.urgent());
  m.push(message(10, 6), false);
  m.give_back(taken, 1);  // 2, 3, 4 go back behind 101, 100
  EXPECT_EQ(taken.size(), 1u);
  EXPECT_EQ(host.used(), 10u + 6 + 30 + 10);
  std::vector<Envelope> all;
  ASSERT_TRUE(m.take(all, 100));
  std::vector<std::int64_t> order;
  for (const auto& e : all) order.push_back(e.request_id);
  EXPECT_EQ(order, (std::vector<std::int64_t>{101, 100, 2, 3, 4, 5, 6}));
  EXPECT_EQ(host.used(), 0u);
  EXPECT_EQ(m.bytes(), 0u);
  EXPECT_FALSE(m.take(all, 100));
}

TEST(MailboxQueue, DestroyingAFullMailboxGivesItsBytesBack) {
  sandbox::Allowance host(0);
  {
    Mailbox m(1000, 0, &host);
    for (int i = 0; i < 500; ++i) m.push(message(i % 100, i), false);
    EXPECT_GT(host.used(), 0u);
  }
  EXPECT_EQ(host.used(), 0u);
}

TEST(MailboxQueue, APublishedMessageCarriesItsTopicAheadOfItsBytesAndWeighsBoth) {
  for (std::size_t n : {0u, 5u, 40u, 48u, 1000u, 70000u}) {  // inline, at the inline edge, pooled
    std::string body(n, 'b');
    for (std::size_t i = 0; i < n; ++i) body[i] = static_cast<char>('a' + i % 26);
    const std::string topic = "news.today";
    Envelope e = Envelope::published("s", topic, {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
    EXPECT_EQ(e.topic(), topic) << n;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(e.body().data()), e.body().size()), body) << n;
    EXPECT_EQ(Mailbox::weight(e), topic.size() + n) << n;
    Envelope moved = std::move(e);  // through the queue and back
    Mailbox box(8);
    ASSERT_EQ(box.push(std::move(moved), false), Mailbox::Push::kQueuedNeedsSchedule);
    std::vector<Envelope> out;
    ASSERT_TRUE(box.take(out, 8));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].topic(), topic);
    EXPECT_EQ(out[0].body().size(), n);
  }
  Envelope plain{Envelope::Kind::kMessage, 0, 0, "s", Payload(std::string_view("hello")), 0, 0};
  EXPECT_TRUE(plain.topic().empty());
  EXPECT_EQ(plain.body().size(), 5u);
  EXPECT_THROW(Envelope::published("s", std::string(70000, 't'), {}), std::length_error);
}

}  // namespace
}  // namespace wactor::actor
