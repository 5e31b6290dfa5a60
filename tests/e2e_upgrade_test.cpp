// Hot upgrade (Runtime::upgrade) through real wasm guests, on every engine: the state
// carried by snapshot/restore, nothing queued lost, requests kept both ways, rollback on a
// refused module or a failing init/restore, concurrent upgrades.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <random>
#include <thread>

#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::field;

class Upgrade : public test::EngineRuntimeTest {
 protected:
  ComponentSpec counter(const std::string& id, std::string config = {}) {
    return ComponentSpec{id, test::guest_bytes("counter_v1.wasm"), test::guest_path("counter_v1.wasm"),
                         std::move(config), 0, {}, Capabilities::all(), {}, {}, {}, {}};
  }
  static std::vector<std::uint8_t> v1() { return test::guest_bytes("counter_v1.wasm"); }
  static std::vector<std::uint8_t> v2() { return test::guest_bytes("counter_v2.wasm"); }
  // Posts "get" and returns the count the `nth` "<id>: <v> count=" line says.
  long long get(const std::string& id, const std::string& v, std::size_t nth) {
    post(id, "get");
    auto lines = collector.wait_logs_more_than("^" + id + ": " + v + " count=", nth);
    if (lines.size() > nth) return field(lines[nth], "count");
    ADD_FAILURE() << "no " << v << " count logged by " << id;
    return -999;
  }
};

TEST_P(Upgrade, CarriesTheStateToTheNewModule) {
  start({counter("c")});
  for (int i = 0; i < 5; ++i) post("c", "tick");
  EXPECT_EQ(get("c", "v1", 0), 5);
  auto st = runtime->upgrade("c", v2());
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(collector.logs_matching("^c: v2 init config=$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^c: v2 restored 5$").size(), 1u);
  EXPECT_EQ(get("c", "v2", 0), 5);
  post("c", "tick");
  EXPECT_EQ(get("c", "v2", 1), 6);
  EXPECT_EQ(stats("c").upgrades, 1u);
  EXPECT_EQ(stats("c").upgrade_rollbacks, 0u);
  EXPECT_FALSE(collector.wait_event("^c: upgraded: ").empty());
  // And back again.
  st = runtime->upgrade("c", v1());
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(get("c", "v1", 1), 6);
  EXPECT_EQ(stats("c").upgrades, 2u);
}

TEST_P(Upgrade, MessagesQueuedDuringTheUpgradeAreNotLost) {
  auto o = options();
  o.workers = 1;  // held by `busy` while the ticks and the upgrade queue up
  start({counter("c"), counter("warm"), probe("busy")}, std::move(o));
  ASSERT_TRUE(runtime->upgrade("warm", v2()).ok());  // v2 is loaded (compiled) now: the next upgrade is quick
  constexpr int kHandled = 100, kQueued = 3000, kDuring = 3000;
  for (int i = 0; i < kHandled; ++i) post("c", "tick");
  EXPECT_EQ(get("c", "v1", 0), kHandled);
  post("busy", test::spin_command(GetParam(), 3000000));
  ASSERT_FALSE(collector.wait_log("^busy: msg from=\\$host req=0 payload=spin").empty());
  for (int i = 0; i < kQueued; ++i) post("c", "tick");
  std::atomic<bool> go{false};
  std::thread poster([&] {
    while (!go.load()) std::this_thread::yield();
    for (int i = 0; i < kDuring; ++i) ASSERT_EQ(runtime->post("c", "tick"), 0);
  });
  go.store(true);
  auto st = runtime->upgrade("c", v2());
  poster.join();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  ASSERT_TRUE(runtime->wait_idle(60s));
  EXPECT_EQ(get("c", "v2", 0), kHandled + kQueued + kDuring);
  const auto restored = collector.logs_matching("^c: v2 restored ");
  ASSERT_EQ(restored.size(), 1u);
  std::printf("upgraded after %s of %d ticks\n", restored[0].c_str() + 15, kHandled + kQueued + kDuring);
  ASSERT_TRUE(runtime->wait_idle(10s));  // the last get's handler has returned (its count is in)
  EXPECT_EQ(stats("c").messages_handled, static_cast<std::uint64_t>(kHandled + kQueued + kDuring + 2));
}

