// Components that come and go, through real wasm guests on every engine: spawn from a
// guest and from the host, the statuses of spawn/stop/monitor, the supervision tree of
// owners and children, and the $down notices for each reason.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>

#include "spawn_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;

class Spawn : public test::SpawnRuntimeTest {};

TEST_P(Spawn, AChildRunsItsInitBeforeTheMessagesSentRightAfterTheSpawn) {
  run({probe("p")}, {module("probe", "from-module")});
  // spawnn spawns and sends in the same handler call: the message queues behind the init.
  post("p", "spawnn probe c 1 data-now");
  ASSERT_FALSE(collector.wait_log("^p: spawnn ok=1 last=0 sent=1$").empty());
  ASSERT_FALSE(collector.wait_log("^c0: msg from=p req=0 payload=data-now$").empty());
  auto c0 = collector.logs_matching("^c0: ");
  ASSERT_GE(c0.size(), 2u);
  EXPECT_EQ(c0[0], "c0: init config=from-module");  // an empty config: the module's
  EXPECT_EQ(c0[1], "c0: msg from=p req=0 payload=data-now");
  // A config given to spawn reaches init; the child can be messaged by guests and the host.
  EXPECT_EQ(call("p", "spawn probe kid some config text", "spawn rc"), 0);
  EXPECT_EQ(call("p", "send kid count", "send rc"), 0);
  ASSERT_FALSE(collector.wait_log("^kid: count=1$").empty());
  EXPECT_EQ(collector.logs_matching("^kid: ")[0], "kid: init config=some config text");
  post("kid", "whoami");
  EXPECT_FALSE(collector.wait_log("^kid: self=kid len=3 ").empty());
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(stats("p").spawned, 2u);
  EXPECT_EQ(runtime->metrics().live_components, 3u);
}

TEST_P(Spawn, AGuestMaySpawnFromItsInit) {
  run({probe("p", "run:spawn probe early cfg")}, {module("probe")});
  ASSERT_EQ(collector.logs_matching("^p: spawn rc=0$").size(), 1u);  // init ran in start()
  post("early", "count");
  ASSERT_FALSE(collector.wait_log("^early: count=1$").empty());
  EXPECT_EQ(collector.logs_matching("^early: ")[0], "early: init config=cfg");
}

TEST_P(Spawn, ThousandsOfChildrenEachGetTheirMessage) {
  constexpr int kChildren = test::kSanitized ? 2'500 : 10'000;  // 10k takes ~50 s on interp under TSan
  auto o = options();
  o.limits.deadline = 0ms;  // one handler call spawns them all (seconds under TSan on interp)
  run({probe("p")}, {module("probe")}, o);
  post("p", "spawnn probe w " + std::to_string(kChildren) + " data");
  ASSERT_TRUE(runtime->wait_idle(300s));
  EXPECT_TRUE(collector.events_matching("^p: ").empty());
  ASSERT_EQ(collector.logs_matching("^p: spawnn "),
            std::vector<std::string>{"p: spawnn ok=" + std::to_string(kChildren) + " last=0 sent=" +
                                     std::to_string(kChildren)});
  EXPECT_EQ(collector.logs_matching("^w[0-9]+: msg from=p req=0 payload=data$").size(),
            static_cast<std::size_t>(kChildren));
  const RuntimeMetrics m = runtime->metrics();
  EXPECT_EQ(m.live_components, kChildren + 1u);
  EXPECT_EQ(m.total.spawned, static_cast<std::uint64_t>(kChildren));
  std::size_t got_one = 0;
  for (const auto& [id, s] : m.components) {
    if (id != "p" && s.messages_handled == 1) ++got_one;
  }
  EXPECT_EQ(got_one, static_cast<std::size_t>(kChildren));
  EXPECT_TRUE(collector.events_matching("dropped|trap|host-error").empty());
}

