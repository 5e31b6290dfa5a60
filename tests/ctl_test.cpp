// `wactor ctl` against a real `wactor run --listen 127.0.0.1:0`: output and exit statuses of
// every subcommand, on both engines; plus a hostile server and bad command lines.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "process_support.h"
#include "test_support.h"
#include "wactor/metrics.h"

namespace wactor {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Outcome {
  int status;
  std::string out, err;
};

// A `wactor run <manifest> --listen 127.0.0.1:0` child; the port is read from its output.
class Server {
 public:
  Server(const fs::path& manifest, std::vector<std::string> extra) {
    std::vector<std::string> args{WACTOR_BINARY, "run", manifest.string(), "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    if (child_.start(args)) url_ = child_.wait_match("wactor: listening on (http://127\\.0\\.0\\.1:([0-9]+))\n");
  }
  const std::string& url() const { return url_; }
  std::string err() { return child_.output(); }

 private:
  test::Child child_;
  std::string url_;
};

class Ctl : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) c = c == '/' ? '_' : c;
    dir = fs::temp_directory_path() / ("wactor_ctl_" + std::to_string(::getpid()) + "_" + name);
    fs::create_directories(dir);
    fs::copy_file(test::guest_path("probe.wasm"), dir / "probe.wasm", fs::copy_options::overwrite_existing);
    std::ofstream(dir / "app.toml") << R"(
[[module]]
name = "worker"
wasm = "probe.wasm"
[[component]]
id = "a"
wasm = "probe.wasm"
[[component]]
id = "w1"
module = "worker"
)";
    std::ofstream(dir / "token") << "0123456789abcdef0123\n";
    std::ofstream(dir / "wrong-token") << "not-the-token-at-all\n";
    std::ofstream(dir / "not.wasm") << "this is not a wasm module";
  }
  void TearDown() override {
    server.reset();
    fs::remove_all(dir);
  }
  void start(std::vector<std::string> extra = {}) {
    extra.push_back("--engine");
    extra.push_back(GetParam());
    server = std::make_unique<Server>(dir / "app.toml", std::move(extra));
    ASSERT_FALSE(server->url().empty()) << server->err();
  }
  // Runs `wactor ctl <args> --host <server>`; env: assignments before the command.
  Outcome ctl(const std::vector<std::string>& args, const std::string& env = "", bool with_host = true) {
    std::string cmd = "env -u WACTOR_HOST -u WACTOR_TOKEN_FILE " + env + " " + quote(WACTOR_BINARY) + " ctl";
    for (const auto& a : args) cmd += " " + quote(a);
    if (with_host) cmd += " --host " + quote(server->url());
    cmd += " >" + quote((dir / "ctl-out").string()) + " 2>" + quote((dir / "ctl-err").string());
    const int st = std::system(cmd.c_str());
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(dir / "ctl-out"), slurp(dir / "ctl-err")};
  }
  fs::path dir;
  std::unique_ptr<Server> server;
};

// The row of `id` in `ctl list`'s table, split into its columns; empty if absent.
std::vector<std::string> row(const std::string& table, const std::string& id) {
  std::istringstream in(table);
  for (std::string line; std::getline(in, line);) {
    std::istringstream cols(line);
    std::vector<std::string> v;
    for (std::string c; cols >> c;) v.push_back(c);
    if (!v.empty() && v[0] == id) return v;
  }
  return {};
}

