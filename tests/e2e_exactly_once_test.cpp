// A randomized run: thousands of requests through a mix of replies, error replies, slow
// handlers, deferred answers, timeouts, cancellations (by owners and by others) and crashes.
// Every request that got an id must end in exactly one callback, at its requester, with a
// status its fate allows. Seeded; the seed is printed on failure (WACTOR_SEED overrides it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::field;

class ExactlyOnce : public test::EngineRuntimeTest {};

// kNever goes to `q`, a responder that defers and is never flushed nor crashed: unless its owner
// cancels it first, it can only end by timing out (status 2 is certain, not left to timing).
enum class Kind { kEcho, kFail, kTrap, kDefer, kSpin, kCancelNow, kNever };

TEST_P(ExactlyOnce, EveryRequestEndsInExactlyOneCallback) {
  const unsigned seed = test::seed();
  SCOPED_TRACE("WACTOR_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };

  constexpr int kRequesters = 4, kResponders = 4, kRounds = test::kSanitized ? 4 : 10, kPerRound = 200;
  auto o = options();
  o.clock = &clock;
  o.default_timeout = std::chrono::hours(1);
  o.supervision.max_restarts = 1'000'000;  // crashes are part of the mix: restart at once, every time
  o.supervision.backoff = o.supervision.backoff_max = std::chrono::milliseconds(0);
  std::vector<ComponentSpec> specs;
  for (int i = 0; i < kRequesters; ++i) specs.push_back(probe("r" + std::to_string(i)));
  for (int i = 0; i < kResponders; ++i) specs.push_back(probe("s" + std::to_string(i)));
  specs.push_back(probe("q"));
  start(std::move(specs), std::move(o));

  std::map<std::string, std::vector<Kind>> kinds;        // per requester, in command order
  std::map<std::string, std::vector<std::string>> cancel_posts;  // per component: "owner" or "other"
  std::size_t posted = 0;

  auto issued_lines = [&] { return collector.logs_matching("^r[0-9]+: request id="); };
  auto wait_issued = [&] {
    for (int i = 0; i < 3000 && issued_lines().size() < posted; ++i) std::this_thread::sleep_for(2ms);
    ASSERT_EQ(issued_lines().size(), posted);
  };

  for (int round = 0; round < kRounds; ++round) {
    for (int k = 0; k < kPerRound; ++k) {
      const std::string r = "r" + std::to_string(pick(kRequesters));
      const std::string s = "s" + std::to_string(pick(kResponders));
      const int timeout = pick(3) == 0 ? 5 + pick(200) : 0;
      const int dice = pick(100);
      Kind kind = dice < 40 ? Kind::kEcho : dice < 52 ? Kind::kFail : dice < 56 ? Kind::kTrap
                : dice < 78 ? Kind::kDefer : dice < 88 ? Kind::kSpin : Kind::kCancelNow;
      std::string cmd;
      switch (kind) {
        case Kind::kEcho: cmd = "request " + s + " " + std::to_string(timeout) + " hello"; break;
        case Kind::kFail: cmd = "request " + s + " " + std::to_string(timeout) + " fail"; break;
        case Kind::kTrap: cmd = "request " + s + " " + std::to_string(timeout) + " trap"; break;
        case Kind::kDefer: cmd = "request " + s + " " + std::to_string(timeout) + " defer"; break;
        case Kind::kSpin: cmd = "request " + s + " " + std::to_string(timeout) + " spin 20000"; break;
        case Kind::kCancelNow: cmd = "request-cancel " + s + " quick"; break;
        case Kind::kNever: cmd = "request q " + std::to_string(timeout) + " defer"; break;
      }
      kinds[r].push_back(kind);
      ++posted;
      post(r, cmd);
    }
    for (int k = 0; k < 2; ++k) {  // at most 2 * kRounds deferred in q: under the probe's 64
      const std::string r = "r" + std::to_string(pick(kRequesters));
      kinds[r].push_back(Kind::kNever);
      ++posted;
      post(r, "request q " + std::to_string(k == 0 ? 5 + pick(200) : 0) + " defer");  // 0: the default timeout
    }
    wait_issued();
    // Cancel some known ids, from their owner or from someone else.
    const auto lines = issued_lines();
    for (int c = 0; c < 30; ++c) {
      const std::string& line = lines[static_cast<std::size_t>(pick(static_cast<int>(lines.size())))];
      const std::string owner = line.substr(0, line.find(':'));
      const long long id = field(line, "id");
      if (id <= 0) continue;
      const bool by_owner = pick(2) == 0;
      const std::string who = by_owner ? owner : (pick(2) ? "s" + std::to_string(pick(kResponders))
                                                           : (owner == "r0" ? "r1" : "r0"));
      cancel_posts[who].push_back(by_owner ? "owner:" + std::to_string(id) : "other:" + std::to_string(id));
      post(who, "cancel " + std::to_string(id));
    }
    // Answer some deferred requests, and let some time pass.
    for (int f = 0; f < 2; ++f) post("s" + std::to_string(pick(kResponders)), "flush late answer");
    clock.advance(std::chrono::milliseconds(pick(150)));
    runtime->expire_timers();
  }
  for (int i = 0; i < kResponders; ++i) post("s" + std::to_string(i), "flush final answer");
  wait_issued();
  clock.advance(std::chrono::hours(2));
  runtime->expire_timers();
  ASSERT_TRUE(runtime->wait_idle(120s)) << runtime->pending_requests() << " pending";

  // Which id is which kind: a requester logs its request ids in command order.
  std::map<long long, std::pair<std::string, Kind>> issued;
  std::map<long long, long long> cancel_now_rc;
  std::size_t refused = 0;
  for (const auto& [r, ks] : kinds) {
    const auto lines = collector.logs_matching("^" + r + ": request id=");
    ASSERT_EQ(lines.size(), ks.size()) << r;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const long long id = field(lines[i], "id");
      if (id <= 0) {
        ++refused;
        continue;
      }
      ASSERT_TRUE(issued.emplace(id, std::make_pair(r, ks[i])).second) << "id issued twice: " << id;
      if (ks[i] == Kind::kCancelNow) cancel_now_rc[id] = field(lines[i], "rc");
    }
  }
  EXPECT_EQ(refused, 0u);

  std::map<long long, std::vector<std::pair<std::string, int>>> callbacks;
  for (const auto& line : collector.logs_matching("^[rs][0-9]+: callback id=")) {
    callbacks[field(line, "id")].emplace_back(line.substr(0, line.find(':')),
                                              static_cast<int>(field(line, "status")));
  }
  std::set<long long> cancelled_by_owner;
  for (const auto& [who, posts] : cancel_posts) {
    const auto rcs = collector.logs_matching("^" + who + ": cancel rc=");
    ASSERT_EQ(rcs.size(), posts.size()) << who;
    for (std::size_t i = 0; i < rcs.size(); ++i) {
      const long long rc = field(rcs[i], "rc");
      const bool owner = posts[i].rfind("owner:", 0) == 0;
      const long long id = std::stoll(posts[i].substr(posts[i].find(':') + 1));
      if (owner) {
        EXPECT_TRUE(rc == 0 || rc == -1) << rcs[i];
        if (rc == 0) cancelled_by_owner.insert(id);
      } else {
        EXPECT_TRUE(rc == -2 || rc == -1) << rcs[i] << " (not the owner of " << id << ")";
      }
    }
  }

  std::map<int, int> by_status;
  for (const auto& [id, who_kind] : issued) {
    const auto& [owner, kind] = who_kind;
    const auto& cbs = callbacks[id];
    ASSERT_EQ(cbs.size(), 1u) << "request " << id << " of " << owner << " got " << cbs.size() << " callbacks";
    EXPECT_EQ(cbs[0].first, owner) << id;
    const int st = cbs[0].second;
    ++by_status[st];
    if (cancelled_by_owner.count(id)) {
      EXPECT_EQ(st, 3) << id;
      continue;
    }
    switch (kind) {
      case Kind::kEcho:
      case Kind::kSpin: EXPECT_TRUE(st == 0 || st == 2 || st == 3) << id << " status " << st; break;
      case Kind::kFail:
      case Kind::kTrap: EXPECT_TRUE(st == 1 || st == 2 || st == 3) << id << " status " << st; break;
      case Kind::kDefer: EXPECT_TRUE(st == 0 || st == 2 || st == 3 || st == 4) << id << " status " << st; break;
      case Kind::kCancelNow:
        EXPECT_EQ(st, cancel_now_rc[id] == 0 ? 3 : 0) << id << " cancel rc " << cancel_now_rc[id];
        break;
      case Kind::kNever: EXPECT_EQ(st, 2) << id; break;
    }
  }
  for (const auto& [id, cbs] : callbacks) EXPECT_TRUE(issued.count(id)) << "callback for unknown id " << id;

  // The counters agree with what the guests saw.
  const auto total = runtime->metrics().total;
  EXPECT_EQ(total.requests_sent, issued.size());
  EXPECT_EQ(total.replies_ok + total.replies_error + total.requests_timed_out + total.requests_cancelled +
                total.requests_target_down,
            issued.size());
  EXPECT_EQ(total.replies_ok, static_cast<std::uint64_t>(by_status[0]));
  EXPECT_EQ(total.requests_timed_out, static_cast<std::uint64_t>(by_status[2]));
  EXPECT_EQ(runtime->pending_requests(), 0u);
  // The mix really exercised every ending.
  for (int st = 0; st <= 4; ++st) EXPECT_GT(by_status[st], 0) << "no request ended with status " << st;
}

INSTANTIATE_TEST_SUITE_P(Engines, ExactlyOnce, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