TEST_P(Spawn, SpawnStatuses) {
  auto p = probe("p");
  p.capabilities.spawn = {"probe"};
  auto o = options();
  o.max_components = 4;  // p, q and two more
  run({p, probe("q")}, {module("probe"), module("other")}, o);
  EXPECT_EQ(call("p", "spawn nope x", "spawn rc"), -1);    // unknown module
  EXPECT_EQ(call("p", "spawn other x", "spawn rc"), -2);   // no spawn grant covers it
  EXPECT_EQ(call("p", "spawn probe bad/id", "spawn rc"), -4);
  EXPECT_EQ(call("p", "spawn probe " + std::string(129, 'a'), "spawn rc"), -4);
  EXPECT_EQ(call("p", "spawn probe q", "spawn rc"), -6);   // a manifest component's id
  EXPECT_EQ(call("p", "spawn probe p", "spawn rc"), -6);   // its own
  EXPECT_EQ(call("p", "spawn probe k1", "spawn rc"), 0);
  EXPECT_EQ(call("p", "spawn probe k1", "spawn rc"), -6);  // a spawned one's
  EXPECT_EQ(call("p", "spawn probe k2", "spawn rc"), 0);
  EXPECT_EQ(call("p", "spawn probe k3", "spawn rc"), -7);  // max_components: 4 live, the manifest's included
  EXPECT_EQ(call("q", "spawn probe k3", "spawn rc"), -7);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(runtime->post("x", "count"), -1);  // nothing was made by a refused spawn
  EXPECT_EQ(runtime->post("k3", "count"), -1);
  EXPECT_EQ(stats("p").spawned, 2u);
  EXPECT_EQ(stats("p").refused_limit, 1u);
  EXPECT_EQ(stats("p").refused_denied, 1u);
  EXPECT_EQ(runtime->metrics().live_components, 4u);
  // Once one stopped, there is room again.
  EXPECT_EQ(call("p", "stop k1", "stop rc"), 0);
  ASSERT_EQ(wait_downs("p", "k1", "stopped").size(), 1u);
  EXPECT_EQ(call("q", "spawn probe k3", "spawn rc"), 0);
}

TEST_P(Spawn, MaxChildrenBoundsTheLiveChildrenOfOneComponent) {
  auto p = probe("p");
  ComponentBudget b;
  b.max_children = 2;
  p.budget = b;
  run({p, probe("q")}, {module("probe")});
  EXPECT_EQ(call("p", "spawn probe c1", "spawn rc"), 0);
  EXPECT_EQ(call("p", "spawn probe c2", "spawn rc"), 0);
  EXPECT_EQ(call("p", "spawn probe c3", "spawn rc"), -7);
  EXPECT_EQ(call("q", "spawn probe c3", "spawn rc"), 0);  // another owner's budget
  EXPECT_EQ(call("p", "stop c1", "stop rc"), 0);
  ASSERT_EQ(wait_downs("p", "c1", "stopped").size(), 1u);
  EXPECT_EQ(call("p", "spawn probe c4", "spawn rc"), 0);
  EXPECT_EQ(call("p", "spawn probe c5", "spawn rc"), -7);
}

TEST_P(Spawn, BadArgumentsGiveMinusFourAndNothingCrashes) {
  run({probe("p")}, {module("probe")});
  post("p", "badspawn");
  const auto line = collector.wait_log("^p: badspawn ");
  std::string expected = "p: badspawn";
  for (int i = 0; i < 16; ++i) expected += " -4";
  EXPECT_EQ(line, expected);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(runtime->metrics().live_components, 1u);  // nothing was spawned ("x" included)
  EXPECT_EQ(runtime->post("x", "count"), -1);
  EXPECT_EQ(stats("p").spawned, 0u);
  EXPECT_EQ(stats("p").traps, 0u);
  EXPECT_EQ(call("p", "count", "count"), 2);  // the same instance goes on
}

TEST_P(Spawn, AnIdCanBeUsedAgainOnceItsComponentStopped) {
  run({probe("p")}, {module("probe")});
  for (int i = 1; i <= 20; ++i) {
    const std::string cfg = "round" + std::to_string(i);
    ASSERT_EQ(call("p", "spawn probe k " + cfg, "spawn rc"), 0) << i;
    // (A child stopped before its init ran never runs it, nor its shutdown.)
    ASSERT_FALSE(collector.wait_log("^k: init config=" + cfg + "$").empty());
    ASSERT_EQ(call("p", "stop k", "stop rc"), 0) << i;
    ASSERT_EQ(wait_downs("p", "k", "stopped", i).size(), static_cast<std::size_t>(i));
  }
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^k: init config=round").size(), 20u);
  EXPECT_EQ(collector.logs_matching("^k: shutdown seen=0$").size(), 20u);
  EXPECT_EQ(runtime->metrics().live_components, 1u);
  EXPECT_EQ(runtime->metrics().components_gone, 20u);
}