TEST_P(Ctl, ListSpawnStop) {
  start();
  auto r = ctl({"list"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("ID", 0), 0u) << r.out;
  for (const char* col : {"MODULE", "ENGINE", "STATE", "MAILBOX", "HANDLED", "ERRORS", "RESTARTS"}) {
    EXPECT_NE(r.out.find(col), std::string::npos) << r.out;
  }
  auto a = row(r.out, "a");
  ASSERT_EQ(a.size(), 8u) << r.out;
  EXPECT_EQ(a[1], "-");  // from a wasm file, not a module
  EXPECT_EQ(a[2], GetParam());
  auto w1 = row(r.out, "w1");
  ASSERT_EQ(w1.size(), 8u) << r.out;
  EXPECT_EQ(w1[1], "worker");

  r = ctl({"spawn", "w2", "--module", "worker", "--config", "hello there"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "spawned w2 from module worker\n");
  r = ctl({"list", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << r.out;
  bool found = false;
  for (const auto& c : j) found = found || (c.value("id", "") == "w2" && c.value("module", "") == "worker");
  EXPECT_TRUE(found) << r.out;
  EXPECT_EQ(row(ctl({"list"}).out, "w2").size(), 8u);

  r = ctl({"spawn", "w2", "--module", "worker"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "wactor ctl: spawn w2: 409: component id 'w2' is in use\n");
  r = ctl({"spawn", "w3", "--module", "nosuch"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("spawn w3: 404: "), std::string::npos) << r.err;

  r = ctl({"stop", "w2"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "stopped w2\n");
  EXPECT_TRUE(row(ctl({"list"}).out, "w2").empty());
  r = ctl({"stop", "w2"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("stop w2: 404: "), std::string::npos) << r.err;
}

TEST_P(Ctl, RequestSendAndMetrics) {
  start();
  auto r = ctl({"request", "a", "hello"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "echo:hello");
  std::ofstream(dir / "payload") << "from a file";
  r = ctl({"request", "a", "--file", (dir / "payload").string(), "--timeout-ms", "10000"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "echo:from a file");
  r = ctl({"request", "a", "fail"});  // the handler fails: an error reply
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("wactor ctl: request a: 502: "), std::string::npos) << r.err;
  r = ctl({"request", "a", "defer", "--timeout-ms", "200"});  // never answered
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "wactor ctl: request a: 504: no reply in time\n");
  r = ctl({"request", "nosuch", "x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("request nosuch: 404: "), std::string::npos) << r.err;

  r = ctl({"send", "w1", "data"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "queued for w1\n");
  ASSERT_EQ(ctl({"request", "w1", "after"}).out, "echo:after");  // one mailbox: the send was handled first
  r = ctl({"metrics", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["components"]["w1"]["messages_handled"], 2) << r.out;
  r = ctl({"metrics"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("wactor_messages_handled_total{component=\"w1\"}"), std::string::npos) << r.out;
}

TEST_P(Ctl, UpgradeRefusesANonWasmBodyAndTheComponentStillAnswers) {
  start();
  auto r = ctl({"upgrade", "a", (dir / "not.wasm").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(std::regex_match(r.err, std::regex("wactor ctl: upgrade a: 4[0-9][0-9]: [^\n]+\n"))) << r.err;
  r = ctl({"request", "a", "still"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "echo:still");
  r = ctl({"upgrade", "a", (dir / "probe.wasm").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "upgraded a\n");
  EXPECT_EQ(ctl({"request", "a", "again"}).out, "echo:again");
  r = ctl({"upgrade", "a", (dir / "missing.wasm").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("missing.wasm: cannot open module"), std::string::npos) << r.err;
}

TEST_P(Ctl, TheTokenIsRequiredWhenTheServerHasOne) {
  start({"--token-file", (dir / "token").string()});
  auto r = ctl({"list"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "wactor ctl: list: 401: missing or wrong bearer token\n");
  r = ctl({"list", "--token-file", (dir / "wrong-token").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "wactor ctl: list: 401: missing or wrong bearer token\n");
  r = ctl({"list", "--token-file", (dir / "token").string()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(row(r.out, "a").size(), 8u) << r.out;
  r = ctl({"metrics"}, "WACTOR_TOKEN_FILE=" + quote((dir / "token").string()));
  EXPECT_EQ(r.status, 0) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Engines, Ctl, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

// Engine-neutral: no server needed.
class CtlAlone : public Ctl {};

TEST_F(CtlAlone, NoServerIsAOneLineError) {
  // Binds a port and closes it: nothing listens there any more.
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  const std::string host = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  auto r = ctl({"list", "--host", host}, "", false);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "wactor ctl: cannot connect to " + host + ": Connection refused\n");
  r = ctl({"list"}, "WACTOR_HOST=" + host, false);
  EXPECT_EQ(r.err, "wactor ctl: cannot connect to " + host + ": Connection refused\n");
}

TEST_F(CtlAlone, BadCommandLinesExit2) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"spawn", "x"},
           {"spawn"},
           {"stop"},
           {"upgrade", "a"},
           {"send", "a"},
           {"send", "a", "p", "--file", "f"},
           {"request", "a", "p", "--timeout-ms", "soon"},
           {"request", "a", "p", "--timeout-ms", "0"},
           {"list", "--module", "m"},
           {"stop", "a", "--json"},
           {"list", "--bogus"},
           {"list", "--host", "ftp://x"},
           {"list", "--host"},
       }) {
    auto r = ctl(args, "", false);
    EXPECT_EQ(r.status, 2) << testing::PrintToString(args) << r.err;
    EXPECT_EQ(r.err.rfind("wactor ctl: ", 0), 0u) << r.err;
  }
  auto r = ctl({"--help"}, "", false);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("usage: wactor ctl"), std::string::npos);
}

// A one-connection HTTP server on a free loopback port that answers with `respond`.
class HostileServer {
 public:
  explicit HostileServer(std::function<void(int)> respond) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    url_ = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    thread_ = std::thread([this, respond = std::move(respond)] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      (void)::recv(c, buf, sizeof buf, 0);
      respond(c);
      ::shutdown(c, SHUT_RDWR);
      ::close(c);
    });
  }
  ~HostileServer() {
    thread_.join();
    ::close(fd_);
  }
  const std::string& url() const { return url_; }

 private:
  int fd_ = -1;
  std::string url_;
  std::thread thread_;
};

void send_all(int c, const std::string& s) { (void)::send(c, s.data(), s.size(), MSG_NOSIGNAL); }

// A server announcing a 1 GiB body: ctl refuses it without reading it.
TEST_F(CtlAlone, AHugeAnnouncedResponseIsRefused) {
  HostileServer hs([](int c) {
    send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\nContent-Type: application/json\r\n\r\n[");
  });
  auto r = ctl({"list", "--host", hs.url()}, "", false);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "wactor ctl: " + hs.url() + "/v1/components: response larger than 64 MiB\n");
}

// A server streaming an endless body without a length: ctl stops reading at 64 MiB.
TEST_F(CtlAlone, AnEndlessResponseIsCutAt64MiB) {
  HostileServer hs([](int c) {
    send_all(c, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    const std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 256; ++i) {  // 256 MiB at most; the client hangs up after 64
      if (::send(c, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0) break;
    }
  });
  auto r = ctl({"metrics", "--host", hs.url()}, "", false);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "wactor ctl: " + hs.url() + "/metrics: response larger than 64 MiB\n");
  EXPECT_TRUE(r.out.empty());
}

// to_json(RuntimeMetrics) is written by nlohmann-json: valid JSON, the documented shape, the
// components in their order (not sorted), and bytes that are not UTF-8 replaced, not thrown on.
TEST(MetricsJson, KeepsItsShapeAndOrder) {
  RuntimeMetrics m;
  m.components.push_back({"zeta", ComponentStats{}});
  m.components.push_back({"alpha", ComponentStats{}});
  m.components.push_back({std::string("bad\xff"), ComponentStats{}});
  m.components[0].second.messages_handled = 7;
  m.total.messages_handled = 7;
  m.total.mailbox_high_water = 3;
  m.pending_requests = 2;
  m.pending_timers = 1;
  m.live_components = 3;
  m.components_gone = 4;
  m.scheduler.throttled = 6;
  const std::string text = to_json(m);
  const auto j = nlohmann::ordered_json::parse(text, nullptr, false);
  ASSERT_TRUE(j.is_object()) << text;
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"total", "pending_requests", "pending_timers", "live_components",
                                            "components_gone", "components", "scheduler"}));
  EXPECT_EQ(j["scheduler"]["throttled"], 6);
  EXPECT_EQ(j["scheduler"]["batches"], 0);
  EXPECT_EQ(j["total"]["messages_handled"], 7);
  EXPECT_EQ(j["total"]["mailbox_high_water"], 3);
  EXPECT_EQ(j["pending_requests"], 2);
  EXPECT_EQ(j["pending_timers"], 1);
  EXPECT_EQ(j["live_components"], 3);
  EXPECT_EQ(j["components_gone"], 4);
  std::vector<std::string> ids;
  for (const auto& [k, v] : j["components"].items()) ids.push_back(k);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], "zeta");
  EXPECT_EQ(ids[1], "alpha");
  EXPECT_EQ(ids[2], "bad\xEF\xBF\xBD");  // U+FFFD
  EXPECT_EQ(j["components"]["zeta"]["messages_handled"], 7);
  EXPECT_EQ(j["components"]["zeta"].size(), j["total"].size());
}

}  // namespace
}  // namespace wactor
