// The randomized exactly-once test across hosts: requesters on host-a, targets on host-b and
// host-c (s0 on both: replicas), a seeded mix of replies, error replies, traps, deferred
// answers, slow handlers, timeouts, cancels and targets stopped mid-run. Every request that
// got an id ends in exactly one callback, at its requester, with a status its fate allows,
// and with its own answer. The seed is printed (WACTOR_SEED overrides it).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "cluster_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::field;

class ClusterExactlyOnce : public test::ClusterHosts {};

enum class Kind { kEcho, kFail, kTrap, kDefer, kSpin, kCancelNow };

TEST_P(ClusterExactlyOnce, EveryRequestAcrossHostsEndsInExactlyOneCallback) {
  const unsigned seed = test::seed();
  SCOPED_TRACE("WACTOR_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };

  constexpr int kRequesters = 4, kRounds = 4, kPerRound = 150;
  auto restart_always = [](RuntimeOptions& o) {
    o.supervision.max_restarts = 1'000'000;  // traps are part of the mix: restart at once
    o.supervision.backoff = o.supervision.backoff_max = std::chrono::milliseconds(0);
  };
  std::vector<ComponentSpec> requesters;
  for (int i = 0; i < kRequesters; ++i) requesters.push_back(probe("r" + std::to_string(i)));
  test::ClusterHost& a = host("host-a", std::move(requesters), {},
                              [](RuntimeOptions& o) { o.default_timeout = std::chrono::milliseconds(2000); });
  test::ClusterHost& b = host("host-b", {probe("s0"), probe("s1"), probe("s2")}, {}, restart_always);
  // q never traps and is never flushed: each round's request to it ends by its timeout.
  test::ClusterHost& c = host("host-c", {probe("s0"), probe("s3"), probe("q")}, {}, restart_always);
  for (const char* s : {"s0", "s1", "s2", "s3", "q"}) ASSERT_TRUE(a.runtime->wait_remote(s, true, 5s)) << s;
  ASSERT_FALSE(a.collector.wait_event("^\\$cluster: host-joined: host-b").empty());
  ASSERT_FALSE(a.collector.wait_event("^\\$cluster: host-joined: host-c").empty());
  // Who runs what (for flushes); s1 stops in round 1, s0's replica on host-c in round 2.
  std::map<std::string, std::vector<test::ClusterHost*>> runs{
      {"s0", {&b, &c}}, {"s1", {&b}}, {"s2", {&b}}, {"s3", {&c}}};
  const std::vector<std::string> targets{"s0", "s1", "s2", "s3"};

  struct Sent {
    Kind kind;
    std::string target, payload;
    bool target_stopped;  // stopped before the request was made
  };
  std::map<std::string, std::vector<Sent>> sent;                 // per requester, in command order
  std::map<std::string, std::vector<std::string>> cancel_posts;  // per requester: "owner:<id>"/"other:<id>"
  std::set<std::string> stopped;
  std::size_t posted = 0;
  int serial = 0;

  auto issued_lines = [&] { return a.collector.logs_matching("^r[0-9]+: request id="); };
  for (int round = 0; round < kRounds; ++round) {
    for (int k = 0; k < kPerRound; ++k) {
      const std::string r = "r" + std::to_string(pick(kRequesters));
      const std::string s = targets[static_cast<std::size_t>(pick(static_cast<int>(targets.size())))];
      const int timeout = pick(3) == 0 ? 5 + pick(200) : 0;
      const int dice = pick(100);
      const Kind kind = dice < 40 ? Kind::kEcho : dice < 52 ? Kind::kFail : dice < 56 ? Kind::kTrap
                      : dice < 78 ? Kind::kDefer : dice < 88 ? Kind::kSpin : Kind::kCancelNow;
      const std::string n = std::to_string(++serial);
      std::string payload;
      switch (kind) {
        case Kind::kEcho: payload = "hello-" + n; break;
        case Kind::kFail: payload = "fail " + n; break;
        case Kind::kTrap: payload = "trap " + n; break;
        case Kind::kDefer: payload = "defer " + n; break;
        case Kind::kSpin: payload = "spin 20000 " + n; break;
        case Kind::kCancelNow: payload = "quick-" + n; break;
      }
      const std::string cmd = kind == Kind::kCancelNow ? "request-cancel " + s + " " + payload
                                                       : "request " + s + " " + std::to_string(timeout) + " " + payload;
      sent[r].push_back(Sent{kind, s, payload, stopped.contains(s)});
      ++posted;
      a.post(r, cmd);
    }
    sent["r0"].push_back(Sent{Kind::kDefer, "q", "defer q" + std::to_string(round), false});
    ++posted;
    a.post("r0", "request q 20 defer q" + std::to_string(round));
    ASSERT_EQ(a.collector.wait_logs_more_than("^r[0-9]+: request id=", posted - 1, 30s).size(), posted);
    // Cancel some known ids, from their owner or from another requester.
    const auto lines = issued_lines();
    for (int k = 0; k < 30; ++k) {
      const std::string& line = lines[static_cast<std::size_t>(pick(static_cast<int>(lines.size())))];
      const std::string owner = line.substr(0, line.find(':'));
      const long long id = field(line, "id");
      if (id <= 0) continue;
      const bool by_owner = pick(2) == 0;
      const std::string who = by_owner ? owner : (owner == "r0" ? "r1" : "r0");
      cancel_posts[who].push_back((by_owner ? "owner:" : "other:") + std::to_string(id));
      a.post(who, "cancel " + std::to_string(id));
    }
    // Answer some deferred requests, on one host running the target.
    for (int k = 0; k < 3; ++k) {
      const std::string& s = targets[static_cast<std::size_t>(pick(static_cast<int>(targets.size())))];
      if (stopped.contains(s)) continue;
      auto& where = runs[s];
      where[static_cast<std::size_t>(pick(static_cast<int>(where.size())))]->post(s, "flush late answer");
    }
    if (round == 1) {  // a target goes for good mid-traffic: its pending requests end with 4
      ASSERT_TRUE(b.runtime->stop_component("s1").ok());
      stopped.insert("s1");
      runs.erase("s1");
    }
    if (round == 2) {  // one replica of s0 goes: the other takes the new requests
      ASSERT_TRUE(c.runtime->stop_component("s0").ok());
      runs["s0"] = {&b};
    }
  }
  // No final flush: the deferred requests still held end by their timeout (their own or
  // host-a's default of 2 s), at host-a or at the target's host, whichever comes first.
  ASSERT_EQ(a.collector.wait_logs_more_than("^r[0-9]+: request id=", posted - 1, 30s).size(), posted);
  ASSERT_TRUE(a.runtime->wait_idle(60s)) << a.runtime->pending_requests() << " pending";

  // Which id is which request: a requester logs its request ids in command order.
  std::map<long long, std::pair<std::string, Sent>> issued;
  std::map<long long, long long> cancel_now_rc;
  for (const auto& [r, list] : sent) {
    const auto lines = a.collector.logs_matching("^" + r + ": request id=");
    ASSERT_EQ(lines.size(), list.size()) << r;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const long long id = field(lines[i], "id");
      if (id <= 0) {  // refused at once: only a target no live host runs any more
        EXPECT_EQ(id, -1) << lines[i];
        EXPECT_EQ(list[i].target, "s1") << lines[i];
        continue;
      }
      ASSERT_TRUE(issued.emplace(id, std::make_pair(r, list[i])).second) << "id issued twice: " << id;
      if (list[i].kind == Kind::kCancelNow) cancel_now_rc[id] = field(lines[i], "rc");
    }
  }

  std::map<long long, std::vector<std::string>> callbacks;
  for (const auto& line : a.collector.logs_matching("^r[0-9]+: callback id=")) callbacks[field(line, "id")].push_back(line);
  std::set<long long> cancelled_by_owner;
  for (const auto& [who, posts] : cancel_posts) {
    const auto rcs = a.collector.logs_matching("^" + who + ": cancel rc=");
    ASSERT_EQ(rcs.size(), posts.size()) << who;
    for (std::size_t i = 0; i < rcs.size(); ++i) {
      const long long rc = field(rcs[i], "rc");
      const long long id = std::stoll(posts[i].substr(posts[i].find(':') + 1));
      if (posts[i].rfind("owner:", 0) == 0) {
        EXPECT_TRUE(rc == 0 || rc == -1) << rcs[i];
        if (rc == 0) cancelled_by_owner.insert(id);
      } else {
        EXPECT_TRUE(rc == -2 || rc == -1) << rcs[i] << " (not the owner of " << id << ")";
      }
    }
  }

  std::map<int, std::uint64_t> by_status;
  for (const auto& [id, owned] : issued) {
    const auto& [owner, req] = owned;
    const auto& cbs = callbacks[id];
    ASSERT_EQ(cbs.size(), 1u) << "request " << id << " of " << owner << " got " << cbs.size() << " callbacks";
    EXPECT_EQ(cbs[0].substr(0, cbs[0].find(':')), owner) << cbs[0];
    const int st = static_cast<int>(field(cbs[0], "status"));
    ++by_status[st];
    if (cancelled_by_owner.contains(id)) {
      EXPECT_EQ(st, 3) << cbs[0];
      continue;
    }
    const bool ok_or_down = st == 0 || st == 2 || st == 4;
    switch (req.kind) {
      case Kind::kEcho:
      case Kind::kSpin: EXPECT_TRUE(ok_or_down) << cbs[0]; break;
      case Kind::kDefer: EXPECT_TRUE(ok_or_down) << cbs[0]; break;
      case Kind::kFail:
      case Kind::kTrap: EXPECT_TRUE(st == 1 || st == 2 || st == 4) << cbs[0]; break;
      case Kind::kCancelNow:
        if (cancel_now_rc[id] == 0) EXPECT_EQ(st, 3) << cbs[0];
        else EXPECT_TRUE(ok_or_down) << cbs[0] << " cancel rc " << cancel_now_rc[id];
        break;
    }
    // A reply is the answer to this very request, never another's.
    if (st == 0 && req.kind == Kind::kEcho) {
      EXPECT_NE(cbs[0].find("payload=echo:" + req.payload), std::string::npos) << cbs[0];
    }
  }
  for (const auto& [id, cbs] : callbacks) EXPECT_TRUE(issued.contains(id)) << "callback for unknown id " << id;

  // Each request reached at most one host (replicas share, never both get one).
  std::map<std::string, int> seen;
  for (auto* h : {&b, &c}) {
    for (const auto& line : h->collector.logs_matching("^s[0-9]: msg from=r[0-9] req=[1-9]")) {
      seen[line.substr(line.find("payload="))]++;
    }
  }
  for (const auto& [payload, n] : seen) EXPECT_EQ(n, 1) << payload << " reached " << n << " hosts";

  // The counters agree with what the guests saw.
  const auto total = a.runtime->metrics().total;
  EXPECT_EQ(total.requests_sent, issued.size());
  EXPECT_EQ(total.replies_ok + total.replies_error + total.requests_timed_out + total.requests_cancelled +
                total.requests_target_down,
            issued.size());
  EXPECT_EQ(total.replies_ok, by_status[0]);
  EXPECT_EQ(total.replies_error, by_status[1]);
  EXPECT_EQ(total.requests_timed_out, by_status[2]);
  EXPECT_EQ(total.requests_cancelled, by_status[3]);
  EXPECT_EQ(total.requests_target_down, by_status[4]);
  EXPECT_EQ(a.runtime->pending_requests(), 0u);
  // No frame was refused between honest hosts.
  for (auto* h : {&a, &b, &c}) {
    const auto cs = h->cluster();
    EXPECT_EQ(cs.refused_malformed + cs.refused_unknown_host + cs.refused_sender + cs.dropped_slow_consumer, 0u);
  }
  std::printf("ClusterExactlyOnce: %zu requests; by status 0:%llu 1:%llu 2:%llu 3:%llu 4:%llu\n", issued.size(),
              static_cast<unsigned long long>(by_status[0]), static_cast<unsigned long long>(by_status[1]),
              static_cast<unsigned long long>(by_status[2]), static_cast<unsigned long long>(by_status[3]),
              static_cast<unsigned long long>(by_status[4]));
  for (int st : {0, 1, 2, 3}) EXPECT_GT(by_status[st], 0u) << "no request ended with status " << st;
}

INSTANTIATE_TEST_SUITE_P(Engines, ClusterExactlyOnce, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