TEST_P(Upgrade, ARequestHeldByTheOldInstanceIsAnsweredByTheNewOne) {
  start({counter("c"), probe("r")});
  const long long id = request_id_after("r", "request c 0 hold", 0);
  ASSERT_GT(id, 0);
  EXPECT_EQ(get("c", "v1", 0), 1);  // the hold was handled (it is counted)
  auto st = runtime->upgrade("c", v2());
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(collector.logs_matching("^c: v2 restored 1$").size(), 1u);
  EXPECT_EQ(runtime->pending_requests(), 1u);
  post("c", "release");
  EXPECT_FALSE(collector.wait_log("^c: v2 release rc=0$").empty());
  const auto cb = collector.wait_log("^r: callback id=" + std::to_string(id) + " ");
  EXPECT_NE(cb.find("status=0 payload=v2 released"), std::string::npos) << cb;
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^r: callback id=").size(), 1u);
  EXPECT_EQ(stats("r").replies_ok, 1u);
}

TEST_P(Upgrade, ARequestMadeByTheOldInstanceGetsItsCallbackInTheNewOne) {
  start({counter("c"), probe("r")});
  post("c", "ask r defer");
  const auto asked = collector.wait_log("^c: v1 ask id=");
  ASSERT_FALSE(asked.empty());
  const long long id = field(asked, "id");
  ASSERT_GT(id, 0);
  ASSERT_FALSE(collector.wait_log("^r: msg from=c req=" + std::to_string(id) + " payload=defer$").empty());
  auto st = runtime->upgrade("c", v2());
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  post("r", "flush late answer");
  const auto cb = collector.wait_log("^c: v[12] callback id=" + std::to_string(id) + " ");
  EXPECT_EQ(cb, "c: v2 callback id=" + std::to_string(id) + " status=0 payload=late answer");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^c: v[12] callback ").size(), 1u);
  EXPECT_EQ(stats("c").replies_ok, 1u);
}

// Each way an upgrade can fail: the call returns the error, and the old instance goes on
// with its state and its mailbox.
TEST_P(Upgrade, RollsBackOnARefusedModuleOrAFailingInitOrRestore) {
  struct Case {
    std::string id;
    std::string config;
    std::vector<std::uint8_t> wasm;
    std::string error;  // part of the message
  };
  const std::vector<Case> cases = {
      {"bad-import", "", test::guest_bytes("bad_import.wasm"), "teleport"},
      {"bad-signature", "", test::guest_bytes("wrong_signature.wasm"), "handle-message"},
      {"not-wasm", "", {'n', 'o', 'p', 'e'}, ""},
      {"init-fail", "v2-init-fail", v2(), "init returned 9"},
      {"restore-fail", "v2-restore-fail", v2(), "restore returned 5"},
      {"restore-trap", "v2-restore-trap", v2(), "restore failed"},
  };
  std::vector<ComponentSpec> specs;
  for (const auto& c : cases) specs.push_back(counter(c.id, c.config));
  start(std::move(specs));
  for (const auto& c : cases) {
    SCOPED_TRACE(c.id);
    for (int i = 0; i < 3; ++i) post(c.id, "tick");
    auto st = runtime->upgrade(c.id, c.wasm);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find(c.error), std::string::npos) << st.error().to_string();
    EXPECT_NE(st.error().message.find("upgrade of '" + c.id + "'"), std::string::npos) << st.error().to_string();
    post(c.id, "tick");  // the old instance goes on, its count intact
    EXPECT_EQ(get(c.id, "v1", 0), 4);
    EXPECT_TRUE(collector.logs_matching("^" + c.id + ": v2 ").size() <= 1u);  // at most v2's init line
    EXPECT_TRUE(collector.logs_matching("^" + c.id + ": v2 restored").empty());
    const auto s = stats(c.id);
    EXPECT_EQ(s.upgrades, 0u);
    EXPECT_EQ(s.upgrade_rollbacks, 1u);
    EXPECT_EQ(s.restarts, 0u);
    EXPECT_FALSE(collector.wait_event("^" + c.id + ": upgrade-failed: ").empty());
  }
  // A refused module did not spoil the component: a good one is taken afterwards.
  auto st = runtime->upgrade("bad-import", v2());
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(get("bad-import", "v2", 0), 4);
  EXPECT_EQ(runtime->metrics().total.upgrade_rollbacks, cases.size());
  EXPECT_EQ(runtime->metrics().total.upgrades, 1u);
}

