#include "wactor/manifest.h"

#include <gtest/gtest.h>

namespace wactor {
namespace {

std::string error_of(const std::string& text) {
  auto m = parse_manifest(text, "dir/app.toml");
  EXPECT_FALSE(m.ok());
  return m.ok() ? std::string() : m.error().message;
}

TEST(Manifest, ParsesComponentsMessagesAndSettings) {
  auto m = parse_manifest(R"(
[runtime]
workers = 3
default_timeout_ms = 250
mailbox_capacity = 64
max_payload_bytes = 4096

[[component]]
id = "a"
wasm = "a.wasm"
config = "x=1"

[[component]]
id = "b"
wasm = "/abs/b.wasm"
mailbox_capacity = 8

[[message]]
to = "a"
payload = "go"
)",
                          "dir/app.toml");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(*m->runtime.workers, 3u);
  EXPECT_EQ(*m->runtime.default_timeout_ms, 250);
  EXPECT_EQ(*m->runtime.mailbox_capacity, 64u);
  EXPECT_EQ(*m->runtime.max_payload_bytes, 4096u);
  ASSERT_EQ(m->components.size(), 2u);
  EXPECT_EQ(m->components[0].id, "a");
  EXPECT_EQ(m->components[0].wasm, "dir/a.wasm");
  EXPECT_EQ(m->components[0].config, "x=1");
  EXPECT_EQ(m->components[0].line, 8);
  EXPECT_EQ(m->components[1].wasm, "/abs/b.wasm");
  EXPECT_EQ(m->components[1].mailbox_capacity, 8u);
  ASSERT_EQ(m->messages.size(), 1u);
  EXPECT_EQ(m->messages[0].to, "a");
  EXPECT_EQ(m->messages[0].payload, "go");
}

TEST(Manifest, LimitsAtRuntimeAndComponentLevel) {
  auto m = parse_manifest(
      "[runtime]\nfuel = 1000\ndeadline_ms = 50\n[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n"
      "max_memory_bytes = 131072\ndeadline_ms = 0\n",
      "app.toml");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(*m->runtime.limits.fuel, 1000u);
  EXPECT_EQ(*m->runtime.limits.deadline_ms, 50);
  EXPECT_EQ(*m->components[0].limits.max_memory_bytes, 131072u);
  EXPECT_EQ(*m->components[0].limits.deadline_ms, 0);
  EXPECT_FALSE(m->components[0].limits.fuel);
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\nmax_memory_bytes = 100\n"),
            "dir/app.toml:4: 'max_memory_bytes' must be between 65536 and 4294967296, not 100");
}

TEST(Manifest, CapabilityGrants) {
  auto m = parse_manifest("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\nsend = [\"b\", \"workers.*\"]\n"
                          "subscribe = [\"news.#\"]\n",
                          "app.toml");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->components[0].send, (std::vector<std::string>{"b", "workers.*"}));
  EXPECT_EQ(m->components[0].subscribe, (std::vector<std::string>{"news.#"}));
  EXPECT_TRUE(m->components[0].request.empty());
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\nsend = [\"a*\"]\n"),
            "dir/app.toml:4: 'send': invalid pattern 'a*' (dot-separated segments; '*' is one whole segment, '#' the rest)");
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\nsend = \"b\"\n"),
            "dir/app.toml:4: 'send' must be an array of patterns");
}

TEST(Manifest, SupervisionGroupsAndDefaults) {
  auto m = parse_manifest(R"(
[runtime]
max_restarts = 7
restart_window_ms = 2000
backoff_ms = 5
health_interval_ms = 250
shutdown_deadline_ms = 300
[[component]]
id = "a"
wasm = "a.wasm"
health_interval_ms = 0
[[component]]
id = "b"
wasm = "b.wasm"
[[group]]
name = "workers"
strategy = "rest-for-one"
members = ["b", "a"]
max_restarts = 2
backoff_max_ms = 50
)", "dir/app.toml");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->runtime.health_interval_ms, 250);
  EXPECT_EQ(m->runtime.limits.shutdown_deadline_ms, 300);
  EXPECT_EQ(m->components[0].health_interval_ms, 0);
  ASSERT_EQ(m->groups.size(), 1u);
  const ManifestGroup& g = m->groups[0];
  EXPECT_EQ(g.name, "workers");
  EXPECT_EQ(g.strategy, RestartStrategy::kRestForOne);
  EXPECT_EQ(g.members, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(g.line, 15);
  SupervisionPolicy p;
  m->runtime.supervision.apply(p);
  g.supervision.apply(p);
  EXPECT_EQ(p.max_restarts, 2u);
  EXPECT_EQ(p.within, std::chrono::milliseconds(2000));
  EXPECT_EQ(p.backoff, std::chrono::milliseconds(5));
  EXPECT_EQ(p.backoff_max, std::chrono::milliseconds(50));
}

TEST(Manifest, EnginePerRunAndPerComponent) {
  auto m = parse_manifest("[runtime]\nengine = \"interp\"\n[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\nengine = \"aot\"\n"
                          "[[component]]\nid = \"b\"\nwasm = \"b.wasm\"\n",
                          "dir/app.toml");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->runtime.engine, "interp");
  EXPECT_EQ(m->components[0].engine, "aot");
  EXPECT_FALSE(m->components[1].engine.has_value());
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\nengine = \"v8\"\n"),
            "dir/app.toml:4: unknown engine 'v8' (aot or interp)");
}

