// Placement and the control API across hosts (docs/CLUSTER.md, "Placement", "Control API
// across hosts"): two or three Runtimes in this process on a real nats-server, on every
// engine; and two `wactor run` processes driven through the /v1 API of one of them.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cluster/wire.h"
#include "http/frontend.h"
#include "http_client.h"
#include "cluster_support.h"
#include "nats_support.h"
#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

using Host = test::ClusterHost;

class Placement : public test::ClusterHosts {
 protected:
  // The [[module]] "prober" (the probe guest, every grant).
  static ModuleSpec prober() {
    ModuleSpec m;
    m.name = "prober";
    m.settings = probe("unused");
    return m;
  }
  Host& host(const std::string& id, std::vector<ComponentSpec> specs, std::vector<ModuleSpec> modules = {},
             ClusterOptions c = {}) {
    return ClusterHosts::host(id, std::move(specs), std::move(c), {}, std::move(modules));
  }
};

TEST_P(Placement, GuestSpawnsOnANamedHostThenMessagesIt) {
  Host& a = host("host-a", {probe("alice")});
  Host& b = host("host-b", {probe("bob")}, {prober()});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  // spawn returns once the child exists and this host knows it: the send goes through.
  a.post("alice", "spawn prober@host-b kid");
  EXPECT_FALSE(a.collector.wait_log("^alice: spawn rc=0$").empty());
  a.post("alice", "send kid hello");
  EXPECT_FALSE(a.collector.wait_log("^alice: send rc=0$").empty());
  EXPECT_FALSE(b.collector.wait_log("^kid: msg from=alice req=0 payload=hello$").empty());
  EXPECT_TRUE(b.runtime->has_component("kid"));
  EXPECT_FALSE(a.runtime->has_component("kid"));
  EXPECT_EQ(a.runtime->stats("alice")->spawned, 1u);
  EXPECT_FALSE(b.collector.wait_event("^\\$cluster: remote-spawn: 'kid' from module 'prober' for 'alice'").empty());
  // The host's own API: made on host-b, known here on return.
  ASSERT_TRUE(a.runtime->spawn_on("host-b", "prober", "kid2").ok());
  EXPECT_TRUE(b.runtime->has_component("kid2"));
  a.post("alice", "request kid2 0 ping");
  const auto cb = a.collector.wait_log("^alice: callback id=");
  EXPECT_EQ(test::field(cb, "status"), 0) << cb;
  // Same id again on that host: in use (-6).
  a.post("alice", "spawn prober@host-b kid");
  EXPECT_FALSE(a.collector.wait_log("^alice: spawn rc=-6$").empty());
}

TEST_P(Placement, AnyPicksTheLeastLoadedHost) {
  Host& a = host("host-a", {probe("a1"), probe("a2"), probe("a3")}, {prober()});
  Host& b = host("host-b", {probe("b1")}, {prober()});
  ASSERT_TRUE(a.runtime->wait_remote("b1", true, 5s));
  ASSERT_TRUE(b.runtime->wait_remote("a3", true, 5s));
  // host-a runs 3, host-b 1: host-b.
  ASSERT_TRUE(a.runtime->spawn_on("any", "prober", "w1").ok());
  EXPECT_TRUE(b.runtime->has_component("w1"));
  // Now 3 and 2: host-b again, asked from host-b itself (a spec placed "any").
  ComponentSpec spec;
  spec.id = "w2";
  spec.module = "prober";
  spec.host = "any";
  ASSERT_TRUE(b.runtime->spawn(std::move(spec)).ok());
  EXPECT_TRUE(b.runtime->has_component("w2"));
  // 3 and 3: the tie goes to the first host id (host-a), from a guest of host-b.
  ASSERT_TRUE(a.runtime->wait_remote("w2", true, 5s));
  b.post("b1", "spawn prober@any w3");
  EXPECT_FALSE(b.collector.wait_log("^b1: spawn rc=0$").empty());
  EXPECT_TRUE(a.runtime->has_component("w3"));
  EXPECT_FALSE(b.runtime->has_component("w3"));
}