TEST_P(Spawn, OnlyTheOwnerMayStopAChild) {
  run({probe("p"), probe("q")}, {module("probe")});
  EXPECT_EQ(call("p", "spawn probe k", "spawn rc"), 0);
  EXPECT_EQ(call("q", "stop k", "stop rc"), -2);        // not its owner
  EXPECT_EQ(call("q", "stop p", "stop rc"), -2);        // the manifest's belong to the host
  EXPECT_EQ(call("p", "stop nobody", "stop rc"), -1);
  EXPECT_EQ(call("p", "stop bad/id", "stop rc"), -4);
  EXPECT_EQ(call("p", "send k count", "send rc"), 0);  // still alive
  ASSERT_FALSE(collector.wait_log("^k: count=1$").empty());
  EXPECT_EQ(call("p", "stop k", "stop rc"), 0);
  EXPECT_EQ(call("p", "stop k", "stop rc"), -1);  // already stopped
  ASSERT_EQ(wait_downs("p", "k", "stopped").size(), 1u);
  EXPECT_EQ(call("p", "stop k", "stop rc"), -1);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(downs("q", "k").size(), 0u);  // q neither owns nor monitors it
  EXPECT_EQ(stats("q").refused_denied, 2u);
}

TEST_P(Spawn, StopEndsTheRequestsForTheChildWithStatusFourAndLaterSendsGetMinusOne) {
  run({probe("p"), probe("r")}, {module("probe")});
  EXPECT_EQ(call("p", "spawn probe k", "spawn rc"), 0);
  // One received and kept unanswered, one queued behind a handler that never ends.
  const long long held = request_id_after("r", "request k 0 defer", 0);
  ASSERT_FALSE(collector.wait_log("^k: msg from=r req=" + std::to_string(held) + " ").empty());
  post("k", "loop");
  ASSERT_FALSE(collector.wait_log("^k: msg from=\\$host req=0 payload=loop$").empty());
  const long long queued = request_id_after("r", "request k 0 queued", 1);
  ASSERT_GT(queued, 0);
  EXPECT_EQ(call("p", "stop k", "stop rc"), 0);
  EXPECT_EQ(call("r", "send k count", "send rc"), -1);  // at once
  ASSERT_EQ(wait_downs("p", "k", "stopped").size(), 1u);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^r: callback id=" + std::to_string(held) + " status=4 ").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^r: callback id=" + std::to_string(queued) + " status=4 ").size(), 1u);
  EXPECT_TRUE(collector.logs_matching("^k: msg from=r req=" + std::to_string(queued)).empty());
  EXPECT_EQ(runtime->post("k", "count"), -1);
  EXPECT_EQ(runtime->pending_requests(), 0u);
}

TEST_P(Spawn, StoppingAnOwnerStopsItsChildrenAndGrandchildren) {
  run({probe("p"), probe("w")}, {module("probe")});
  EXPECT_EQ(call("p", "spawn probe c1", "spawn rc"), 0);
  EXPECT_EQ(call("p", "spawn probe c2", "spawn rc"), 0);
  EXPECT_EQ(call("c1", "spawn probe g1", "spawn rc"), 0);
  EXPECT_EQ(call("g1", "spawn probe gg1", "spawn rc"), 0);
  for (const char* id : {"c1", "c2", "g1", "gg1"}) EXPECT_EQ(call("w", std::string("monitor ") + id, "monitor rc"), 0);
  // Each init ran (c2's and gg1's need not have by now): one stopped before its init never
  // runs shutdown (docs/ABI.md, stop), and every one must log it below.
  for (const char* id : {"c2", "gg1"}) ASSERT_FALSE(collector.wait_log(std::string("^") + id + ": init config=").empty()) << id;
  ASSERT_TRUE(runtime->stop_component("p").ok());
  for (const char* id : {"c1", "c2", "g1", "gg1"}) ASSERT_EQ(wait_downs("w", id, "owner-stopped").size(), 1u) << id;
  ASSERT_TRUE(runtime->wait_idle(10s));
  for (const char* id : {"p", "c1", "c2", "g1", "gg1"}) {
    EXPECT_EQ(runtime->post(id, "count"), -1) << id;
    EXPECT_EQ(collector.logs_matching(std::string("^") + id + ": shutdown seen=").size(), 1u) << id;
  }
  for (const char* id : {"c1", "c2", "g1", "gg1"}) EXPECT_EQ(downs("w", id).size(), 1u) << id;
  EXPECT_EQ(runtime->metrics().live_components, 1u);
  EXPECT_EQ(runtime->metrics().components_gone, 5u);
  EXPECT_EQ(runtime->component_ids(), std::vector<std::string>{"w"});
  // A notice for an owner already gone is not queued to it: nothing arrives at a down component.
  EXPECT_TRUE(collector.events_matching("dropped").empty());
}

