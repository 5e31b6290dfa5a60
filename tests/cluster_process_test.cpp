// Hosts as separate `wactor run` processes on one nats-server the test starts: the README's
// pingpong split over two manifests, and a host killed with SIGKILL (no bye, no drain).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "nats_support.h"
#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class ClusterProcess : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server.start()); }
  std::vector<std::string> run(const std::string& manifest, const std::string& host, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{WACTOR_BINARY, "run", manifest, "--nats", server.url(), "--lattice", lattice,
                                  "--host-id", host};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  test::NatsServer server;
  std::string lattice = "proc" + std::to_string(getpid());
};

TEST_F(ClusterProcess, PingPongSplitOverTwoHosts) {
  const std::string dir = std::string(WACTOR_EXAMPLE_DIR) + "/cluster";
  test::Child pong, ping;
  ASSERT_TRUE(pong.start(run(dir + "/pong.toml", "pong-host")));
  ASSERT_TRUE(pong.wait_output("joined lattice")) << pong.output();
  ASSERT_TRUE(ping.start(run(dir + "/ping.toml", "ping-host", {"--until-idle", "--max-seconds", "20"})));
  ASSERT_TRUE(ping.wait_output("all 3 replies received")) << ping.output();
  const int st = ping.wait_exit();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << ping.output();
  EXPECT_TRUE(pong.wait_output("pong INFO")) << pong.output();
  pong.signal(SIGTERM);
  const int pst = pong.wait_exit();
  EXPECT_TRUE(WIFEXITED(pst) && WEXITSTATUS(pst) == 0) << pong.output();
}

TEST_F(ClusterProcess, UnreachableNatsIsAOneLineErrorAtStart) {
  const std::string dir = std::string(WACTOR_EXAMPLE_DIR) + "/cluster";
  test::Child c;
  ASSERT_TRUE(c.start({WACTOR_BINARY, "run", dir + "/pong.toml", "--nats", "nats://127.0.0.1:1"}));
  const int st = c.wait_exit();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 1);
  ASSERT_TRUE(c.wait_output("\n", 5s));
  const auto out = c.output();
  EXPECT_EQ(out.rfind("wactor: cluster: cannot connect to NATS at nats://127.0.0.1:1", 0), 0u) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

// A host killed with SIGKILL says no bye: its components count as down once its heartbeats
// stop for dead_after; a request pending on one ends with status 4.
TEST_F(ClusterProcess, KilledHostsRequestsEndWithStatus4WithinDeadAfter) {
  const fs::path dir = fs::temp_directory_path() / ("wactor-cluster-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "bob.toml") << "[cluster]\nheartbeat_ms = 100\ndead_after_ms = 1000\n"
                                  << "[[component]]\nid = \"bob\"\nwasm = \"" << test::guest_path("probe.wasm")
                                  << "\"\n";
  test::Child bob;
  ASSERT_TRUE(bob.start(run((dir / "bob.toml").string(), "bob-host")));
  ASSERT_TRUE(bob.wait_output("joined lattice")) << bob.output();

  test::Collector collector;
  RuntimeOptions o;
  o.workers = 2;
  o.log = collector.log_sink();
  o.events = collector.event_sink();
  o.cluster.url = server.url();
  o.cluster.lattice = lattice;
  o.cluster.host_id = "alice-host";
  o.cluster.heartbeat = 100ms;
  o.cluster.dead_after = 1000ms;
  ComponentSpec alice{"alice", test::guest_bytes("probe.wasm"), test::guest_path("probe.wasm"), {}, 0, {},
                      Capabilities::all(), {}, {}, {}, {}};
  auto rt = Runtime::create(std::move(o), {alice});
  ASSERT_TRUE(rt.ok());
  ASSERT_TRUE((*rt)->start().ok());
  ASSERT_TRUE((*rt)->wait_remote("bob", true, 5s));
  ASSERT_EQ((*rt)->post("alice", "monitor bob"), 0);
  ASSERT_FALSE(collector.wait_log("^alice: monitor rc=0$").empty());
  ASSERT_EQ((*rt)->post("alice", "request bob 0 defer"), 0);
  ASSERT_TRUE(bob.wait_output("bob INFO msg from=alice req=")) << bob.output();
  const auto killed = std::chrono::steady_clock::now();
  bob.signal(SIGKILL);
  (void)bob.wait_exit();
  const auto cb = collector.wait_log("^alice: callback id=", 10s);
  const auto took = std::chrono::steady_clock::now() - killed;
  EXPECT_EQ(test::field(cb, "status"), 4) << cb;
  EXPECT_LT(took, 2500ms);
  EXPECT_FALSE(collector.wait_log("^alice: msg from=\\$down req=0 payload=bob host-lost$").empty());
  EXPECT_FALSE(collector.wait_event("^\\$cluster: host-lost: bob-host").empty());
  ASSERT_EQ((*rt)->post("alice", "send bob gone"), 0);
  EXPECT_FALSE(collector.wait_log("^alice: send rc=-1$").empty());
  EXPECT_EQ((*rt)->metrics().cluster.hosts_lost, 1u);
  (*rt)->stop(1s);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wactor