TEST(Manifest, GroupErrorsNameTheLine) {
  const std::string two = "[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n[[component]]\nid = \"b\"\nwasm = \"b.wasm\"\n";
  EXPECT_EQ(error_of(two + "[[group]]\nname = \"g\"\nmembers = [\"a\", \"c\"]\n"),
            "dir/app.toml:9: group 'g': no component 'c'");
  EXPECT_EQ(error_of(two + "[[group]]\nname = \"g\"\nmembers = [\"a\"]\n[[group]]\nname = \"h\"\nmembers = [\"b\", \"a\"]\n"),
            "dir/app.toml:12: group 'h': component 'a' is already in group 'g'");
  EXPECT_EQ(error_of(two + "[[group]]\nname = \"g\"\nstrategy = \"all-for-one\"\nmembers = [\"a\"]\n"),
            "dir/app.toml:9: unknown strategy 'all-for-one' (one-for-one, one-for-all or rest-for-one)");
  EXPECT_EQ(error_of(two + "[[group]]\nname = \"g\"\nmembers = []\n"),
            "dir/app.toml:9: 'members' must be a non-empty array of component ids");
  EXPECT_EQ(error_of(two + "[[group]]\nname = \"g\"\nmembers = [\"a\"]\n[[group]]\nname = \"g\"\nmembers = [\"b\"]\n"),
            "dir/app.toml:10: duplicate group name 'g'");
  EXPECT_EQ(error_of(two + "[[group]]\nname = \"b\"\nmembers = [\"a\"]\n"),
            "dir/app.toml:8: group name 'b' is a component id (a component in no group is supervised as a group of "
            "its own name): give the group another name");
  EXPECT_EQ(error_of(two + "[[group]]\nname = \"g\"\nmembers = [\"a\"]\nbackoff_ms = 10\nbackoff_max_ms = 5\n"),
            "dir/app.toml:11: 'backoff_max_ms' must be >= 'backoff_ms'");
  EXPECT_EQ(error_of(two + "[[group]]\nname = \"g\"\nmembers = [\"a\"]\nmax_restarts = -1\n"),
            "dir/app.toml:10: 'max_restarts' must be between 0 and 1000000, not -1");
}

TEST(Manifest, BudgetsAtRuntimeAndComponentLevel) {
  auto m = parse_manifest(R"([runtime]
max_pending_requests = 50
max_total_mailbox_bytes = 1000000
max_total_pending_requests = 0
max_total_memory_bytes = 8589934592
[[component]]
id = "a"
wasm = "a.wasm"
max_subscriptions = 3
max_log_line_bytes = 200
)", "dir/app.toml");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->runtime.budget.max_pending_requests, 50u);
  EXPECT_EQ(m->runtime.max_total_mailbox_bytes, 1000000u);
  EXPECT_EQ(m->runtime.max_total_pending_requests, 0u);
  EXPECT_EQ(m->runtime.max_total_memory_bytes, 8ull << 30);
  ComponentBudget b;
  m->runtime.budget.apply(b);
  m->components[0].budget.apply(b);
  EXPECT_EQ(b.max_pending_requests, 50u);
  EXPECT_EQ(b.max_subscriptions, 3u);
  EXPECT_EQ(b.max_log_line_bytes, 200u);
  EXPECT_EQ(b.max_mailbox_bytes, ComponentBudget{}.max_mailbox_bytes);
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\nmax_subscriptions = -1\n"),
            "dir/app.toml:4: 'max_subscriptions' must be between 0 and 1073741824, not -1");
}

