// send-after and cancel-timer through real wasm guests, on every engine: due order on the
// manual clock, the statuses at the call, budgets, cancel racing the firing (exactly one
// outcome), timers as pending work (wait_idle, `wactor run --until-idle`), and timers of a
// component that stops.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::field;

class Timers : public test::EngineRuntimeTest {
 protected:
  // Posts a send-after command to `from` and returns what it logged (its `nth` such line).
  long long send_after(const std::string& from, const std::string& target, long long ms, const std::string& payload,
                       std::size_t nth) {
    post(from, "sendafter " + target + " " + std::to_string(ms) + " " + payload);
    return logged(from, "sendafter id", nth);
  }
  long long cancel_timer(const std::string& from, long long id, std::size_t nth) {
    post(from, "canceltimer " + std::to_string(id));
    return logged(from, "canceltimer rc", nth);
  }
  // The number in the `nth` line "<from>: <what>=<n>" (waits for it).
  long long logged(const std::string& from, const std::string& what, std::size_t nth) {
    auto lines = collector.wait_logs_more_than("^" + from + ": " + what + "=", nth);
    if (lines.size() > nth) return std::stoll(lines[nth].substr(lines[nth].find('=') + 1));
    ADD_FAILURE() << "no " << what << " logged by " << from;
    return -999;
  }
  // Payloads of the messages `to` got from `from`, in order.
  std::vector<std::string> received(const std::string& to, const std::string& from) {
    std::vector<std::string> out;
    const std::string prefix = to + ": msg from=" + from + " req=0 payload=";
    for (const auto& l : collector.logs_matching("^" + to + ": msg from=" + from + " ")) {
      if (l.rfind(prefix, 0) == 0) out.push_back(l.substr(prefix.size()));
    }
    return out;
  }
  void fire_at(std::chrono::milliseconds advance) {
    clock.advance(advance);
    runtime->expire_timers();
  }
};

TEST_P(Timers, FireInDueOrderOnTheManualClock) {
  start_manual({probe("a"), probe("b")});
  const long long t30 = send_after("a", "b", 30, "t30", 0);
  const long long t10 = send_after("a", "b", 10, "t10", 1);
  const long long t20 = send_after("a", "b", 20, "t20", 2);
  const long long t10b = send_after("a", "b", 10, "t10b", 3);  // same time as t10: after it
  for (long long id : {t30, t10, t20, t10b}) EXPECT_GT(id, 0);
  EXPECT_EQ(std::set<long long>({t30, t10, t20, t10b}).size(), 4u);
  EXPECT_EQ(runtime->metrics().pending_timers, 4u);
  fire_at(9ms);
  EXPECT_FALSE(runtime->wait_idle(100ms));  // four timers pending
  EXPECT_TRUE(received("b", "a").empty());
  fire_at(1ms);
  ASSERT_EQ(collector.wait_logs_more_than("^b: msg from=a ", 1).size(), 2u);
  EXPECT_FALSE(runtime->idle());
  fire_at(100ms);  // both others at once: still in due order
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(received("b", "a"), (std::vector<std::string>{"t10", "t10b", "t20", "t30"}));
  const auto a = stats("a");
  EXPECT_EQ(a.timers_set, 4u);
  EXPECT_EQ(a.timers_cancelled, 0u);
  EXPECT_EQ(a.timers_dropped, 0u);
  EXPECT_EQ(runtime->metrics().pending_timers, 0u);
}

TEST_P(Timers, DelayZeroFiresAtTheNextExpiryWithoutTimeMoving) {
  start_manual({probe("a"), probe("b")});
  EXPECT_GT(send_after("a", "b", 0, "now", 0), 0);
  EXPECT_FALSE(runtime->idle());
  runtime->expire_timers();
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(received("b", "a"), std::vector<std::string>{"now"});
}

TEST_P(Timers, DelayZeroFiresAtOnceOnTheRealClock) {
  start({probe("a"), probe("b")});
  EXPECT_GT(send_after("a", "b", 0, "now", 0), 0);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(received("b", "a"), std::vector<std::string>{"now"});
}

TEST_P(Timers, ATimerToATargetStoppedMeanwhileIsDroppedAndCounted) {
  start_manual({probe("a"), probe("b"), probe("c")});
  EXPECT_GT(send_after("a", "b", 10, "lost", 0), 0);
  EXPECT_GT(send_after("a", "c", 10, "kept", 1), 0);
  ASSERT_TRUE(runtime->stop_component("b").ok());
  fire_at(10ms);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_TRUE(received("b", "a").empty());
  EXPECT_EQ(received("c", "a"), std::vector<std::string>{"kept"});
  const auto a = stats("a");
  EXPECT_EQ(a.timers_dropped, 1u);
  EXPECT_EQ(a.timers_set, 2u);
  EXPECT_EQ(runtime->metrics().total.timers_dropped, 1u);
  EXPECT_EQ(runtime->metrics().pending_timers, 0u);
}

