// Cross-host figures (docs/CLUSTER.md) beside raw nats.c measured in the same run, on a
// nats-server this benchmark starts on a free loopback port: request round trip p50/p99,
// fire-and-forget messages/s, and local messaging with [cluster] set.
#include <fcntl.h>
#include <nats/nats.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "bench/runtime_harness.h"
#include "bench/scenarios.h"

namespace wactor::bench {
namespace {

// nats-server -a 127.0.0.1 -p -1, ready once it says so; SIGTERM at the end.
class Server {
 public:
  Server() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 2);
      dup2(fds[1], 1);
      execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", "-1", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    FILE* f = fdopen(fds[0], "r");
    char line[1024];
    while (f && std::fgets(line, sizeof line, f)) {
      if (const char* p = std::strstr(line, "client connections on 127.0.0.1:")) port_ = std::atoi(p + 32);
      if (std::strstr(line, "Server is ready")) break;
    }
    log_ = f;
    if (port_ == 0) throw std::runtime_error("nats-server did not start (is it installed?)");
    drain_ = std::jthread([f] {
      char buf[1024];
      while (std::fgets(buf, sizeof buf, f)) {
      }
    });
  }
  ~Server() {
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
    if (drain_.joinable()) drain_.join();
    if (log_) std::fclose(log_);
  }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  FILE* log_ = nullptr;
  std::jthread drain_;
};

natsConnection* connect(const std::string& url, bool asap) {
  natsOptions* o = nullptr;
  natsOptions_Create(&o);
  natsOptions_SetURL(o, url.c_str());
  natsOptions_SetSendAsap(o, asap);
  natsConnection* nc = nullptr;
  const natsStatus s = natsConnection_Connect(&nc, o);
  natsOptions_Destroy(o);
  if (s != NATS_OK) throw std::runtime_error("nats connect failed");
  return nc;
}

void echo(natsConnection* nc, natsSubscription*, natsMsg* m, void*) {
  if (natsMsg_GetReply(m)) natsConnection_Publish(nc, natsMsg_GetReply(m), "", 0);
  natsMsg_Destroy(m);
}

// Raw nats.c request/reply, sequential, between two connections of this process, empty
// payloads as the guests' ping: the request goes at once (natsConnection_Request flushes
// it); the reply goes at once with asap (as the link sends replies), else it waits for the
// client's flusher (~1 ms).
std::pair<double, double> raw_rtt(const std::string& url, std::size_t n, bool asap) {
  natsConnection* server = connect(url, asap);
  natsConnection* client = connect(url, asap);
  natsSubscription* sub = nullptr;
  natsConnection_Subscribe(&sub, server, "bench.echo", echo, nullptr);
  natsConnection_Flush(server);
  std::vector<double> d;
  d.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    natsMsg* reply = nullptr;
    const auto t0 = Clock::now();
    if (natsConnection_Request(&reply, client, "bench.echo", nullptr, 0, 5000) != NATS_OK) throw std::runtime_error("raw request");
    d.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    natsMsg_Destroy(reply);
  }
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(client);
  natsConnection_Destroy(server);
  return {quantile(d, 0.5), quantile(d, 0.99)};
}

// "<= 1.2x: met" or "... missed".
std::string mark(const std::string& target, bool met) { return target + (met ? ": met" : ": missed"); }

struct Counter {
  std::mutex mu;
  std::condition_variable cv;
  std::size_t n = 0;
};
void count_msg(natsConnection*, natsSubscription*, natsMsg* m, void* c) {
  auto* k = static_cast<Counter*>(c);
  {
    std::lock_guard lock(k->mu);
    ++k->n;
  }
  k->cv.notify_all();
  natsMsg_Destroy(m);
}

// Raw nats.c publish of n 16 B messages to one subscriber: messages/s until all arrived.
double raw_publish(const std::string& url, std::size_t n) {
  natsConnection* sink = connect(url, false);
  natsConnection* src = connect(url, false);
  Counter c;
  natsSubscription* sub = nullptr;
  natsConnection_Subscribe(&sub, sink, "bench.sink", count_msg, &c);
  natsSubscription_SetPendingLimits(sub, -1, -1);
  natsConnection_Flush(sink);
  const char payload[16] = {};
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) natsConnection_Publish(src, "bench.sink", payload, sizeof payload);
  natsConnection_Flush(src);
  {
    std::unique_lock lock(c.mu);
    c.cv.wait_for(lock, 60s, [&] { return c.n >= n; });
  }
  const double secs = seconds_since(t0);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(src);
  natsConnection_Destroy(sink);
  return static_cast<double>(n) / secs;
}

RuntimeOptions cluster_options(const std::string& engine, const Settings& s, const std::string& url,
                               const std::string& host, const std::string& lattice, Marks* marks = nullptr) {
  RuntimeOptions o = options(engine, s, marks);
  o.cluster.url = url;
  o.cluster.lattice = lattice;
  o.cluster.host_id = host;
  return o;
}

}  // namespace