TEST(Manifest, HostileShapesAreRefusedNotCrashed) {
  // toml++ frees nested tables recursively: a long dotted key crashed the parser's destructor.
  std::string deep = "a";
  for (int i = 0; i < 200000; ++i) deep += ".a";
  EXPECT_EQ(error_of(deep + " = 1\n"), "dir/app.toml:1: key nested too deeply (more than 32 levels)");
  std::string header = "[a";
  for (int i = 0; i < 100000; ++i) header += ".a";
  EXPECT_EQ(error_of("x = 1\n" + header + "]\n"), "dir/app.toml:2: key nested too deeply (more than 32 levels)");
  std::string inl = "x = ";
  for (int i = 0; i < 100000; ++i) inl += "{a=";
  EXPECT_EQ(error_of(inl + "\n"), "dir/app.toml:1: key nested too deeply (more than 32 levels)");
  // Dots inside strings and comments are not nesting.
  EXPECT_TRUE(parse_manifest("[[component]]\nid = \"a\"\nwasm = \"" + std::string(100, '.') + "w\" # " +
                                 std::string(100, '.') + "\n",
                             "dir/app.toml")
                  .ok());
  EXPECT_EQ(error_of(std::string(5u << 20, '#')), "dir/app.toml: larger than 4194304 bytes");
  EXPECT_EQ(error_of("[runtime]\nmax_payload_bytes = 0\n[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n"),
            "dir/app.toml:2: 'max_payload_bytes' must be between 1 and 1073741824, not 0");
}

TEST(Manifest, UnknownKeysNameTheLine) {
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\ncolour = \"red\"\n"),
            "dir/app.toml:4: unknown key 'colour' in [[component]] (allowed: wasm, config, mailbox_capacity, fuel, deadline_ms, "
            "max_memory_bytes, shutdown_deadline_ms, health_interval_ms, engine, send, request, publish, subscribe, spawn, "
            "max_pending_requests, max_mailbox_bytes, max_subscriptions, max_log_bytes_per_call, max_log_line_bytes, "
            "max_events_per_call, max_timers, max_monitors, max_children, storage_quota_bytes, id, module)");
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n[runtime]\nthreads = 2\n"),
            "dir/app.toml:5: unknown key 'threads' in [runtime] (allowed: workers, helping, worker_spin_us, default_timeout_ms, "
            "mailbox_capacity, max_payload_bytes, engine, fuel, deadline_ms, max_memory_bytes, shutdown_deadline_ms, "
            "audit_log, health_interval_ms, max_restarts, restart_window_ms, backoff_ms, backoff_max_ms, "
            "max_pending_requests, max_mailbox_bytes, max_subscriptions, max_log_bytes_per_call, max_log_line_bytes, "
            "max_events_per_call, max_total_mailbox_bytes, max_total_pending_requests, max_total_memory_bytes, "
            "max_timers, max_monitors, max_children, max_total_timers, max_components, storage_quota_bytes)");
  EXPECT_EQ(error_of("[[components]]\nid = \"a\"\n"),
            "dir/app.toml:1: unknown key 'components' in the manifest (allowed: runtime, module, component, group, message, http, route, storage, cluster)");
}

TEST(Manifest, WrongTypesAndRanges) {
  EXPECT_EQ(error_of("[[component]]\nid = 5\nwasm = \"a.wasm\"\n"), "dir/app.toml:2: 'id' must be a string");
  EXPECT_EQ(error_of("[runtime]\nworkers = \"two\"\n[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n"),
            "dir/app.toml:2: 'workers' must be an integer");
  EXPECT_EQ(error_of("[runtime]\nworkers = 0\n[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n"),
            "dir/app.toml:2: 'workers' must be between 1 and 1024, not 0");
  EXPECT_EQ(error_of("runtime = 3\n[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n"),
            "dir/app.toml:1: 'runtime' must be a table ([runtime])");
}

TEST(Manifest, IdsMustBeValidAndUnique) {
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n[[component]]\nid = \"a\"\nwasm = \"b.wasm\"\n"),
            "dir/app.toml:4: duplicate component id 'a'");
  EXPECT_EQ(error_of("[[component]]\nid = \"\"\nwasm = \"a.wasm\"\n"),
            "dir/app.toml:2: invalid component id '': use 1-128 characters from A-Z a-z 0-9 _ - .");
  EXPECT_EQ(error_of("[[component]]\nwasm = \"a.wasm\"\n"), "dir/app.toml:1: [[component]] needs 'id'");
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\n"), "dir/app.toml:1: [[component]] needs 'wasm' (or 'module')");
}

TEST(Manifest, MessagesMustTargetKnownComponents) {
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n[[message]]\nto = \"b\"\npayload = \"x\"\n"),
            "dir/app.toml:4: [[message]] to unknown component 'b'");
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n[[message]]\nto = \"a\"\n"),
            "dir/app.toml:4: [[message]] needs 'payload'");
}