TEST_P(Timers, StatusesAtTheCall) {
  auto o = options();
  o.clock = &clock;
  o.max_payload_bytes = 64;
  auto a = probe("a");
  auto limited = probe("limited");
  limited.capabilities = Capabilities{{"c"}, {}, {}, {}, {}};  // may send to c only
  // A payload over max_payload_bytes: set from init (a posted command cannot carry one).
  auto big = probe("big", "run:sendafter b 10 " + std::string(100, 'x'));
  start({a, probe("b"), probe("c"), limited, big}, std::move(o));
  EXPECT_EQ(logged("big", "sendafter id", 0), -5);
  EXPECT_EQ(send_after("a", "nobody", 10, "x", 0), -1);
  EXPECT_EQ(send_after("a", "bad/id", 10, "x", 1), -4);
  EXPECT_EQ(send_after("a", "b", -5, "x", 2), -4);
  EXPECT_EQ(send_after("limited", "b", 10, "x", 0), -2);
  EXPECT_GT(send_after("limited", "c", 10, "x", 1), 0);
  ASSERT_TRUE(runtime->stop_component("c").ok());
  EXPECT_EQ(send_after("limited", "c", 10, "x", 2), -1);  // stopped: as for send
  // Bad pointers, a negative delay and a bad UTF-8 target, straight from the guest.
  post("a", "badspawn");
  const auto line = collector.wait_log("^a: badspawn ");
  ASSERT_FALSE(line.empty());
  std::istringstream in(line.substr(line.find("badspawn ") + 9));
  std::vector<long long> r{std::istream_iterator<long long>(in), std::istream_iterator<long long>()};
  ASSERT_EQ(r.size(), 16u) << line;
  EXPECT_EQ(r[8], -4) << "send-after payload out of bounds";
  EXPECT_EQ(r[9], -4) << "send-after delay -1";
  EXPECT_EQ(r[10], -4) << "send-after target not UTF-8";
  EXPECT_EQ(r[14], -4) << "cancel-timer 0";
  EXPECT_EQ(r[15], -4) << "cancel-timer -5";
  EXPECT_EQ(stats("a").timers_set, 0u);  // nothing refused was set
  EXPECT_EQ(stats("big").refused_too_large, 1u);
  EXPECT_EQ(stats("limited").refused_denied, 1u);
  EXPECT_EQ(runtime->metrics().pending_timers, 1u);  // limited's timer to c (dropped when due)
}

TEST_P(Timers, PerComponentMaxTimers) {
  auto o = options();
  o.clock = &clock;
  o.budget.max_timers = 2;
  start({probe("a"), probe("b"), probe("c")}, std::move(o));
  EXPECT_GT(send_after("a", "b", 10, "one", 0), 0);
  const long long two = send_after("a", "b", 20, "two", 1);
  EXPECT_GT(two, 0);
  EXPECT_EQ(send_after("a", "b", 10, "three", 2), -7);
  EXPECT_GT(send_after("c", "b", 10, "other", 0), 0);  // another component's budget is its own
  EXPECT_FALSE(collector.wait_event("^a: budget: send-after refused: 2 timers already pending").empty());
  EXPECT_EQ(stats("a").refused_limit, 1u);
  EXPECT_EQ(cancel_timer("a", two, 0), 0);  // a cancelled timer frees its place
  EXPECT_GT(send_after("a", "b", 10, "four", 3), 0);
  EXPECT_EQ(send_after("a", "b", 10, "five", 4), -7);
  fire_at(10ms);  // so does a fired one
  ASSERT_EQ(collector.wait_logs_more_than("^b: msg from=a ", 1).size(), 2u);
  EXPECT_GT(send_after("a", "b", 10, "six", 5), 0);
  fire_at(10ms);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(received("b", "a"), (std::vector<std::string>{"one", "four", "six"}));
}