TEST_P(Placement, AnySkipsHostsWithoutTheModule) {
  Host& a = host("host-a", {probe("a1"), probe("a2")});  // no [[module]]: only host-b can
  Host& b = host("host-b", {probe("b1"), probe("b2"), probe("b3")}, {prober()});
  ASSERT_TRUE(a.runtime->wait_remote("b3", true, 5s));
  a.post("a1", "spawn prober@any w");
  EXPECT_FALSE(a.collector.wait_log("^a1: spawn rc=0$").empty());
  EXPECT_TRUE(b.runtime->has_component("w"));
  a.post("a1", "spawn nothing@any w2");  // no host has it
  EXPECT_FALSE(a.collector.wait_log("^a1: spawn rc=-1$").empty());
}

TEST_P(Placement, AHostThatIsNotLiveIsNotFound) {
  Host& a = host("host-a", {probe("alice")}, {prober()});
  a.post("alice", "spawn prober@nohost kid");
  EXPECT_FALSE(a.collector.wait_log("^alice: spawn rc=-1$").empty());
  const Status st = a.runtime->spawn_on("nohost", "prober", "kid");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  EXPECT_NE(st.error().message.find("host 'nohost' is not live"), std::string::npos) << st.error().message;
  EXPECT_FALSE(a.runtime->has_component("kid"));
  // This host by name, and "any" alone in the lattice: here.
  a.post("alice", "spawn prober@host-a kid");
  EXPECT_FALSE(a.collector.wait_log("^alice: spawn rc=0$").empty());
  EXPECT_TRUE(a.runtime->spawn_on("any", "prober", "kid2").ok());
  EXPECT_TRUE(a.runtime->has_component("kid2"));
  // Old meaning kept: a malformed placement is an unknown module.
  a.post("alice", "spawn prober@ kid3");
  EXPECT_FALSE(a.collector.wait_logs_more_than("^alice: spawn rc=-1$", 1).empty());
}