TEST(Manifest, SyntaxErrorsNameTheLine) {
  const auto e = error_of("[[component]]\nid = \"a\"\nwasm = \n");
  EXPECT_EQ(e.rfind("dir/app.toml:3: ", 0), 0u) << e;
  EXPECT_EQ(error_of(""), "dir/app.toml: no [[component]] entries: nothing to run");
}

TEST(Manifest, InvalidUtf8IsRefusedWithItsLine) {
  EXPECT_EQ(error_of("[[component]]\nid = \"a\xff\"\n"), "dir/app.toml:2: not valid UTF-8");
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nwasm = \"\xc3\xa9.wasm\"\n"),
            "dir/app.toml:3: non-ASCII character: write it as a \\uXXXX escape in a \"string\"");
  EXPECT_EQ(error_of("# caf\xc3\xa9\n"), "dir/app.toml:1: non-ASCII character: write it as a \\uXXXX escape in a \"string\"");
  // Strings carry non-ASCII as escapes.
  auto m = parse_manifest("# cafe\n[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n"
                          "config = \"\\u00e9\\uFCFF\"\n",
                          "app.toml");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->components[0].config, "\xc3\xa9\xef\xb3\xbf");
}

TEST(Manifest, MissingFileIsAnIoError) {
  auto m = load_manifest("/nonexistent/app.toml");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kIo);
  EXPECT_NE(m.error().message.find("/nonexistent/app.toml"), std::string::npos);
}

TEST(Manifest, HelpingIsABoolean) {
  auto off = parse_manifest("[runtime]\nhelping = false\n[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n", "app.toml");
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_EQ(off->runtime.helping, std::optional<bool>(false));
  auto unset = parse_manifest("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n", "app.toml");
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(unset->runtime.helping.has_value());
  EXPECT_EQ(error_of("[runtime]\nhelping = 1\n"), "dir/app.toml:2: 'helping' must be true or false");
}

TEST(Manifest, WorkerSpinIsMicrosecondsUpToASecond) {
  auto m = parse_manifest("[runtime]\nworker_spin_us = 0\n[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n", "app.toml");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->runtime.worker_spin_us, std::optional<std::int64_t>(0));
  auto unset = parse_manifest("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n", "app.toml");
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(unset->runtime.worker_spin_us.has_value());
  EXPECT_EQ(error_of("[runtime]\nworker_spin_us = -1\n"),
            "dir/app.toml:2: 'worker_spin_us' must be between 0 and 1000000, not -1");
  EXPECT_EQ(error_of("[runtime]\nworker_spin_us = 1000001\n"),
            "dir/app.toml:2: 'worker_spin_us' must be between 0 and 1000000, not 1000001");
  EXPECT_EQ(error_of("[runtime]\nworker_spin_us = \"300\"\n"), "dir/app.toml:2: 'worker_spin_us' must be an integer");
}

TEST(Manifest, ClusterSection) {
  auto m = parse_manifest("[cluster]\nurl = \"nats://127.0.0.1:4222\"\nlattice = \"demo\"\nhost_id = \"h-1\"\n"
                          "creds_file = \"a.creds\"\nheartbeat_ms = 100\ndead_after_ms = 800\n"
                          "accept_from = [\"front.*\"]\nsend_asap = true\n[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n",
                          "dir/app.toml");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->cluster.present);
  EXPECT_EQ(m->cluster.url, "nats://127.0.0.1:4222");
  EXPECT_EQ(m->cluster.lattice, "demo");
  EXPECT_EQ(m->cluster.host_id, "h-1");
  EXPECT_EQ(m->cluster.creds_file, "dir/a.creds");
  EXPECT_EQ(m->cluster.heartbeat_ms, 100);
  EXPECT_EQ(m->cluster.dead_after_ms, 800);
  EXPECT_EQ(m->cluster.accept_from, std::vector<std::string>{"front.*"});
  EXPECT_EQ(m->cluster.send_asap, true);
  auto none = parse_manifest("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n", "app.toml");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->cluster.present);
  EXPECT_EQ(error_of("[cluster]\nlattice = \"a.b\"\n"), "dir/app.toml:2: 'lattice' must be 1-64 characters from A-Z a-z 0-9 _ -");
  EXPECT_EQ(error_of("[cluster]\nhost_id = \"a b\"\n"), "dir/app.toml:2: 'host_id' must be 1-128 characters from A-Z a-z 0-9 _ - .");
  EXPECT_NE(error_of("[cluster]\nheartbeat_ms = 500\ndead_after_ms = 400\n").find("dead_after_ms must be longer"),
            std::string::npos);
  EXPECT_NE(error_of("[cluster]\nport = 1\n").find("unknown key 'port' in [cluster]"), std::string::npos);
}

}  // namespace
}  // namespace wactor