TEST_P(Timers, HostMaxTimers) {
  auto o = options();
  o.clock = &clock;
  o.host_budget.max_timers = 3;
  start({probe("a"), probe("b"), probe("c")}, std::move(o));
  const long long first = send_after("a", "b", 10, "x", 0);
  EXPECT_GT(first, 0);
  EXPECT_GT(send_after("a", "b", 10, "x", 1), 0);
  EXPECT_GT(send_after("c", "b", 10, "x", 0), 0);
  EXPECT_EQ(send_after("c", "b", 10, "x", 1), -7);
  EXPECT_EQ(send_after("a", "b", 10, "x", 2), -7);
  EXPECT_FALSE(collector.wait_event("^c: budget: send-after refused: the host's 3 pending timers are used up").empty());
  EXPECT_EQ(runtime->metrics().pending_timers, 3u);
  EXPECT_EQ(cancel_timer("a", first, 0), 0);
  EXPECT_GT(send_after("c", "b", 10, "x", 2), 0);
  EXPECT_EQ(send_after("a", "b", 10, "x", 3), -7);
  fire_at(10ms);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(runtime->metrics().pending_timers, 0u);
  EXPECT_GT(send_after("a", "b", 10, "x", 4), 0);  // all given back
  EXPECT_EQ(stats("a").refused_limit + stats("c").refused_limit, 3u);
}

TEST_P(Timers, CancelTimerStatuses) {
  start_manual({probe("a"), probe("b"), probe("c")});
  const long long id = send_after("a", "b", 10, "cancelled", 0);
  ASSERT_GT(id, 0);
  EXPECT_EQ(cancel_timer("c", id, 0), -2);  // another component's timer: it stays
  EXPECT_FALSE(collector.wait_event("^c: denied: cancel-timer " + std::to_string(id) + ": another component's timer").empty());
  EXPECT_EQ(cancel_timer("a", id, 0), 0);
  EXPECT_EQ(cancel_timer("a", id, 1), -1);  // already cancelled
  EXPECT_EQ(cancel_timer("c", id, 1), -1);  // gone: not "another component's" any more
  const long long fired = send_after("a", "b", 10, "fired", 1);
  ASSERT_GT(fired, 0);
  fire_at(10ms);
  ASSERT_FALSE(collector.wait_log("^b: msg from=a req=0 payload=fired$").empty());
  EXPECT_EQ(cancel_timer("a", fired, 2), -1);  // already fired
  EXPECT_EQ(cancel_timer("a", 987654321, 3), -1);  // never existed
  EXPECT_EQ(cancel_timer("a", 0, 4), -4);
  EXPECT_EQ(cancel_timer("a", -3, 5), -4);
  fire_at(1h);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(received("b", "a"), std::vector<std::string>{"fired"});
  EXPECT_EQ(stats("a").timers_cancelled, 1u);
  EXPECT_EQ(stats("c").refused_denied, 1u);
}