TEST_P(Spawn, OneDownNoticePerWatcherWhenStopped) {
  run({probe("p"), probe("w")}, {module("probe")});
  EXPECT_EQ(call("p", "spawn probe k", "spawn rc"), 0);
  EXPECT_EQ(call("p", "monitor k", "monitor rc"), 0);  // the owner also monitors: still one
  EXPECT_EQ(call("w", "monitor k", "monitor rc"), 0);
  EXPECT_EQ(call("w", "monitor k", "monitor rc"), 0);  // twice: still one
  EXPECT_EQ(call("p", "stop k", "stop rc"), 0);
  ASSERT_EQ(wait_downs("p", "k", "stopped").size(), 1u);
  ASSERT_EQ(wait_downs("w", "k", "stopped").size(), 1u);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(downs("p", "k").size(), 1u);
  EXPECT_EQ(downs("w", "k").size(), 1u);
  EXPECT_EQ(stats("p").down_notices, 1u);
  EXPECT_EQ(stats("w").down_notices, 1u);
  EXPECT_EQ(call("w", "demonitor k", "demonitor rc"), -1);  // the monitor ended with the notice
}

TEST_P(Spawn, DownNoticeWhenHostStopsAChild) {
  run({probe("p"), probe("w")}, {module("probe")});
  EXPECT_EQ(call("p", "spawn probe k", "spawn rc"), 0);
  EXPECT_EQ(call("w", "monitor p", "monitor rc"), 0);  // a manifest component: no owner to tell
  EXPECT_EQ(call("w", "monitor k", "monitor rc"), 0);
  ASSERT_TRUE(runtime->stop_component("k").ok());  // the host may stop any component
  ASSERT_EQ(wait_downs("p", "k", "stopped").size(), 1u);
  ASSERT_EQ(wait_downs("w", "k", "stopped").size(), 1u);
  ASSERT_TRUE(runtime->stop_component("p").ok());
  ASSERT_EQ(wait_downs("w", "p", "stopped").size(), 1u);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(downs("w", "k").size() + downs("w", "p").size(), 2u);
}

TEST_P(Spawn, DownNoticeWhenAChildEscalates) {
  auto o = options();
  o.supervision.max_restarts = 0;  // a component alone in its group: the first failure is final
  run({probe("p"), probe("w")}, {module("probe")}, o);
  EXPECT_EQ(call("p", "spawn probe k", "spawn rc"), 0);
  EXPECT_EQ(call("w", "monitor k", "monitor rc"), 0);
  post("k", "trap");
  ASSERT_EQ(wait_downs("p", "k", "escalated").size(), 1u);
  ASSERT_EQ(wait_downs("w", "k", "escalated").size(), 1u);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(downs("p", "k").size(), 1u);
  EXPECT_EQ(downs("w", "k").size(), 1u);
  EXPECT_EQ(collector.events_matching("^k: escalated: ").size(), 1u);
  EXPECT_EQ(runtime->post("k", "count"), -1);
  EXPECT_EQ(call("p", "spawn probe k", "spawn rc"), 0);  // the id is free again
}