// A rollback after a failed restore keeps what the old instance received and held.
TEST_P(Upgrade, ARolledBackUpgradeKeepsHeldRequests) {
  start({counter("c", "v2-restore-trap"), probe("r")});
  const long long id = request_id_after("r", "request c 0 hold", 0);
  EXPECT_EQ(get("c", "v1", 0), 1);
  ASSERT_FALSE(runtime->upgrade("c", v2()).ok());
  post("c", "release");
  EXPECT_FALSE(collector.wait_log("^c: v1 release rc=0$").empty());
  EXPECT_NE(collector.wait_log("^r: callback id=" + std::to_string(id) + " ").find("status=0 payload=v1 released"),
            std::string::npos);
}

TEST_P(Upgrade, ProbeRestoreFailuresRollBackToo) {
  start({probe("t", "restore-trap"), probe("f", "restore-fail"), probe("ok")});
  post("t", "data");
  post("f", "data");
  post("ok", "data");
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto bytes = test::guest_bytes("probe.wasm");
  EXPECT_FALSE(runtime->upgrade("t", bytes).ok());
  EXPECT_FALSE(runtime->upgrade("f", bytes).ok());
  ASSERT_TRUE(runtime->upgrade("ok", bytes).ok());
  for (const std::string id : {"t", "f", "ok"}) post(id, "report");
  ASSERT_TRUE(runtime->wait_idle(10s));
  for (const std::string id : {"t", "f", "ok"}) {
    EXPECT_EQ(collector.logs_matching("^" + id + ": received=1$").size(), 1u) << id;
  }
  EXPECT_EQ(collector.logs_matching("^ok: restored seen=1 received=1$").size(), 1u);
}

TEST_P(Upgrade, TimersAndSubscriptionsSurviveAnUpgrade) {
  start_manual({probe("a"), probe("b")});
  post("a", "sendafter b 10 after-upgrade");
  post("a", "sendafter b 20 cancelled-after-upgrade");
  auto ids = collector.wait_logs_more_than("^a: sendafter id=", 1);
  ASSERT_EQ(ids.size(), 2u);
  post("a", "sub t.x");
  ASSERT_FALSE(collector.wait_log("^a: sub rc=0$").empty());
  auto st = runtime->upgrade("a", test::guest_bytes("probe.wasm"));
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  post("a", "canceltimer " + std::to_string(field(ids[1], "id")));
  EXPECT_FALSE(collector.wait_log("^a: canceltimer rc=0$").empty());
  clock.advance(1h);
  runtime->expire_timers();
  post("b", "pub t.x hello");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^b: msg from=a req=0 payload=after-upgrade$").size(), 1u);
  EXPECT_TRUE(collector.logs_matching("payload=cancelled-after-upgrade").empty());
  EXPECT_EQ(collector.logs_matching("^a: msg from=b req=0 payload=hello topic=t.x$").size(), 1u);
}

// An upgrade that comes before the component's init ran (spawned a moment ago) waits for
// that init: it is not "down".
TEST_P(Upgrade, RightAfterSpawnItWaitsForTheInit) {
  auto o = options();
  o.workers = 1;
  start({counter("warm"), probe("busy")}, std::move(o));
  ASSERT_TRUE(runtime->upgrade("warm", v2()).ok());  // v2 loaded: the next upgrade is quick
  post("busy", test::spin_command(GetParam(), 3000000));
  ASSERT_FALSE(collector.wait_log("^busy: msg from=\\$host req=0 payload=spin").empty());
  ASSERT_TRUE(runtime->spawn(counter("n", "cfg")).ok());  // its init waits for the only worker
  post("n", "tick");
  auto st = runtime->upgrade("n", v2());
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(get("n", "v2", 0), 1);
  EXPECT_EQ(collector.logs_matching("^n: v1 init config=cfg$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^n: v2 init config=cfg$").size(), 1u);
  EXPECT_EQ(stats("n").upgrades, 1u);
}