// Real clock: timers due within a few milliseconds, each cancelled by its owner as soon as
// its id is known. Every timer is delivered or cancelled (rc 0), never both, never neither.
TEST_P(Timers, CancelRacingTheFiringGivesExactlyOneOutcome) {
  const unsigned seed = test::seed();
  SCOPED_TRACE("WACTOR_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  start({probe("a0"), probe("a1"), probe("b")});
  constexpr int kRounds = 8, kPerRound = 40;
  std::map<std::string, std::vector<std::string>> payloads;  // per owner, in command order
  for (int round = 0; round < kRounds; ++round) {
    for (const std::string owner : {"a0", "a1"}) {
      const std::size_t before = payloads[owner].size();
      for (int k = 0; k < kPerRound; ++k) {
        // Mostly due at once or within 3 ms; a few far away (certainly cancelled in time).
        const int ms = k % 10 == 9 ? 60'000 : static_cast<int>(rng() % 4);
        const std::string p = owner + "." + std::to_string(payloads[owner].size());
        payloads[owner].push_back(p);
        post(owner, "sendafter b " + std::to_string(ms) + " " + p);
      }
      auto lines = collector.wait_logs_more_than("^" + owner + ": sendafter id=", payloads[owner].size() - 1);
      ASSERT_EQ(lines.size(), payloads[owner].size());
      for (std::size_t i = before; i < lines.size(); ++i) {
        const long long id = field(lines[i], "id");
        ASSERT_GT(id, 0) << lines[i];
        post(owner, "canceltimer " + std::to_string(id));
      }
    }
  }
  ASSERT_TRUE(runtime->wait_idle(60s));
  std::map<std::string, int> delivered;
  for (const auto& owner : {"a0", "a1"}) {
    for (const auto& p : received("b", owner)) ++delivered[p];
  }
  std::size_t cancelled = 0, fired = 0;
  for (const auto& [owner, ps] : payloads) {
    const auto rcs = collector.logs_matching("^" + owner + ": canceltimer rc=");
    ASSERT_EQ(rcs.size(), ps.size()) << owner;
    std::size_t own_cancelled = 0;
    for (std::size_t i = 0; i < ps.size(); ++i) {
      const long long rc = field(rcs[i], "rc");
      const int n = delivered[ps[i]];
      if (rc == 0) {
        EXPECT_EQ(n, 0) << ps[i] << " was cancelled and delivered";
        ++own_cancelled;
      } else {
        EXPECT_EQ(rc, -1) << ps[i];
        EXPECT_EQ(n, 1) << ps[i] << " was neither cancelled nor delivered once";
        ++fired;
      }
    }
    cancelled += own_cancelled;
    const auto s = stats(owner);
    EXPECT_EQ(s.timers_set, ps.size());
    EXPECT_EQ(s.timers_cancelled, own_cancelled);
    EXPECT_EQ(s.timers_dropped, 0u);
  }
  EXPECT_EQ(cancelled + fired, 2u * kRounds * kPerRound);
  EXPECT_EQ(stats("b").messages_handled, fired);
  EXPECT_GT(cancelled, 0u);
  EXPECT_GT(fired, 0u);
  EXPECT_EQ(runtime->metrics().pending_timers, 0u);
  std::printf("cancel racing the firing: %zu cancelled, %zu fired\n", cancelled, fired);
}

TEST_P(Timers, PendingTimersKeepTheRuntimeBusyUntilTheyFireOrAreCancelled) {
  start_manual({probe("a"), probe("b")});
  const long long id = send_after("a", "b", 50, "x", 0);
  ASSERT_GT(id, 0);
  EXPECT_FALSE(runtime->idle());
  EXPECT_FALSE(runtime->wait_idle(200ms));
  EXPECT_EQ(cancel_timer("a", id, 0), 0);
  EXPECT_TRUE(runtime->wait_idle(10s));
  EXPECT_GT(send_after("a", "b", 50, "y", 1), 0);
  EXPECT_FALSE(runtime->wait_idle(100ms));
  fire_at(49ms);
  EXPECT_FALSE(runtime->wait_idle(100ms));
  fire_at(1ms);
  EXPECT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(received("b", "a"), std::vector<std::string>{"y"});
}

TEST_P(Timers, AComponentsTimersAreCancelledWhenItStops) {
  start_manual({probe("a"), probe("b")});
  for (int i = 0; i < 3; ++i) EXPECT_GT(send_after("a", "b", 10 * (i + 1), "never", static_cast<std::size_t>(i)), 0);
  EXPECT_EQ(runtime->metrics().pending_timers, 3u);
  EXPECT_FALSE(runtime->idle());
  ASSERT_TRUE(runtime->stop_component("a").ok());
  ASSERT_TRUE(runtime->wait_idle(10s));  // without the clock moving: they are no longer work
  EXPECT_EQ(runtime->metrics().pending_timers, 0u);
  fire_at(1h);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_TRUE(received("b", "a").empty());
  const auto a = stats("a");  // its final counters
  EXPECT_EQ(a.timers_set, 3u);
  EXPECT_EQ(a.timers_cancelled, 3u);
  EXPECT_EQ(a.timers_dropped, 0u);
}

INSTANTIATE_TEST_SUITE_P(Engines, Timers, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

// `wactor run --until-idle` waits for a pending timer (it is work, like a pending request).
class TimersCli : public ::testing::TestWithParam<std::string> {};

TEST_P(TimersCli, UntilIdleWaitsForPendingTimers) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("wactor_timers_cli_" + std::to_string(::getpid()) + "_" + GetParam());
  fs::create_directories(dir);
  fs::copy_file(test::guest_path("probe.wasm"), dir / "probe.wasm", fs::copy_options::overwrite_existing);
  std::ofstream(dir / "app.toml") << R"([[component]]
id = "a"
wasm = "probe.wasm"
config = "run:sendafter b 300 late"
send = ["b"]

[[component]]
id = "b"
wasm = "probe.wasm"
)";
  const std::string cmd = std::string(WACTOR_BINARY) + " run " + (dir / "app.toml").string() + " --engine " +
                          GetParam() + " --until-idle --max-seconds 30 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int st = pclose(p);
  fs::remove_all(dir);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;
  EXPECT_NE(out.find("a INFO sendafter id="), std::string::npos) << out;
  EXPECT_EQ(out.find("a INFO sendafter id=-"), std::string::npos) << out;
  EXPECT_NE(out.find("b INFO msg from=a req=0 payload=late\n"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Engines, TimersCli, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