void cluster_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows) {
  if (!s.wants("cluster")) return;
  Server server;
  const auto wasm = read_guest("bench.wasm");
  const std::size_t n_rtt = s.quick ? 2'000 : 10'000;
  const std::size_t n_msgs = s.quick ? 50'000 : 500'000;

  // Request round trip across two hosts against raw request/reply with the reply flushed at
  // once (the link flushes requests and replies at once); the client's batching for reference.
  std::vector<double> p50s, p99s, raw50s, raw99s, lazy50s;
  for (int r = 0; r < s.reps; ++r) {
    const auto [raw50, raw99] = raw_rtt(server.url(), n_rtt, true);
    raw50s.push_back(raw50);
    raw99s.push_back(raw99);
    lazy50s.push_back(raw_rtt(server.url(), n_rtt / 4, false).first);
    Marks marks;
    marks.reserve(n_rtt + 1);
    const std::string lattice = "rtt" + std::to_string(r);
    auto b = start(cluster_options(engine, s, server.url(), "b", lattice), {spec("r", wasm, "bench.wasm")});
    auto a = start(cluster_options(engine, s, server.url(), "a", lattice, &marks), {spec("p", wasm, "bench.wasm")});
    if (!a->wait_remote("r", true, 10s)) throw std::runtime_error("cluster rtt: host b not seen");
    post(*a, "p", "ping " + std::to_string(n_rtt) + " r");
    wait_idle(*a);
    auto& t = marks.by_level[1];
    if (t.size() != n_rtt) throw std::runtime_error("cluster rtt: callbacks missing");
    std::vector<double> d;
    for (std::size_t i = 1; i < t.size(); ++i) d.push_back(std::chrono::duration<double, std::micro>(t[i] - t[i - 1]).count());
    p50s.push_back(quantile(d, 0.5));
    p99s.push_back(quantile(d, 0.99));
  }
  const double raw50 = median(raw50s), raw99 = median(raw99s);
  const std::string raw = "raw nats.c request/reply";
  rows.push_back({raw + ", p50", "native", raw50, "us", "", 0, "", ""});
  rows.push_back({raw + ", p99", "native", raw99, "us", "", 0, "", ""});
  rows.push_back({raw + " (reply batched by the client), p50", "native", median(lazy50s), "us", "", 0, "", ""});
  rows.push_back({"cross-host request -> callback, p50", engine, median(p50s), "us", raw, median(p50s) / raw50,
                  mark("<= 1.2x", median(p50s) <= 1.2 * raw50), ""});
  rows.push_back({"cross-host request -> callback, p99", engine, median(p99s), "us", raw, median(p99s) / raw99, "", ""});

  // Fire-and-forget across two hosts, 16 B.
  std::vector<double> rates, raws;
  for (int r = 0; r < s.reps; ++r) {
    raws.push_back(raw_publish(server.url(), n_msgs));
    const std::string lattice = "fnf" + std::to_string(r);
    auto b = start(cluster_options(engine, s, server.url(), "b", lattice), {spec("k", wasm, "bench.wasm")});
    auto a = start(cluster_options(engine, s, server.url(), "a", lattice), {spec("s", wasm, "bench.wasm")});
    if (!a->wait_remote("k", true, 10s)) throw std::runtime_error("cluster fnf: host b not seen");
    const auto t0 = Clock::now();
    post(*a, "s", "blast " + std::to_string(n_msgs) + " 16 k");
    // The sink's host cannot know when the last message is on its way: read its counter.
    while (b->stats("k")->messages_handled < n_msgs) {
      if (seconds_since(t0) > 120) {
        const auto ca = a->metrics().cluster, cb = b->metrics().cluster;
        throw std::runtime_error("cluster fnf: messages lost (handled " + std::to_string(b->stats("k")->messages_handled) +
                                 ", sent " + std::to_string(ca.frames_sent) + " frames, failed " +
                                 std::to_string(ca.send_failed) + "; received " + std::to_string(cb.frames_received) +
                                 ", full " + std::to_string(cb.refused_queue_full) + ", dropped " +
                                 std::to_string(cb.dropped_slow_consumer) + ", malformed " +
                                 std::to_string(cb.refused_malformed) + ", unknown host " +
                                 std::to_string(cb.refused_unknown_host) + ", no target " +
                                 std::to_string(cb.refused_no_target) + ", hosts lost " + std::to_string(cb.hosts_lost) + ")");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // a benchmark's poll, not a test's
    }
    rates.push_back(static_cast<double>(n_msgs) / seconds_since(t0));
  }
  const double raw_rate = median(raws);
  rows.push_back({"raw nats.c publish, 16 B", "native", raw_rate / 1e6, "M msg/s", "", 0, "", ""});
  rows.push_back({"cross-host fire-and-forget, 16 B", engine, median(rates) / 1e6, "M msg/s", "raw nats.c publish",
                  median(rates) / raw_rate, mark(">= 0.8x", median(rates) >= 0.8 * raw_rate), ""});

  // Local messaging with [cluster] set (both components on one host), against none.
  auto local_rate = [&](bool cluster, int r) {
    RuntimeOptions o = cluster ? cluster_options(engine, s, server.url(), "solo", "local" + std::to_string(r))
                               : options(engine, s);
    auto rt = start(std::move(o), {spec("s", wasm, "bench.wasm"), spec("k", wasm, "bench.wasm")});
    const std::size_t n = messages_for(s, 16);
    const auto t0 = Clock::now();
    post(*rt, "s", "blast " + std::to_string(n) + " 16 k");
    wait_idle(*rt);
    return static_cast<double>(n) / seconds_since(t0);
  };
  std::vector<double> with, without;
  for (int r = 0; r < s.reps; ++r) {
    without.push_back(local_rate(false, r));
    with.push_back(local_rate(true, r));
  }
  rows.push_back({"local fire-and-forget with [cluster] set, 16 B", engine, median(with) / 1e6, "M msg/s",
                  "the same without [cluster]", median(with) / median(without),
                  mark(">= 0.95x", median(with) >= 0.95 * median(without)), ""});
}

}  // namespace wactor::bench
