// The randomized exactly-once test (e2e_exactly_once_test.cpp) with actors that come and go:
// while requests and sends flow, a churn thread spawns, stops and upgrades components
// (responders and requesters alike). Every request that got an id still ends in exactly one
// callback at its requester, every send accepted by a component that is never stopped
// arrives exactly once, and none arrives twice anywhere. Seeded (WACTOR_SEED overrides it).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::field;

class Churn : public test::EngineRuntimeTest {};

enum class Kind { kEcho, kFail, kTrap, kDefer, kSpin, kCancelNow };

TEST_P(Churn, EveryRequestEndsOnceWhileComponentsComeGoAndUpgrade) {
  const unsigned seed = test::seed();
  SCOPED_TRACE("WACTOR_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };

  constexpr int kRequesters = 3, kResponders = 3, kWorkers = 6, kRounds = 8, kPerRound = 150;
  auto o = options();
  o.clock = &clock;
  o.default_timeout = std::chrono::hours(1);
  o.supervision.max_restarts = 1'000'000;
  o.supervision.backoff = o.supervision.backoff_max = 0ms;
  std::vector<ComponentSpec> specs;
  for (int i = 0; i < kRequesters; ++i) specs.push_back(probe("r" + std::to_string(i)));
  for (int i = 0; i < kResponders; ++i) specs.push_back(probe("s" + std::to_string(i)));
  ModuleSpec worker;
  worker.name = "worker";
  worker.settings = probe("unused");
  auto rt = Runtime::create(std::move(o), std::move(specs), {}, {worker});
  ASSERT_TRUE(rt.ok()) << rt.error().to_string();
  runtime = std::move(rt).value();
  ASSERT_TRUE(runtime->start().ok());

  // The churn: workers w0.. spawned and stopped, anyone upgraded (requesters and fixed
  // responders are never stopped, so their logs tell every fate).
  const auto probe_bytes = test::guest_bytes("probe.wasm");
  std::atomic<bool> churning{true};
  std::map<std::string, int> churn_ops_of[2];  // per churn thread
  auto churner = [&](unsigned churn_seed, std::map<std::string, int>& churn_ops) {
    std::mt19937 crng(churn_seed);
    auto cpick = [&](int n) { return static_cast<int>(crng() % static_cast<unsigned>(n)); };
    while (churning.load()) {
      const std::string w = "w" + std::to_string(cpick(kWorkers));
      switch (cpick(4)) {
        case 0:
        case 1: {
          auto st = runtime->spawn("worker", w);
          ++churn_ops[st.ok() ? "spawned" : "spawn-refused"];
          if (!st.ok()) EXPECT_EQ(st.error().code, ErrorCode::kAlreadyExists) << st.error().to_string();
          break;
        }
        case 2: {
          auto st = runtime->stop_component(w);
          ++churn_ops[st.ok() ? "stopped" : "stop-refused"];
          break;
        }
        case 3: {
          const int who = cpick(3);
          const std::string id = who == 0 ? w : (who == 1 ? "s" : "r") + std::to_string(cpick(3));
          auto st = runtime->upgrade(id, probe_bytes);
          ++churn_ops[st.ok() ? "upgraded" : "upgrade-refused"];
          if (!st.ok()) {
            EXPECT_TRUE(st.error().code == ErrorCode::kNotFound || st.error().code == ErrorCode::kFailedPrecondition)
                << st.error().to_string();
            // The fixed ones are never down: only another upgrade in progress refuses them.
            if (id[0] != 'w') EXPECT_NE(st.error().message.find("another upgrade is in progress"), std::string::npos) << st.error().to_string();
          }
          break;
        }
      }
      std::this_thread::yield();
    }
  };
  // Two of them: a stop, a spawn and an upgrade of one id may race each other too.
  std::thread churn0(churner, seed + 1, std::ref(churn_ops_of[0]));
  std::thread churn1(churner, seed + 2, std::ref(churn_ops_of[1]));

  std::map<std::string, std::vector<Kind>> kinds;                    // per requester, in command order
  std::map<std::string, std::vector<std::string>> sends;             // per requester: payloads, in order
  std::map<std::string, std::vector<std::string>> cancel_posts;      // per component: "owner:<id>" / "other:<id>"
  std::size_t requests_posted = 0, sends_posted = 0;
  auto target = [&] {
    return pick(2) ? "s" + std::to_string(pick(kResponders)) : "w" + std::to_string(pick(kWorkers));
  };

  for (int round = 0; round < kRounds; ++round) {
    for (int k = 0; k < kPerRound; ++k) {
      const std::string r = "r" + std::to_string(pick(kRequesters));
      const std::string s = target();
      if (pick(4) == 0) {
        const std::string p = "data." + r + "." + std::to_string(sends[r].size());
        sends[r].push_back(s + " " + p);
        ++sends_posted;
        post(r, "send " + s + " " + p);
        continue;
      }
      const int timeout = pick(3) == 0 ? 5 + pick(200) : 0;
      const int dice = pick(100);
      Kind kind = dice < 40 ? Kind::kEcho : dice < 52 ? Kind::kFail : dice < 56 ? Kind::kTrap
                : dice < 78 ? Kind::kDefer : dice < 88 ? Kind::kSpin : Kind::kCancelNow;
      const std::string t = std::to_string(timeout);
      std::string cmd;
      switch (kind) {
        case Kind::kEcho: cmd = "request " + s + " " + t + " hello"; break;
        case Kind::kFail: cmd = "request " + s + " " + t + " fail"; break;
        case Kind::kTrap: cmd = "request " + s + " " + t + " trap"; break;
        case Kind::kDefer: cmd = "request " + s + " " + t + " defer"; break;
        case Kind::kSpin: cmd = "request " + s + " " + t + " spin 20000"; break;
        case Kind::kCancelNow: cmd = "request-cancel " + s + " quick"; break;
      }
      kinds[r].push_back(kind);
      ++requests_posted;
      post(r, cmd);
    }
    const auto issued_lines = collector.wait_logs_more_than("^r[0-9]+: request id=", requests_posted - 1, 60s);
    ASSERT_EQ(issued_lines.size(), requests_posted);
    for (int c = 0; c < 20; ++c) {
      const std::string& line = issued_lines[static_cast<std::size_t>(pick(static_cast<int>(issued_lines.size())))];
      const std::string owner = line.substr(0, line.find(':'));
      const long long id = field(line, "id");
      if (id <= 0) continue;
      const bool by_owner = pick(2) == 0;
      const std::string who = by_owner ? owner : (owner == "r0" ? "r1" : "r0");
      cancel_posts[who].push_back(std::string(by_owner ? "owner:" : "other:") + std::to_string(id));
      post(who, "cancel " + std::to_string(id));
    }
    for (int f = 0; f < 2; ++f) post("s" + std::to_string(pick(kResponders)), "flush late answer");
    clock.advance(std::chrono::milliseconds(pick(150)));
    runtime->expire_timers();
  }
  churning.store(false);
  churn0.join();
  churn1.join();
  std::map<std::string, int> churn_ops;
  for (const auto& ops : churn_ops_of) {
    for (const auto& [op, n] : ops) churn_ops[op] += n;
  }
  for (int i = 0; i < kResponders; ++i) post("s" + std::to_string(i), "flush final answer");
  ASSERT_EQ(collector.wait_logs_more_than("^r[0-9]+: send rc=", sends_posted - 1, 60s).size(), sends_posted);
  ASSERT_EQ(collector.wait_logs_more_than("^r[0-9]+: request id=", requests_posted - 1, 60s).size(), requests_posted);
  clock.advance(std::chrono::hours(2));
  runtime->expire_timers();
  ASSERT_TRUE(runtime->wait_idle(120s)) << runtime->pending_requests() << " pending";

  // Requests: exactly one callback each, at its requester, with a status its fate allows.
  std::map<long long, std::pair<std::string, Kind>> issued;
  std::map<long long, long long> cancel_now_rc;
  std::size_t refused = 0;
  for (const auto& [r, ks] : kinds) {
    const auto lines = collector.logs_matching("^" + r + ": request id=");
    ASSERT_EQ(lines.size(), ks.size()) << r;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const long long id = field(lines[i], "id");
      if (id <= 0) {
        EXPECT_EQ(id, -1) << lines[i];  // a worker not (yet, or no longer) there
        ++refused;
        continue;
      }
      ASSERT_TRUE(issued.emplace(id, std::make_pair(r, ks[i])).second) << "id issued twice: " << id;
      if (ks[i] == Kind::kCancelNow) cancel_now_rc[id] = field(lines[i], "rc");
    }
  }
  std::map<long long, std::vector<std::pair<std::string, int>>> callbacks;
  for (const auto& line : collector.logs_matching("^[rsw][0-9]+: callback id=")) {
    callbacks[field(line, "id")].emplace_back(line.substr(0, line.find(':')), static_cast<int>(field(line, "status")));
  }
  std::set<long long> cancelled_by_owner;
  for (const auto& [who, posts] : cancel_posts) {
    const auto rcs = collector.logs_matching("^" + who + ": cancel rc=");
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
      case Kind::kSpin:
      case Kind::kDefer: EXPECT_TRUE(st == 0 || st == 2 || st == 3 || st == 4) << id << " status " << st; break;
      case Kind::kFail:
      case Kind::kTrap: EXPECT_TRUE(st == 1 || st == 2 || st == 3 || st == 4) << id << " status " << st; break;
      case Kind::kCancelNow:
        if (cancel_now_rc[id] == 0) EXPECT_EQ(st, 3) << id;
        else EXPECT_TRUE(st == 0 || st == 4) << id << " cancel rc " << cancel_now_rc[id] << " status " << st;
        break;
    }
  }
  for (const auto& [id, cbs] : callbacks) EXPECT_TRUE(issued.count(id)) << "callback for unknown id " << id;

  // Sends: each accepted one arrives once at a fixed responder, at most once at a worker.
  std::map<std::string, int> arrived;  // "<target> <payload>"
  for (const auto& line : collector.logs_matching("^[sw][0-9]+: msg from=r[0-9]+ req=0 payload=data\\.")) {
    const std::string to = line.substr(0, line.find(':'));
    ++arrived[to + " " + line.substr(line.find("payload=") + 8)];
  }
  std::size_t accepted = 0;
  for (const auto& [r, ss] : sends) {
    const auto rcs = collector.logs_matching("^" + r + ": send rc=");
    ASSERT_EQ(rcs.size(), ss.size()) << r;
    for (std::size_t i = 0; i < ss.size(); ++i) {
      const long long rc = field(rcs[i], "rc");
      const int n = arrived[ss[i]];
      EXPECT_LE(n, 1) << ss[i] << " arrived " << n << " times";
      if (rc != 0) {
        EXPECT_EQ(rc, -1) << ss[i];
        EXPECT_EQ(n, 0) << ss[i] << " refused yet arrived";
        continue;
      }
      ++accepted;
      if (ss[i][0] == 's') EXPECT_EQ(n, 1) << ss[i] << " accepted but lost";
    }
  }

  const auto m = runtime->metrics();
  EXPECT_EQ(m.total.requests_sent, issued.size());
  EXPECT_EQ(m.total.replies_ok + m.total.replies_error + m.total.requests_timed_out + m.total.requests_cancelled +
                m.total.requests_target_down,
            issued.size());
  EXPECT_EQ(m.total.replies_ok, static_cast<std::uint64_t>(by_status[0]));
  EXPECT_EQ(runtime->pending_requests(), 0u);
  EXPECT_GT(churn_ops["spawned"], 0);
  EXPECT_GT(churn_ops["stopped"], 0);
  EXPECT_GT(churn_ops["upgraded"], 0);
  std::printf("churn:");
  for (const auto& [op, n] : churn_ops) std::printf(" %s=%d", op.c_str(), n);
  std::printf("; %zu requests (%zu refused), %zu sends (%zu accepted); statuses", issued.size(), refused,
              sends_posted, accepted);
  for (const auto& [st, n] : by_status) std::printf(" %d:%d", st, n);
  std::printf("\n");
}

INSTANTIATE_TEST_SUITE_P(Engines, Churn, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
