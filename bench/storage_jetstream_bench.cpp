// The JetStream storage backend (docs/STORAGE.md, "JetStream backend"): committed kv-set
// handlers per second (one component, many) on a nats-server -js this benchmark starts on a
// free loopback port, beside raw nats.c kvStore_Put of the same writes in the same run.
#include <fcntl.h>
#include <nats/nats.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "bench/runtime_harness.h"
#include "bench/scenarios.h"
#include "storage/jetstream_store.h"

namespace wactor::bench {
namespace {

namespace fs = std::filesystem;

// nats-server -js with its store in a fresh directory; SIGTERM at the end.
class JetStreamServer {
 public:
  JetStreamServer() : dir_(fs::temp_directory_path() / ("wactor-bench-js-" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 2);
      dup2(fds[1], 1);
      execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", "-1", "-js", "-sd", dir_.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    log_ = fdopen(fds[0], "r");
    char line[1024];
    while (log_ && std::fgets(line, sizeof line, log_)) {
      if (const char* p = std::strstr(line, "client connections on 127.0.0.1:")) port_ = std::atoi(p + 32);
      if (std::strstr(line, "Server is ready")) break;
    }
    if (port_ == 0) throw std::runtime_error("nats-server -js did not start (is it installed?)");
    drain_ = std::jthread([f = log_] {
      char buf[1024];
      while (std::fgets(buf, sizeof buf, f)) {
      }
    });
  }
  ~JetStreamServer() {
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
    if (drain_.joinable()) drain_.join();
    if (log_) std::fclose(log_);
    fs::remove_all(dir_);
  }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  FILE* log_ = nullptr;
  std::jthread drain_;
};

double committed_sets(const std::string& url, const std::string& lattice, const std::string& engine, const Settings& s,
                      const std::vector<std::uint8_t>& wasm, std::size_t components, std::size_t n) {
  auto o = options(engine, s);
  o.storage.backend = "jetstream";
  o.cluster.url = url;
  o.cluster.lattice = lattice;
  o.cluster.host_id = "bench";
  std::vector<ComponentSpec> specs;
  for (std::size_t c = 0; c < components; ++c) specs.push_back(spec("kv" + std::to_string(c), wasm, "kv_probe.wasm"));
  auto rt = start(o, std::move(specs));
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    post(*rt, "kv" + std::to_string(i % components), "set k" + std::to_string(i % 1000) + " 0123456789abcdef");
  }
  wait_idle(*rt);
  const double secs = seconds_since(t0);
  const auto m = rt->metrics();
  if (m.total.messages_handled != n || m.total.handler_errors != 0) throw std::runtime_error("kv: messages lost");
  rt->stop();
  rt.reset();
  return static_cast<double>(n) / secs;
}

// Raw nats.c: n kvStore_Put of the same keys and values, one after the other (each waits
// for its acknowledgement, as a durable write must); writes/s.
double raw_puts(const std::string& url, std::size_t n) {
  natsConnection* nc = nullptr;
  if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK) throw std::runtime_error("nats connect");
  jsCtx* js = nullptr;
  kvStore* kv = nullptr;
  kvConfig c;
  kvConfig_Init(&c);
  c.Bucket = "raw";
  c.History = 1;
  c.StorageType = js_FileStorage;
  if (natsConnection_JetStream(&js, nc, nullptr) != NATS_OK || js_CreateKeyValue(&kv, js, &c) != NATS_OK) {
    throw std::runtime_error("nats: JetStream bucket");
  }
  const std::string value = "0123456789abcdef";
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string key = "k" + std::to_string(i % 1000);
    if (kvStore_Put(nullptr, kv, key.c_str(), value.data(), static_cast<int>(value.size())) != NATS_OK) {
      throw std::runtime_error("nats: kvStore_Put");
    }
  }
  const double secs = seconds_since(t0);
  kvStore_Destroy(kv);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return static_cast<double>(n) / secs;
}

}  // namespace

void storage_jetstream_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows) {
  if (!s.wants("storage")) return;
  const auto wasm = read_guest("kv_probe.wasm");
  const std::size_t n = s.quick ? 5'000 : 50'000;
  JetStreamServer server;
  std::vector<double> one, many;
  for (int r = 0; r < s.reps; ++r) {
    one.push_back(committed_sets(server.url(), engine + "1r" + std::to_string(r), engine, s, wasm, 1, n));
    many.push_back(committed_sets(server.url(), engine + "64r" + std::to_string(r), engine, s, wasm, 64, n));
  }
  rows.push_back({"kv-set handlers committed, 1 component, JetStream", engine, median(one) / 1e3, "k calls/s", "", 0,
                  "", "record + key per batch, each acknowledged"});
  rows.push_back({"kv-set handlers committed, 64 components, JetStream", engine, median(many) / 1e3, "k calls/s", "",
                  0, "", ""});
  if (engine == "interp") return;  // the raw row once per run
  rows.push_back({"raw nats.c kvStore_Put, one at a time", "native", raw_puts(server.url(), n) / 1e3, "k writes/s", "",
                  0, "", "same keys and values"});
}

}  // namespace wactor::bench