TEST_P(Placement, AModuleTheRemoteHostLacksIsRefused) {
  Host& a = host("host-a", {probe("alice")}, {prober()});
  Host& b = host("host-b", {probe("bob")});  // has no [[module]]
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("alice", "spawn prober@host-b kid");
  EXPECT_FALSE(a.collector.wait_log("^alice: spawn rc=-1$").empty());
  EXPECT_FALSE(a.collector.wait_event("^alice: spawn-refused: .*no module 'prober' on host 'host-b'").empty());
  const Status st = a.runtime->spawn_on("host-b", "prober", "kid");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(b.runtime->has_component("kid"));
  // A spec with bytes cannot be placed elsewhere: bytes never cross hosts.
  ComponentSpec spec = probe("kid");
  spec.host = "host-b";
  spec.module = "prober";
  const Status bytes = a.runtime->spawn(std::move(spec));
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(Placement, GrantsAreCheckedAtBothHosts) {
  Capabilities no_spawn = Capabilities::all();
  no_spawn.spawn = {"other"};
  Host& a = host("host-a", {probe("alice"), probe("mallory", no_spawn), probe("eve")});
  ClusterOptions strict;
  strict.accept_spawn = {"prober"};
  strict.accept_from = {"alice", "mallory"};
  ModuleSpec secret = prober();
  secret.name = "secret";
  Host& b = host("host-b", {probe("bob")}, {prober(), secret}, strict);
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("mallory", "spawn prober@host-b m1");  // its host refuses: no spawn grant
  EXPECT_FALSE(a.collector.wait_log("^mallory: spawn rc=-2$").empty());
  a.post("alice", "spawn secret@host-b s1");  // host-b refuses: not in accept_spawn
  EXPECT_FALSE(a.collector.wait_log("^alice: spawn rc=-2$").empty());
  EXPECT_FALSE(b.collector.wait_event("^\\$cluster: refused: spawn from module 'secret'").empty());
  a.post("eve", "spawn prober@host-b e1");  // host-b refuses: eve not in accept_from
  EXPECT_FALSE(a.collector.wait_log("^eve: spawn rc=-2$").empty());
  EXPECT_FALSE(b.runtime->has_component("m1"));
  EXPECT_FALSE(b.runtime->has_component("s1"));
  EXPECT_FALSE(b.runtime->has_component("e1"));
  a.post("alice", "spawn prober@host-b ok1");
  EXPECT_FALSE(a.collector.wait_log("^alice: spawn rc=0$").empty());
  EXPECT_TRUE(b.runtime->has_component("ok1"));
}

TEST_P(Placement, LatticeListInspectAndStop) {
  Host& a = host("host-a", {probe("alice")});
  Host& b = host("host-b", {probe("bob"), probe("bert")}, {prober()});
  ASSERT_TRUE(a.runtime->wait_remote("bert", true, 5s));
  auto l = a.runtime->lattice_components();
  EXPECT_TRUE(l.missing.empty());
  EXPECT_FALSE(l.truncated);
  std::map<std::string, std::string> where;
  for (const auto& c : l.components) where[c.id] = c.host;
  EXPECT_EQ(where, (std::map<std::string, std::string>{{"alice", "host-a"}, {"bob", "host-b"}, {"bert", "host-b"}}));
  b.post("bob", "count");
  ASSERT_TRUE(b.runtime->wait_idle(10s));
  auto bob = a.runtime->lattice_component("bob");
  ASSERT_TRUE(bob.ok()) << bob.error().to_string();
  EXPECT_EQ(bob->host, "host-b");
  EXPECT_EQ(bob->state, "running");
  EXPECT_EQ(bob->stats.messages_handled, 1u);
  EXPECT_EQ(a.runtime->lattice_component("nobody").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(a.runtime->stop_lattice_component("bob").ok());
  EXPECT_TRUE(a.runtime->wait_remote("bob", false, 5s));
  EXPECT_FALSE(b.collector.wait_event("^\\$cluster: remote-control: stop of 'bob' asked by host 'host-a'").empty());
  EXPECT_TRUE(b.runtime->has_component("bert"));
  EXPECT_EQ(a.runtime->stop_lattice_component("nobody").error().code, ErrorCode::kNotFound);
}

// The /v1 API of host-a works for the lattice: list, inspect, spawn and stop on host-b.
TEST_P(Placement, ControlApiAcrossHosts) {
  Host& a = host("host-a", {probe("alice")});
  Host& b = host("host-b", {probe("bob")}, {prober()});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  auto f = http::Frontend::start(*a.runtime, {});
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  test::HttpClient client;
  const std::string base = "http://127.0.0.1:" + std::to_string((*f)->port());
  auto r = client.fetch("GET", base + "/v1/components");
  ASSERT_EQ(r.status, 200) << r.body;
  json arr = json::parse(r.body);
  ASSERT_EQ(arr.size(), 2u) << r.body;
  std::map<std::string, std::string> where;
  for (const auto& c : arr) where[c["id"]] = c["host"];
  EXPECT_EQ(where, (std::map<std::string, std::string>{{"alice", "host-a"}, {"bob", "host-b"}}));
  r = client.fetch("GET", base + "/v1/components/bob");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["host"], "host-b");
  r = client.fetch("POST", base + "/v1/components", R"({"id": "kid", "module": "prober", "host": "host-b"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(b.runtime->has_component("kid"));
  r = client.fetch("POST", base + "/v1/components", R"({"id": "kid9", "module": "prober", "host": "gone-host"})");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_NE(r.body.find("host 'gone-host' is not live"), std::string::npos) << r.body;
  r = client.fetch("DELETE", base + "/v1/components/kid");
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_TRUE(a.runtime->wait_remote("kid", false, 5s));
  r = client.fetch("DELETE", base + "/v1/components/nobody");
  EXPECT_EQ(r.status, 404) << r.body;
  (*f)->stop();
}

INSTANTIATE_TEST_SUITE_P(Engines, Placement, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

// Control frames: versioned, length-checked, one canonical form; what they must not hold is
// refused with a reason.
TEST(PlacementWire, ControlFramesRoundTripAndHostileOnesAreRefused) {
  using cluster::ControlOp;
  using cluster::Frame;
  using cluster::Kind;
  auto control = [](ControlOp op, std::string sender, std::string target, std::string module, bool has_config,
                    std::string payload) {
    Frame f;
    f.kind = Kind::kControl;
    f.host = "h1";
    f.op = op;
    f.request_id = 9;
    f.sender = std::move(sender);
    f.target = std::move(target);
    f.module = std::move(module);
    f.has_config = has_config;
    f.payload = std::move(payload);
    return f;
  };
  Frame reply;
  reply.kind = Kind::kControlReply;
  reply.host = "h2";
  reply.request_id = 9;
  reply.status = -6;
  reply.payload = "[]";
  const std::vector<Frame> good{control(ControlOp::kList, "", "", "", false, ""),
                                control(ControlOp::kInspect, "", "bob", "", false, ""),
                                control(ControlOp::kStop, "", "bob.x", "", false, ""),
                                control(ControlOp::kSpawn, "alice", "kid", "prober", true, std::string("c\0fg", 4)),
                                control(ControlOp::kSpawn, "", "kid", "prober", false, ""), reply};
  for (const auto& f : good) {
    const auto bytes = cluster::encode(f);
    auto d = cluster::decode(bytes);
    ASSERT_TRUE(d.frame) << d.error;
    EXPECT_EQ(cluster::encode(*d.frame), bytes);
    EXPECT_EQ(d.frame->op, f.op);
    EXPECT_EQ(d.frame->module, f.module);
    EXPECT_EQ(d.frame->has_config, f.has_config);
    EXPECT_EQ(d.frame->status, f.status);
    for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(cluster::decode(bytes.substr(0, n)).frame) << n;
    EXPECT_FALSE(cluster::decode(bytes + "x").frame);
  }
  auto refused = [](const Frame& f) { return cluster::decode(cluster::encode(f)).error; };
  EXPECT_NE(refused(control(ControlOp::kList, "", "bob", "", false, "")).find("target"), std::string::npos);
  EXPECT_NE(refused(control(ControlOp::kStop, "", "", "", false, "")).find("target"), std::string::npos);
  EXPECT_NE(refused(control(ControlOp::kSpawn, "", "kid", "", false, "")).find("module"), std::string::npos);
  EXPECT_NE(refused(control(ControlOp::kStop, "", "bob", "prober", false, "")).find("module"), std::string::npos);
  EXPECT_NE(refused(control(ControlOp::kSpawn, "", "kid", "pro ber", false, "")).find("module"), std::string::npos);
  EXPECT_NE(refused(control(ControlOp::kSpawn, "a b", "kid", "prober", false, "")).find("sender"), std::string::npos);
  EXPECT_NE(refused(control(ControlOp::kStop, "", "bob", "", true, "")).find("flags"), std::string::npos);
  EXPECT_NE(refused(control(ControlOp::kSpawn, "", "kid", "prober", false, "x")).find("config"), std::string::npos);
  Frame bad_op = control(ControlOp::kList, "", "", "", false, "");
  std::string bytes = cluster::encode(bad_op);
  bytes[2 + 4 + 2] = 9;  // version, kind, host "h1", then the op
  EXPECT_NE(cluster::decode(bytes).error.find("op"), std::string::npos);
  reply.status = 1;
  EXPECT_NE(refused(reply).find("status"), std::string::npos);
  reply.status = -8;
  EXPECT_NE(refused(reply).find("status"), std::string::npos);
  reply.status = 0;
  reply.request_id = 0;
  EXPECT_NE(refused(reply).find("request id"), std::string::npos);
}

// A loopback TCP port nobody listens on now (0 if none could be had).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// Two `wactor run` processes: the /v1 API of one spawns on, lists and stops at the other.
TEST(PlacementProcess, ControlApiOfOneHostDrivesTheOther) {
  test::NatsServer server;
  ASSERT_TRUE(server.start());
  const fs::path dir = fs::temp_directory_path() / ("wactor-place-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string probe = test::guest_path("probe.wasm");
  std::ofstream(dir / "a.toml") << "[cluster]\nheartbeat_ms = 100\n[[component]]\nid = \"alice\"\nwasm = \"" << probe
                                << "\"\nsend = [\"#\"]\n";
  std::ofstream(dir / "b.toml") << "[cluster]\nheartbeat_ms = 100\n[[module]]\nname = \"prober\"\nwasm = \"" << probe
                                << "\"\n[[component]]\nid = \"bob\"\nwasm = \"" << probe << "\"\n";
  const std::string lattice = "placeproc" + std::to_string(getpid());
  auto run = [&](const std::string& manifest, const std::string& host, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{WACTOR_BINARY, "run", manifest, "--nats", server.url(), "--lattice", lattice,
                                  "--host-id", host};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  };
  test::Child b, a;
  ASSERT_TRUE(b.start(run((dir / "b.toml").string(), "b-host")));
  ASSERT_TRUE(b.wait_output("joined lattice")) << b.output();
  const int port = free_port();
  ASSERT_GT(port, 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(a.start(run((dir / "a.toml").string(), "a-host", {"--listen", "127.0.0.1:" + std::to_string(port)})));
  ASSERT_TRUE(a.wait_output("listening on " + base + "\n")) << a.output();
  test::HttpClient client;
  auto r = client.fetch("POST", base + "/v1/components", R"({"id": "kid", "module": "prober", "host": "b-host"})");
  ASSERT_EQ(r.status, 201) << r.body;
  r = client.fetch("POST", base + "/v1/components/alice/messages", "send kid over");
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_TRUE(b.wait_output("kid INFO msg from=alice req=0 payload=over")) << b.output();
  r = client.fetch("GET", base + "/v1/components");
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, std::string> where;
  for (const auto& c : json::parse(r.body)) where[c["id"]] = c["host"];
  EXPECT_EQ(where, (std::map<std::string, std::string>{{"alice", "a-host"}, {"bob", "b-host"}, {"kid", "b-host"}}));
  r = client.fetch("DELETE", base + "/v1/components/kid");
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_TRUE(b.wait_output("stop of 'kid' asked by host 'a-host'")) << b.output();
  // wactor ctl: spawn --on, and the list's HOST column.
  test::Child spawn, list;
  ASSERT_TRUE(spawn.start({WACTOR_BINARY, "ctl", "spawn", "kid2", "--module", "prober", "--on", "b-host", "--host", base}));
  EXPECT_EQ(spawn.wait_exit(), 0) << spawn.output();
  EXPECT_TRUE(spawn.wait_output("spawned kid2 from module prober on b-host\n")) << spawn.output();
  EXPECT_TRUE(b.wait_output("kid2 INFO init")) << b.output();
  ASSERT_TRUE(list.start({WACTOR_BINARY, "ctl", "list", "--host", base}));
  EXPECT_EQ(list.wait_exit(), 0) << list.output();
  EXPECT_TRUE(list.wait_output("ID     HOST")) << list.output();
  EXPECT_TRUE(list.wait_output("kid2   b-host")) << list.output();
  a.signal(SIGTERM);
  b.signal(SIGTERM);
  EXPECT_TRUE(WIFEXITED(a.wait_exit()));
  EXPECT_TRUE(WIFEXITED(b.wait_exit()));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wactor