TEST_P(Upgrade, UnknownOrStoppedComponentIsNotFound) {
  start({counter("c")});
  auto st = runtime->upgrade("nobody", v2());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(runtime->stop_component("c").ok());
  ASSERT_TRUE(runtime->wait_idle(10s));
  st = runtime->upgrade("c", v2());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
}

TEST_P(Upgrade, AfterStopItFailsPlainly) {
  start({counter("c")});
  runtime->stop();
  auto st = runtime->upgrade("c", v2());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kFailedPrecondition);
}

// The runtime stopping while an upgrade loads its module (never seen before, so it is
// compiled): the upgrade returns, with an error or done, and never waits forever.
TEST_P(Upgrade, StopWhileAnUpgradeLoadsEndsIt) {
  std::mt19937_64 rng(std::random_device{}());
  int done = 0, refused = 0;
  for (int i = 0; i < 10; ++i) {
    start({counter("c")});
    auto bytes = v2();
    const std::uint64_t salt = rng();
    bytes.insert(bytes.end(), {0x00, 0x0a, 0x01, 'x'});  // a custom section "x" of 8 random bytes
    for (int b = 0; b < 8; ++b) bytes.push_back(static_cast<std::uint8_t>(salt >> (8 * b)));
    auto upgraded = std::async(std::launch::async, [&] { return runtime->upgrade("c", bytes); });
    runtime->stop();
    ASSERT_EQ(upgraded.wait_for(30s), std::future_status::ready) << "the upgrade never returned";
    const auto st = upgraded.get();
    if (st.ok()) {
      ++done;
    } else {
      EXPECT_EQ(st.error().code, ErrorCode::kFailedPrecondition) << st.error().to_string();
      ++refused;
    }
    runtime.reset();
  }
  std::printf("upgrades racing stop: %d done, %d refused\n", done, refused);
}

// Two upgrades at once: one may find the other in progress, or both succeed one after the
// other; the component ends on one of the modules with its count, and nothing crashes.
TEST_P(Upgrade, ConcurrentUpgradesAreSerializedOrRefused) {
  start({counter("c")});
  constexpr int kRounds = 20;
  int ok = 0, busy = 0;
  for (int round = 0; round < kRounds; ++round) {
    post("c", "tick");
    Status results[2];
    std::atomic<int> ready{0};
    auto run = [&](int i) {
      ready.fetch_add(1);
      while (ready.load() < 2) std::this_thread::yield();
      results[i] = runtime->upgrade("c", i == 0 ? v1() : v2());
    };
    std::thread t0(run, 0), t1(run, 1);
    t0.join();
    t1.join();
    for (const auto& r : results) {
      if (r.ok()) {
        ++ok;
      } else {
        EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition) << r.error().to_string();
        EXPECT_NE(r.error().message.find("another upgrade is in progress"), std::string::npos) << r.error().to_string();
        ++busy;
      }
    }
    EXPECT_TRUE(results[0].ok() || results[1].ok()) << "round " << round;
  }
  post("c", "get");
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto counts = collector.logs_matching("^c: v[12] count=");
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(field(counts[0], "count"), kRounds);
  EXPECT_EQ(stats("c").upgrades, static_cast<std::uint64_t>(ok));
  EXPECT_EQ(stats("c").upgrade_rollbacks, 0u);  // "in progress" is refused before it starts
  std::printf("concurrent upgrades: %d succeeded, %d found another in progress\n", ok, busy);
}

INSTANTIATE_TEST_SUITE_P(Engines, Upgrade, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
