// A `wactor run` child killed with SIGKILL in the middle of storage traffic, then restarted
// on the same database: every handler whose reply was observed is in the state, and none is
// half-applied (docs/STORAGE.md, "Durability"). On every engine.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "http_client.h"
#include "test_support.h"

namespace wactor {
namespace {

namespace fs = std::filesystem;

// `wactor run <manifest> --listen 127.0.0.1:0 --engine E`; its URL read from stderr.
class Child {
 public:
  Child(const fs::path& manifest, const std::string& engine) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 2);
      ::close(fds[0]);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      execl(WACTOR_BINARY, WACTOR_BINARY, "run", manifest.c_str(), "--listen", "127.0.0.1:0", "--engine",
            engine.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
    const std::regex re("wactor: listening on (http://127\\.0\\.0\\.1:[0-9]+)");
    std::smatch m;
    std::string err;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < give_up) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 1000) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      err.append(buf, static_cast<std::size_t>(n));
      if (std::regex_search(err, m, re)) {
        url_ = m[1];
        break;
      }
    }
    EXPECT_FALSE(url_.empty()) << err;
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }
  void kill9() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string url_;
};

class StorageCrash : public ::testing::TestWithParam<std::string> {};

TEST_P(StorageCrash, KilledMidTrafficKeepsEveryObservedReplyAndNoHalfHandler) {
  const fs::path dir = fs::temp_directory_path() / ("wactor-kv-crash-" + GetParam() + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(test::guest_path("kv_probe.wasm"), dir / "kv.wasm");
  {
    std::ofstream m(dir / "app.toml");
    m << "[runtime]\nworkers = 2\n[[component]]\nid = \"kv\"\nwasm = \"kv.wasm\"\n"
         "[[route]]\npath = \"/kv\"\nmethod = \"POST\"\ncomponent = \"kv\"\n";
  }
  constexpr int kClients = 3;
  std::array<long long, kClients> observed{};  // the last value each client saw in a reply
  {
    Child child(dir / "app.toml", GetParam());
    ASSERT_FALSE(child.url().empty());
    std::atomic<int> replies{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        test::HttpClient http;
        const std::string cmd = "incr2 a" + std::to_string(c) + " b" + std::to_string(c);
        for (;;) {
          auto r = http.fetch("POST", child.url() + "/kv", cmd, {}, 5000);
          if (r.status != 200) return;  // the host is gone
          observed[static_cast<std::size_t>(c)] = std::stoll(r.body);
          replies.fetch_add(1);
        }
      });
    }
    // Killed while the clients keep asking: after some hundreds of replies.
    while (replies.load() < 300) std::this_thread::yield();
    child.kill9();
    for (auto& t : clients) t.join();
  }
  Child again(dir / "app.toml", GetParam());
  ASSERT_FALSE(again.url().empty());
  test::HttpClient http;
  for (int c = 0; c < kClients; ++c) {
    const auto a = http.fetch("POST", again.url() + "/kv", "get a" + std::to_string(c));
    const auto b = http.fetch("POST", again.url() + "/kv", "get b" + std::to_string(c));
    ASSERT_EQ(a.status, 200);
    const long long va = std::stoll(a.body), want = observed[static_cast<std::size_t>(c)];
    EXPECT_GE(va, want) << "client " << c << ": a reply was observed for a write that is lost";
    EXPECT_LE(va, want + 1) << "client " << c;  // at most the one handler whose reply the kill cut off
    EXPECT_EQ(a.body, b.body) << "client " << c << ": half a handler applied";
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Engines, StorageCrash, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
