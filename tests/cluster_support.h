// Shared by the harder cluster tests: hosts (in-process Runtimes) on a test's own lattice,
// and a TCP proxy between one host and nats-server that the test can cut and heal.
// Never a sleep: the proxy's cut() returns once every connection through it is closed.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <functional>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "nats_support.h"
#include "test_support.h"

namespace wactor::test {

// Forwards 127.0.0.1:<port()> to 127.0.0.1:<target>. cut(): every connection through it is
// closed, and new ones are accepted and closed at once (the client sees a dead server).
// blackhole(): nothing goes through any more, but no connection is closed (a partition that
// drops packets: only the client's pings can tell). heal(): connections go through again
// (the blackholed ones are closed: their streams lost bytes).
class TcpProxy {
 public:
  explicit TcpProxy(int target) : target_(target) {}
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;
  ~TcpProxy() { stop(); }

  bool start() {
    listen_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_ < 0 || pipe2(wake_, O_CLOEXEC) != 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listen_, 64) != 0 ||
        getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return false;
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
    return true;
  }
  void stop() {
    if (thread_.joinable()) {
      command(kStop);
      thread_.join();
    }
    for (int fd : {listen_, wake_[0], wake_[1]}) {
      if (fd >= 0) close(fd);
    }
    listen_ = wake_[0] = wake_[1] = -1;
  }
  void cut() { command(kCut); }
  void blackhole() { command(kBlackhole); }
  void heal() { command(kHeal); }
  [[nodiscard]] std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int accepted() const { return accepted_.load(); }

 private:
  enum Command { kNone, kCut, kBlackhole, kHeal, kStop };
  // Hands the command to the loop and waits until it was carried out.
  void command(Command c) {
    std::unique_lock lock(mu_);
    pending_ = c;
    const char b = 1;
    (void)!write(wake_[1], &b, 1);
    cv_.wait(lock, [&] { return pending_ == kNone; });
  }
  static int dial(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
    if (fd >= 0) close(fd);
    return -1;
  }
  static bool write_all(int fd, const char* p, ssize_t n) {
    while (n > 0) {
      const ssize_t w = send(fd, p, static_cast<std::size_t>(n), MSG_NOSIGNAL);
      if (w <= 0) return false;
      p += w;
      n -= w;
    }
    return true;
  }
  void close_all() {
    for (auto [a, b] : pairs_) {
      shutdown(a, SHUT_RDWR);
      shutdown(b, SHUT_RDWR);
      close(a);
      close(b);
    }
    pairs_.clear();
  }
  void loop() {
    bool cut = false, hole = false;
    std::vector<char> buf(64 * 1024);
    for (;;) {
      std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listen_, POLLIN, 0}};
      for (auto [a, b] : pairs_) {
        fds.push_back({a, POLLIN, 0});
        fds.push_back({b, POLLIN, 0});
      }
      const std::size_t polled = pairs_.size();  // an accept below adds one not in fds
      if (poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents) {
        char b[16];
        (void)!read(wake_[0], b, sizeof b);
        std::lock_guard lock(mu_);
        const Command c = pending_;
        if (c == kCut || c == kStop || (c == kHeal && hole)) close_all();
        if (c == kCut) cut = true;
        if (c == kBlackhole) hole = true;
        if (c == kHeal) cut = hole = false;
        pending_ = kNone;
        cv_.notify_all();
        if (c == kStop) return;
        continue;  // the pairs changed: poll again
      }
      if (fds[1].revents) {
        const int client = accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client >= 0) {
          const int server = cut ? -1 : hole ? dup(client) : dial(target_);  // blackholed: a sink
          if (server < 0) {
            close(client);
          } else {
            pairs_.emplace_back(client, server);
            accepted_.fetch_add(1);
          }
        }
      }
      std::vector<std::size_t> dead;
      for (std::size_t i = 0; i < polled; ++i) {
        for (int side = 0; side < 2; ++side) {
          const pollfd& p = fds[2 + 2 * i + static_cast<std::size_t>(side)];
          if (!p.revents) continue;
          const int from = side == 0 ? pairs_[i].first : pairs_[i].second;
          const int to = side == 0 ? pairs_[i].second : pairs_[i].first;
          const ssize_t n = recv(from, buf.data(), buf.size(), 0);
          if (n <= 0 || (!hole && !write_all(to, buf.data(), n))) {
            dead.push_back(i);
            break;
          }
        }
      }
      for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
        auto [a, b] = pairs_[*it];
        close(a);
        close(b);
        pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*it));
      }
    }
  }

  int target_;
  int port_ = 0;
  int listen_ = -1;
  int wake_[2] = {-1, -1};
  std::vector<std::pair<int, int>> pairs_;  // client, server (the loop's own)
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  Command pending_ = kNone;
  std::thread thread_;
};

struct ClusterHost {
  Collector collector;
  std::unique_ptr<Runtime> runtime;
  void post(const std::string& to, const std::string& payload) { ASSERT_EQ(runtime->post(to, payload), 0); }
  [[nodiscard]] ClusterStats cluster() const { return runtime->metrics().cluster; }
};

// Hosts on a lattice named after the test, over a nats-server of the suite's own.
class ClusterHosts : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    server_ = new NatsServer();
    ASSERT_TRUE(server_->start()) << "nats-server did not start";
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void TearDown() override {
    for (auto& h : hosts_) h->runtime->stop(std::chrono::seconds(2));
    hosts_.clear();
  }

  static ComponentSpec probe(const std::string& id, Capabilities caps = Capabilities::all()) {
    return ComponentSpec{id, guest_bytes("probe.wasm"), guest_path("probe.wasm"), {}, 0, {}, std::move(caps), {}, {},
                         {}, {}};
  }
  // Runtime options of a host: `c` names its cluster (url, ids, intervals); the rest is set here.
  RuntimeOptions options(ClusterHost& h, ClusterOptions c) {
    RuntimeOptions o;
    o.engine = GetParam();
    o.workers = 2;
    o.log = h.collector.log_sink();
    o.events = h.collector.event_sink();
    o.mailbox_capacity = 100000;
    if (c.url.empty()) c.url = server_->url();
    c.lattice = lattice();
    if (c.heartbeat == ClusterOptions{}.heartbeat) c.heartbeat = std::chrono::milliseconds(50);
    if (c.dead_after == ClusterOptions{}.dead_after) c.dead_after = std::chrono::milliseconds(1000);
    o.cluster = std::move(c);
    return o;
  }
  ClusterHost& host(const std::string& id, std::vector<ComponentSpec> specs, ClusterOptions c = {},
                    const std::function<void(RuntimeOptions&)>& more = {}, std::vector<ModuleSpec> modules = {}) {
    auto h = std::make_unique<ClusterHost>();
    c.host_id = id;
    RuntimeOptions o = options(*h, std::move(c));
    if (more) more(o);
    auto rt = Runtime::create(std::move(o), std::move(specs), {}, std::move(modules));
    EXPECT_TRUE(rt.ok()) << (rt.ok() ? "" : rt.error().to_string());
    h->runtime = std::move(rt).value();
    auto st = h->runtime->start();
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().to_string());
    hosts_.push_back(std::move(h));
    return *hosts_.back();
  }
  [[nodiscard]] std::string lattice() const {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& ch : name) {
      if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    }
    return name;
  }

  static NatsServer* server_;
  std::vector<std::unique_ptr<ClusterHost>> hosts_;
};
inline NatsServer* ClusterHosts::server_ = nullptr;

}  // namespace wactor::test
