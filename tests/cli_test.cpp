// The wactor binary as a user runs it: exit statuses, output, one-line errors.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "engine/wasm2c/aot_engine.h"
#include "instrument/metering.h"
#include "test_support.h"
#include "wactor/cli.h"
#include "wactor/manifest.h"

namespace wactor {
namespace {

// The ids of the requests `who` logged ("<who> INFO request id=N"), in order.
std::vector<std::string> request_ids(const std::string& out, const std::string& who) {
  std::vector<std::string> ids;
  const std::regex re(who + " INFO request id=([0-9]+)\n");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), re); it != std::sregex_iterator(); ++it) {
    ids.push_back((*it)[1]);
  }
  return ids;
}

namespace fs = std::filesystem;

struct Outcome {
  int status;
  std::string out;  // stdout and stderr
};

// Runs the binary; `out` gets stdout and stderr, or only stderr with stderr_only.
Outcome wactor(const std::string& args, bool stderr_only = false) {
  const std::string cmd = std::string(WACTOR_BINARY) + " " + args + (stderr_only ? " 2>&1 >/dev/null" : " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr);
  std::string out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

// The audit log's JSON lines, each parsed (a line that is not a JSON object fails the test).
std::vector<nlohmann::json> audit_entries(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    auto j = nlohmann::json::parse(l, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object()) << l;
    if (j.is_object()) out.push_back(std::move(j));
  }
  return out;
}
bool has_entry(const std::vector<nlohmann::json>& entries, const std::string& component, const std::string& kind,
               const std::string& reason_prefix = "") {
  for (const auto& e : entries) {
    if (e.value("component", "") == component && e.value("kind", "") == kind &&
        e.value("reason", "").rfind(reason_prefix, 0) == 0) {
      return true;
    }
  }
  return false;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("wactor_cli_" + std::to_string(::getpid()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
    fs::copy_file(test::guest_path("probe.wasm"), dir / "probe.wasm", fs::copy_options::overwrite_existing);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
  fs::path dir;
};

TEST_F(Cli, BundledExampleRunsAndEndsOnItsOwn) {
  auto r = wactor(std::string("run ") + WACTOR_EXAMPLE_DIR + "/pingpong/app.toml --until-idle --max-seconds 30");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("ping INFO all 3 replies received"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pong INFO message from ping: done"), std::string::npos) << r.out;
}

TEST_F(Cli, ManifestMessagesArriveAfterInitAndLogsAreOneLineEach) {
  auto m = write("app.toml", R"(
[[component]]
id = "a"
wasm = "probe.wasm"
config = "cfg"
request = ["b"]

[[component]]
id = "b"
wasm = "probe.wasm"

[[message]]
to = "a"
payload = "request b 0 hi there"
)");
  auto r = wactor("run " + m + " --until-idle --max-seconds 30");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("a INFO init config=cfg\n"), std::string::npos) << r.out;
  // The same on the interpreter, chosen on the command line.
  EXPECT_EQ(wactor("run " + m + " --engine v8").status, 2);
  auto interp = wactor("run " + m + " --engine interp --until-idle --max-seconds 30");
  EXPECT_EQ(interp.status, 0) << interp.out;
  // Request ids are opaque (the correlation table's shard is in their low bits).
  const auto interp_id = request_ids(interp.out, "a");
  ASSERT_EQ(interp_id.size(), 1u) << interp.out;
  EXPECT_NE(interp.out.find("a INFO callback id=" + interp_id[0] + " status=0 payload=echo:hi there"),
            std::string::npos)
      << interp.out;
  const auto id = request_ids(r.out, "a");
  ASSERT_EQ(id.size(), 1u) << r.out;
  EXPECT_NE(r.out.find("b INFO msg from=a req=" + id[0] + " payload=hi there\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("a INFO callback id=" + id[0] + " status=0 payload=echo:hi there\n"), std::string::npos)
      << r.out;
  EXPECT_LT(r.out.find("a INFO init"), r.out.find("msg from=$host")) << r.out;
}

TEST_F(Cli, BadInputIsOneLineAndNonZero) {
  struct Case {
    std::string manifest;
    std::string expect;
  };
  write("bad.wasm", "this is not wasm");
  std::vector<Case> cases = {
      {"[[component]]\nid = \"a\"\nwasm = \"missing.wasm\"\n", "app.toml:1: component 'a': "},
      {"[[component]]\nid = \"a\"\nwasm = \"bad.wasm\"\n", "bad.wasm: not a valid WebAssembly module"},
      {"[[component]]\nid = \"a\"\nwasm = \"probe.wasm\"\nextra = 1\n", "app.toml:4: unknown key 'extra'"},
      {"[[component]]\nid = \"a\"\nwasm = \"probe.wasm\"\n[[component]]\nid = \"a\"\nwasm = \"probe.wasm\"\n",
       "app.toml:4: duplicate component id 'a'"},
      {"[[component]]\nid = \"a\"\nwasm = \"probe.wasm\"\nconfig = \"fail\"\n", "component 'a': init returned 9"},
      {"[[component]]\nid = \"a\"\nwasm = [1]\n", "app.toml:3: 'wasm' must be a string"},
  };
  for (const auto& c : cases) {
    auto m = write("app.toml", c.manifest);
    auto r = wactor("run " + m + " --until-idle --max-seconds 30", /*stderr_only=*/true);
    EXPECT_EQ(r.status, 1) << c.manifest << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_EQ(r.out.rfind("wactor: ", 0), 0u) << r.out;
  }
  auto r = wactor("run " + (dir / "nope.toml").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("nope.toml: cannot open manifest"), std::string::npos) << r.out;
}

TEST_F(Cli, UntilIdleGivesUpOnAHungRequestWithMaxSeconds) {
  auto m = write("app.toml", R"(
[runtime]
default_timeout_ms = 600000
[[component]]
id = "a"
wasm = "probe.wasm"
request = ["b"]
[[component]]
id = "b"
wasm = "probe.wasm"
[[message]]
to = "a"
payload = "request b 0 defer"
)");
  auto r = wactor("run " + m + " --until-idle --max-seconds 0.5");
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_NE(r.out.find("not idle after 0.5 s (1 requests pending)"), std::string::npos) << r.out;
}

TEST_F(Cli, MetricsJsonIsWrittenWhenTheRunEnds) {
  const std::string json = (dir / "metrics.json").string();
  auto r = wactor(std::string("run ") + WACTOR_EXAMPLE_DIR + "/pingpong/app.toml --until-idle --metrics-json " + json);
  ASSERT_EQ(r.status, 0) << r.out;
  std::ifstream in(json);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex("\"ping\": \\{([^}]*)\\}"))) << text;
  const std::string ping = m[1];
  EXPECT_NE(ping.find("\"requests_sent\": 3,"), std::string::npos) << ping;
  EXPECT_NE(ping.find("\"replies_ok\": 3,"), std::string::npos) << ping;
  EXPECT_NE(ping.find("\"callbacks_handled\": 3,"), std::string::npos) << ping;
  EXPECT_NE(ping.find("\"messages_sent\": 1,"), std::string::npos) << ping;
  ASSERT_TRUE(std::regex_search(text, m, std::regex("\"total\": \\{([^}]*)\\}"))) << text;
  EXPECT_NE(std::string(m[1]).find("\"messages_handled\": 5,"), std::string::npos) << m[1];  // start + 3 pings + done
  EXPECT_NE(text.find("\"pending_requests\": 0"), std::string::npos);
  EXPECT_EQ(wactor("run x.toml --metrics-json").status, 2);
}

TEST_F(Cli, DenialsAndTrapsGoToTheAuditLog) {
  const std::string audit = (dir / "audit.jsonl").string();
  auto m = write("app.toml", R"(
[runtime]
audit_log = "audit.jsonl"
[[component]]
id = "a"
wasm = "probe.wasm"
send = ["workers.*"]
[[component]]
id = "workers.one"
wasm = "probe.wasm"
deadline_ms = 50
[[component]]
id = "workersx.one"
wasm = "probe.wasm"
[[message]]
to = "a"
payload = "send workersx.one sneaky"
[[message]]
to = "a"
payload = "send workers.one loop"
)");
  auto r = wactor("run " + m + " --until-idle --max-seconds 30");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("a INFO send rc=-2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("a INFO send rc=0"), std::string::npos) << r.out;
  std::ifstream in(audit);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_GE(lines.size(), 2u);
  const auto first = audit_entries(lines[0]);
  ASSERT_EQ(first.size(), 1u) << lines[0];
  EXPECT_EQ(first[0].size(), 4u) << lines[0];  // time_ms, component, kind, reason
  EXPECT_TRUE(first[0]["time_ms"].is_number_unsigned()) << lines[0];
  EXPECT_EQ(first[0]["component"], "a");
  EXPECT_EQ(first[0]["kind"], "denied");
  EXPECT_EQ(first[0]["reason"], "send to 'workersx.one' not granted");
  bool deadline = false;
  for (const auto& l : lines) deadline = deadline || has_entry(audit_entries(l), "workers.one", "deadline");
  EXPECT_TRUE(deadline) << testing::PrintToString(lines);
}

TEST_F(Cli, ExceededRestartIntensityStopsTheGroupAuditsItAndExits4) {
  const std::string audit = (dir / "audit.jsonl").string();
  auto m = write("app.toml", R"(
[runtime]
audit_log = "audit.jsonl"
[[component]]
id = "a"
wasm = "probe.wasm"
[[component]]
id = "b"
wasm = "probe.wasm"
[[component]]
id = "c"
wasm = "probe.wasm"
[[group]]
name = "workers"
strategy = "one-for-all"
members = ["a", "b"]
max_restarts = 1
[[message]]
to = "a"
payload = "trap"
[[message]]
to = "a"
payload = "trap"
[[message]]
to = "c"
payload = "report"
)");
  auto r = wactor("run " + m + " --until-idle --max-seconds 30");
  EXPECT_EQ(r.status, 4) << r.out;
  EXPECT_NE(r.out.find("wactor: supervision stopped group 'workers': restart intensity exceeded"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("c INFO received=0"), std::string::npos) << r.out;
  std::ifstream in(audit);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto entries = audit_entries(all);
  EXPECT_TRUE(has_entry(entries, "a", "restarted")) << all;
  EXPECT_TRUE(has_entry(entries, "b", "stopped")) << all;
  EXPECT_TRUE(has_entry(entries, "a", "escalated", "group 'workers' (one-for-all) exceeded 1 restarts in 10000 ms; stopped a b"))
      << all;
}

TEST_F(Cli, SigtermEndsABusyRunCleanlyAnsweringEveryPendingRequest) {
  auto m = write("app.toml", R"(
[[component]]
id = "a"
wasm = "probe.wasm"
request = ["b"]
send = ["c"]
[[component]]
id = "b"
wasm = "probe.wasm"
[[component]]
id = "c"
wasm = "probe.wasm"
[[message]]
to = "a"
payload = "request b 0 defer"
[[message]]
to = "a"
payload = "request b 0 defer"
[[message]]
to = "a"
payload = "burst 20000 c data"
)");
  const std::string out = (dir / "out.txt").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(WACTOR_BINARY, WACTOR_BINARY, "run", m.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto read_out = [&] {
    std::ifstream in(out);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  // Wait until both requests were received and the burst is flowing, then ask it to stop.
  for (int i = 0; i < 1000; ++i) {
    const auto text = read_out();
    const auto ids = request_ids(text, "a");
    if (std::count(text.begin(), text.end(), '\n') > 50 && ids.size() == 2 &&
        text.find("b INFO msg from=a req=" + ids[1] + " ") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  const auto text = read_out();
  ASSERT_TRUE(WIFEXITED(status)) << text.substr(0, 2000);
  EXPECT_EQ(WEXITSTATUS(status), 0) << text.substr(text.size() > 2000 ? text.size() - 2000 : 0);
  const auto ids = request_ids(text, "a");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(text.find("a INFO callback id=" + ids[0] + " status=4 payload=\n"), std::string::npos);
  EXPECT_NE(text.find("a INFO callback id=" + ids[1] + " status=4 payload=\n"), std::string::npos);
}

// Starts `wactor run <manifest>` with its output in <dir>/out.txt.
pid_t spawn_run(const std::string& manifest, const std::string& out, const char* extra = nullptr) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(WACTOR_BINARY, WACTOR_BINARY, "run", manifest.c_str(), extra, static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Polls the output file for `needle` (the event is the child's output; no fixed sleep decides).
bool wait_output(const std::string& path, const std::string& needle) {
  for (int i = 0; i < 6000; ++i) {
    if (read_text(path).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_F(Cli, MaxSecondsIsHonouredWhileAHandlerSpinsWithoutADeadline) {
  auto m = write("app.toml", R"(
[runtime]
deadline_ms = 0
[[component]]
id = "a"
wasm = "probe.wasm"
[[message]]
to = "a"
payload = "loop"
)");
  auto r = wactor("run " + m + " --until-idle --max-seconds 0.3");  // hung for good before the fix
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_NE(r.out.find("not idle after 0.3 s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("wactor: a: interrupted: "), std::string::npos) << r.out;
}

TEST_F(Cli, ASecondSigtermInterruptsAShutdownThatNeverEnds) {
  auto m = write("app.toml", R"(
[runtime]
deadline_ms = 0
shutdown_deadline_ms = 0
[[component]]
id = "a"
wasm = "probe.wasm"
[[message]]
to = "a"
payload = "hang-on-shutdown"
)");
  const std::string out = (dir / "out.txt").string();
  const pid_t pid = spawn_run(m, out);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_output(out, "payload=hang-on-shutdown"));
  ASSERT_EQ(kill(pid, SIGTERM), 0);  // drains, then shutdown loops with no deadline
  ASSERT_TRUE(wait_output(out, "a INFO shutdown hanging")) << read_text(out);
  ASSERT_EQ(kill(pid, SIGTERM), 0);  // the second signal interrupts it
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  const auto text = read_text(out);
  ASSERT_TRUE(WIFEXITED(status)) << text;
  EXPECT_EQ(WEXITSTATUS(status), 0) << text;
  EXPECT_NE(text.find("wactor: a: shutdown-failed: "), std::string::npos) << text;
}

TEST_F(Cli, HelpAndUsage) {
  EXPECT_EQ(wactor("--help").status, 0);
  EXPECT_EQ(wactor("run --help").status, 0);
  EXPECT_NE(wactor("run --help").out.find("--until-idle"), std::string::npos);
  EXPECT_EQ(wactor("inspect --help").status, 0);
  EXPECT_EQ(wactor("").status, 2);
  EXPECT_EQ(wactor("frobnicate").status, 2);
  EXPECT_EQ(wactor("run").status, 2);
  EXPECT_EQ(wactor("run x.toml --bogus").status, 2);
  EXPECT_EQ(wactor("run x.toml --workers 0").status, 2);
}

TEST_F(Cli, InspectReportsAbiVerdict) {
  auto ok = wactor("inspect " + test::guest_path("probe.wasm"));
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_NE(ok.out.find("wactor.send  function (i32, i32, i32, i32) -> (i32)"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("handle-message  function (i32, i32, i32, i32) -> (i32)"), std::string::npos);
  EXPECT_NE(ok.out.find("ABI v1: ok"), std::string::npos);
  auto bad = wactor("inspect " + test::guest_path("no_handler.wasm"));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("missing export 'handle-message'"), std::string::npos) << bad.out;
  auto garbage = wactor("inspect " + write("g.wasm", "\0asm garbage"));
  EXPECT_EQ(garbage.status, 1);
  EXPECT_NE(garbage.out.find("g.wasm: not a valid WebAssembly module"), std::string::npos) << garbage.out;
  EXPECT_EQ(wactor("inspect /nonexistent.wasm").status, 1);
  // What `run` refuses, `inspect` does not call ok.
  auto reserved = wactor("inspect " + test::guest_path("reserved_import.wasm"));
  EXPECT_EQ(reserved.status, 1) << reserved.out;
  EXPECT_NE(reserved.out.find("ABI v1: not satisfied"), std::string::npos) << reserved.out;
  EXPECT_NE(reserved.out.find("wactor-internal"), std::string::npos) << reserved.out;
}

// `wactor compile` fills the cache with exactly what `wactor run` loads: a later load of the
// metered module, in any process, is a cache hit.
TEST_F(Cli, CompileFillsTheCacheThatLoadingHits) {
  if (!engine::aot_available()) GTEST_SKIP() << "no C compiler or wasm2c here";
  const std::string cache = (dir / "cache").string();
  const std::string env = "WACTOR_CACHE_DIR=" + cache + " ";
  const std::string probe = (dir / "probe.wasm").string();
  const std::string cmd = std::string("sh -c '") + env + WACTOR_BINARY + " compile " + probe + " 2>&1'";
  auto run = [&] {
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    const int st = pclose(p);
    return Outcome{WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
  };
  auto first = run();
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_NE(first.out.find(probe + ": " + cache + "/aot/"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("(compiled)"), std::string::npos) << first.out;
  auto second = run();
  EXPECT_NE(second.out.find("(cached)"), std::string::npos) << second.out;

  // In this process, as the runtime loads it: metered, with a memory limit.
  const char* old = std::getenv("WACTOR_CACHE_DIR");
  const std::string saved = old ? old : "";
  ::setenv("WACTOR_CACHE_DIR", cache.c_str(), 1);
  auto engine = engine::make_engine("aot");
  ASSERT_TRUE(engine.ok());
  auto metered = instrument::add_metering(test::guest_bytes("probe.wasm"), probe);
  ASSERT_TRUE(metered.ok());
  engine::LoadOptions limits;
  limits.max_memory_pages = 100;
  auto module = (*engine)->load(*metered, probe, limits);
  if (old) ::setenv("WACTOR_CACHE_DIR", saved.c_str(), 1); else ::unsetenv("WACTOR_CACHE_DIR");
  ASSERT_TRUE(module.ok()) << module.error().to_string();
  auto report = engine::aot::object_report(**module);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->from_cache);
  EXPECT_EQ(report->path.rfind(cache + "/aot/", 0), 0u);
}

TEST_F(Cli, CompileNeedsAFile) {
  EXPECT_EQ(wactor("compile").status, 2);
  EXPECT_EQ(wactor("compile /nonexistent.wasm").status, 1);
}

// What `wactor run` gives the runtime from the manifest: each [runtime], [storage] and
// [cluster] key lands in its RuntimeOptions field (a key read but not passed on would be
// silently ignored), and the command line's overrides win. (The per-component limits, fuel,
// deadline_ms, max_memory_bytes, shutdown_deadline_ms, go into each ComponentSpec.)
TEST(CliOptions, EachRuntimeKeyOfTheManifestReachesTheRuntime) {
  const auto m = parse_manifest(R"([runtime]
workers = 3
helping = false
worker_spin_us = 0
default_timeout_ms = 1234
mailbox_capacity = 77
max_payload_bytes = 4096
health_interval_ms = 250
max_components = 500
engine = "interp"
max_restarts = 9
restart_window_ms = 4321
backoff_ms = 12
backoff_max_ms = 345
max_pending_requests = 11
max_mailbox_bytes = 2222
max_timers = 33
storage_quota_bytes = 4444
max_total_mailbox_bytes = 55555
max_total_pending_requests = 666
max_total_memory_bytes = 7777777
max_total_timers = 88
[storage]
path = "/tmp/x/state.db"
sync = "full"
backend = "jetstream"
replicas = 3
[cluster]
url = "nats://127.0.0.1:4222"
lattice = "l1"
host_id = "h1"
heartbeat_ms = 700
dead_after_ms = 2100
send_asap = true
creds_file = "/tmp/x/app.creds"
tls_ca_file = "/tmp/x/ca.pem"
tls_cert_file = "/tmp/x/cert.pem"
tls_key_file = "/tmp/x/key.pem"
accept_from = ["frontend.*"]
accept_spawn = ["worker"]
[[component]]
id = "a"
wasm = "a.wasm"
)",
                                "app.toml");
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto ro = cli::runtime_options(*m, cli::RunOptions{});
  ASSERT_TRUE(ro.ok()) << ro.error().message;
  EXPECT_EQ(ro->workers, 3u);
  EXPECT_FALSE(ro->helping);
  EXPECT_EQ(ro->worker_spin, std::chrono::microseconds(0));
  EXPECT_EQ(ro->default_timeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(ro->mailbox_capacity, 77u);
  EXPECT_EQ(ro->max_payload_bytes, 4096u);
  EXPECT_EQ(ro->health_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(ro->max_components, 500u);
  EXPECT_EQ(ro->engine, "interp");
  EXPECT_EQ(ro->cluster.url, "nats://127.0.0.1:4222");
  EXPECT_EQ(ro->cluster.lattice, "l1");
  EXPECT_EQ(ro->cluster.host_id, "h1");
  EXPECT_EQ(ro->cluster.heartbeat, std::chrono::milliseconds(700));
  EXPECT_TRUE(ro->cluster.send_asap);
  EXPECT_EQ(ro->supervision.max_restarts, 9u);
  EXPECT_EQ(ro->supervision.within, std::chrono::milliseconds(4321));
  EXPECT_EQ(ro->supervision.backoff, std::chrono::milliseconds(12));
  EXPECT_EQ(ro->supervision.backoff_max, std::chrono::milliseconds(345));
  EXPECT_EQ(ro->budget.max_pending_requests, 11u);
  EXPECT_EQ(ro->budget.max_mailbox_bytes, 2222u);
  EXPECT_EQ(ro->budget.max_timers, 33u);
  EXPECT_EQ(ro->budget.storage_quota_bytes, 4444u);
  EXPECT_EQ(ro->host_budget.max_mailbox_bytes, 55555u);
  EXPECT_EQ(ro->host_budget.max_pending_requests, 666u);
  EXPECT_EQ(ro->host_budget.max_memory_bytes, 7777777u);
  EXPECT_EQ(ro->host_budget.max_timers, 88u);
  EXPECT_EQ(ro->storage.path, "/tmp/x/state.db");
  EXPECT_TRUE(ro->storage.full_sync);
  EXPECT_EQ(ro->storage.backend, "jetstream");
  EXPECT_EQ(ro->storage.jetstream_replicas, 3);
  EXPECT_EQ(ro->cluster.dead_after, std::chrono::milliseconds(2100));
  EXPECT_EQ(ro->cluster.creds_file, "/tmp/x/app.creds");
  EXPECT_EQ(ro->cluster.tls_ca_file, "/tmp/x/ca.pem");
  EXPECT_EQ(ro->cluster.tls_cert_file, "/tmp/x/cert.pem");
  EXPECT_EQ(ro->cluster.tls_key_file, "/tmp/x/key.pem");
  EXPECT_EQ(ro->cluster.accept_from, std::vector<std::string>{"frontend.*"});
  EXPECT_EQ(ro->cluster.accept_spawn, std::vector<std::string>{"worker"});

  cli::RunOptions over;
  over.workers = 1;
  over.engine = "aot";
  over.nats = "nats://127.0.0.1:5222";
  over.lattice = "l2";
  over.host_id = "h2";
  auto o = cli::runtime_options(*m, over);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->workers, 1u);
  EXPECT_EQ(o->engine, "aot");
  EXPECT_EQ(o->cluster.url, "nats://127.0.0.1:5222");
  EXPECT_EQ(o->cluster.lattice, "l2");
  EXPECT_EQ(o->cluster.host_id, "h2");

  // Unset keys keep the runtime's defaults; an empty engine means "the fastest here".
  const auto bare = parse_manifest("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n", "app.toml");
  ASSERT_TRUE(bare.ok());
  auto d = cli::runtime_options(*bare, cli::RunOptions{});
  ASSERT_TRUE(d.ok());
  const RuntimeOptions defaults;
  EXPECT_EQ(d->worker_spin, defaults.worker_spin);
  EXPECT_EQ(d->workers, defaults.workers);
  EXPECT_EQ(d->default_timeout, defaults.default_timeout);
  EXPECT_TRUE(d->engine.empty());

  // A [cluster] without a url, or a lattice named on the command line without a NATS url
  // anywhere, is an error, not a host that silently runs alone.
  const auto urlless = parse_manifest("[cluster]\nlattice = \"l\"\n[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n", "app.toml");
  ASSERT_TRUE(urlless.ok()) << urlless.error().message;
  auto u = cli::runtime_options(*urlless, cli::RunOptions{});
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().message.find("needs a NATS url"), std::string::npos);
  cli::RunOptions lonely;
  lonely.lattice = "l3";
  auto e = cli::runtime_options(*bare, lonely);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("needs a NATS url"), std::string::npos);
}

}  // namespace
}  // namespace wactor
