// A `wactor run` child killed with SIGKILL in the middle of storage traffic, then restarted
// on the same database: every handler whose reply was observed is in the state, and none is
// half-applied (docs/STORAGE.md, "Durability"). On every engine.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "http_client.h"
#include "process_support.h"
#include "test_support.h"

namespace wactor {
namespace {

namespace fs = std::filesystem;

// `wactor run <manifest> --listen 127.0.0.1:0 --engine E`; its URL read from its output.
struct Child {
  Child(const fs::path& manifest, const std::string& engine) {
    if (process.start({WACTOR_BINARY, "run", manifest.string(), "--listen", "127.0.0.1:0", "--engine", engine})) {
      url_ = process.wait_match("wactor: listening on (http://127\\.0\\.0\\.1:[0-9]+)\n");
    }
    EXPECT_FALSE(url_.empty()) << process.output();
  }
  void kill9() {
    process.signal(SIGKILL);
    (void)process.wait_exit();
  }
  const std::string& url() const { return url_; }
  test::Child process;
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