TEST_P(Spawn, AChildWhoseInitFailsIsRemovedAndItsOwnerHears) {
  run({probe("p")}, {module("probe")});
  EXPECT_EQ(call("p", "spawn probe k fail", "spawn rc"), 0);  // init runs later, on a worker
  ASSERT_EQ(wait_downs("p", "k", "init-failed").size(), 1u);
  ASSERT_FALSE(collector.wait_event("^k: init-failed: .*init returned 9").empty());
  EXPECT_EQ(runtime->post("k", "count"), -1);
  EXPECT_EQ(call("p", "spawn probe k ok", "spawn rc"), 0);  // the id is free again
  post("k", "count");
  ASSERT_FALSE(collector.wait_log("^k: count=1$").empty());
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(downs("p", "k").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^k: shutdown").size(), 0u);  // a failed init gets no shutdown
}

TEST_P(Spawn, DemonitorMeansNoNoticeButTheOwnerStillHears) {
  auto m = probe("m");
  m.capabilities.send = {"x.*"};
  run({probe("p"), probe("w"), m}, {module("probe")});
  EXPECT_EQ(call("p", "spawn probe k", "spawn rc"), 0);
  EXPECT_EQ(call("w", "monitor nobody", "monitor rc"), -1);
  EXPECT_EQ(call("w", "monitor bad/id", "monitor rc"), -4);
  EXPECT_EQ(call("m", "monitor k", "monitor rc"), -2);        // no send grant covers it
  EXPECT_EQ(call("m", "monitor x.nobody", "monitor rc"), -1);  // granted but unknown
  EXPECT_EQ(call("w", "monitor k", "monitor rc"), 0);
  EXPECT_EQ(call("w", "demonitor k", "demonitor rc"), 0);
  EXPECT_EQ(call("w", "demonitor k", "demonitor rc"), -1);
  EXPECT_EQ(call("p", "demonitor k", "demonitor rc"), -1);  // owning is not monitoring
  EXPECT_EQ(call("p", "stop k", "stop rc"), 0);
  ASSERT_EQ(wait_downs("p", "k", "stopped").size(), 1u);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_TRUE(downs("w", "k").empty());
  EXPECT_TRUE(downs("m", "k").empty());
}

TEST_P(Spawn, MonitorsAreDroppedWhenTheWatchersInstanceRestarts) {
  run({probe("p"), probe("w")}, {module("probe")});
  EXPECT_EQ(call("p", "spawn probe k", "spawn rc"), 0);
  EXPECT_EQ(call("w", "monitor k", "monitor rc"), 0);
  post("w", "trap");
  ASSERT_FALSE(collector.wait_event("^w: restarted: ").empty());
  EXPECT_EQ(call("p", "stop k", "stop rc"), 0);
  ASSERT_EQ(wait_downs("p", "k", "stopped").size(), 1u);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_TRUE(downs("w", "k").empty());
  EXPECT_EQ(call("w", "demonitor k", "demonitor rc"), -1);
}

TEST_P(Spawn, HostSpawnsFromAModuleOrASpec) {
  auto o = options();
  o.max_components = 4;
  run({probe("p")}, {module("probe", "module-config")}, o);
  ASSERT_TRUE(runtime->spawn("probe", "h1").ok());
  ASSERT_TRUE(runtime->spawn("probe", "h2", std::string("given")).ok());
  post("h1", "count");
  post("h2", "count");
  ASSERT_FALSE(collector.wait_log("^h1: count=1$").empty());
  ASSERT_FALSE(collector.wait_log("^h2: count=1$").empty());
  EXPECT_EQ(collector.logs_matching("^h1: ")[0], "h1: init config=module-config");
  EXPECT_EQ(collector.logs_matching("^h2: ")[0], "h2: init config=given");
  EXPECT_EQ(runtime->spawn("nope", "h3").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(runtime->spawn("probe", "bad id").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(runtime->spawn("probe", "h1").error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(runtime->spawn("probe", "p").error().code, ErrorCode::kAlreadyExists);
  // A spec: its own bytes (loaded once for every spec with the same bytes).
  ASSERT_TRUE(runtime->spawn(probe("s1", "spec-config")).ok());
  post("s1", "count");
  ASSERT_FALSE(collector.wait_log("^s1: count=1$").empty());
  EXPECT_EQ(collector.logs_matching("^s1: ")[0], "s1: init config=spec-config");
  EXPECT_EQ(runtime->spawn("probe", "h3").error().code, ErrorCode::kResourceExhausted);  // 4 live
  EXPECT_EQ(runtime->spawn(probe("s2")).error().code, ErrorCode::kResourceExhausted);
  // The host owns what it spawned: stopping frees the id (and the room).
  ASSERT_TRUE(runtime->stop_component("h1").ok());
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^h1: shutdown seen=1$").size(), 1u);
  EXPECT_EQ(runtime->stop_component("h1").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(runtime->spawn("probe", "h1").ok());
  EXPECT_EQ(runtime->spawn(probe("bad id")).error().code, ErrorCode::kInvalidArgument);
  runtime->stop();
  EXPECT_FALSE(runtime->spawn("probe", "late").ok());
  EXPECT_FALSE(runtime->spawn(probe("late2")).ok());
}

TEST_P(Spawn, HostSpawnOfAnIdInUseSaysSoForSpecsToo) {
  run({probe("p")}, {module("probe")});
  ASSERT_TRUE(runtime->spawn(probe("s1")).ok());
  EXPECT_EQ(runtime->spawn(probe("s1")).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(runtime->spawn(probe("p")).error().code, ErrorCode::kAlreadyExists);
}

INSTANTIATE_TEST_SUITE_P(Engines, Spawn, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

// The bundled worker-pool example, as a user runs it.
TEST(WorkerPoolExample, RunsEveryJobAndEndsOnItsOwn) {
  const std::string cmd = std::string(WACTOR_BINARY) + " run " + WACTOR_EXAMPLE_DIR +
                          "/workerpool/app.toml --until-idle --max-seconds 30 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int st = pclose(p);
  ASSERT_TRUE(WIFEXITED(st)) << out;
  EXPECT_EQ(WEXITSTATUS(st), 0) << out;
  EXPECT_NE(out.find("all 5 jobs done"), std::string::npos) << out;
}

}  // namespace
}  // namespace wactor
