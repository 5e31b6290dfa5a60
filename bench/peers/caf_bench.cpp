// wactor-caf-bench: wactor-bench's message scenarios on CAF 0.17 (Debian libcaf-dev), with the
// same counts and scheduler threads, for the peer columns of wactor-bench (docs/BENCHMARKS.md
// "Peers"). Prints the figures and writes them as JSON rows (--json FILE):
//   fire-and-forget 16 B / 1 KiB, 1 pair; 16 B, 2 x workers pairs: messages per second from
//     the blast until the sink(s) handled all (each send copies the payload into a new
//     std::string, as wactor copies it out of the guest);
//   request -> reply round trip p50 / p99: sequential requests, the gap between callbacks,
//     with a 30 s timeout (wactor's default) and with none (caf::infinite);
//   heap bytes per queued message (16 B, queued to an actor busy in a handler) and per
//     pending request (3 s timeout, to an actor that keeps the response promise unanswered).
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

namespace {

using namespace caf;
using Clock = std::chrono::steady_clock;

using blast_atom = atom_constant<atom("blast")>;
using ping_atom = atom_constant<atom("ping")>;
using pong_atom = atom_constant<atom("pong")>;
using go_atom = atom_constant<atom("go")>;
using hold_atom = atom_constant<atom("hold")>;

struct Settings {
  int reps = 5;
  bool quick = false;
  unsigned workers = 2;
  std::string json;
};

struct Row {
  std::string key, scenario;
  double value;
  std::string unit, note;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double median_of(int reps, const std::function<double()>& once) {
  std::vector<double> v;
  for (int i = 0; i < reps; ++i) v.push_back(once());
  return median(std::move(v));
}

std::uint64_t heap_bytes() {
  const struct mallinfo2 mi = ::mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// wactor-bench's counts (bench/scenarios.h messages_for).
std::size_t messages_for(const Settings& s, std::size_t size) {
  const std::size_t n = size <= 16 ? 1'000'000 : size <= 1024 ? 200'000 : 10'000;
  return s.quick ? n / 20 : n;
}

actor_system_config config(const Settings& s) {
  actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<size_t>(s.workers));
  return cfg;
}

// `pairs` senders each send `n` messages of `size` bytes to their own sink: messages per second.
double throughput(const Settings& s, std::size_t pairs, std::size_t n, std::size_t size) {
  auto cfg = config(s);
  actor_system sys{cfg};
  std::promise<void> all_done;
  auto sinks_left = std::make_shared<std::atomic<std::size_t>>(pairs);
  std::vector<actor> senders;
  for (std::size_t p = 0; p < pairs; ++p) {
    auto sink = sys.spawn([n, sinks_left, &all_done](event_based_actor*) -> behavior {
      auto got = std::make_shared<std::size_t>(0);
      return {[=, &all_done](const std::string& m) {
        if (m.size() > (1u << 20)) std::abort();  // touches the message
        if (++*got == n && sinks_left->fetch_sub(1) == 1) all_done.set_value();
      }};
    });
    senders.push_back(sys.spawn([sink](event_based_actor* self) -> behavior {
      return {[=](blast_atom, std::uint64_t count, std::uint64_t sz) {
        const std::string payload(sz, 'x');
        for (std::uint64_t i = 0; i < count; ++i) self->send(sink, std::string(payload.data(), payload.size()));
      }};
    }));
  }
  auto done = all_done.get_future();
  const auto t0 = Clock::now();
  for (auto& snd : senders) anon_send(snd, blast_atom::value, std::uint64_t{n}, std::uint64_t{size});
  done.wait();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto& snd : senders) anon_send_exit(snd, exit_reason::user_shutdown);
  return static_cast<double>(pairs * n) / secs;
}

// n sequential requests; the gaps between callbacks (µs).
std::vector<double> round_trips(const Settings& s, std::size_t n, bool with_timeout) {
  auto cfg = config(s);
  actor_system sys{cfg};
  auto ponger = sys.spawn([](event_based_actor*) -> behavior { return {[](ping_atom) { return pong_atom::value; }}; });
  auto marks = std::make_shared<std::vector<Clock::time_point>>();
  marks->reserve(n);
  std::promise<void> finished;
  auto pinger = sys.spawn([=, &finished](event_based_actor* self) -> behavior {
    auto next = std::make_shared<std::function<void()>>();
    *next = [=, &finished] {
      auto on_reply = [=, &finished](pong_atom) {
        marks->push_back(Clock::now());
        if (marks->size() == n) finished.set_value();
        else (*next)();
      };
      if (with_timeout) self->request(ponger, std::chrono::seconds(30), ping_atom::value).then(on_reply);
      else self->request(ponger, infinite, ping_atom::value).then(on_reply);
    };
    self->attach_functor([next] { *next = nullptr; });  // breaks the cycle
    return {[=](go_atom) { (*next)(); }};
  });
  auto f = finished.get_future();
  anon_send(pinger, go_atom::value);
  f.wait();
  anon_send_exit(pinger, exit_reason::user_shutdown);
  anon_send_exit(ponger, exit_reason::user_shutdown);
  std::vector<double> gaps;
  for (std::size_t i = 1; i < marks->size(); ++i) {
    gaps.push_back(std::chrono::duration<double, std::micro>((*marks)[i] - (*marks)[i - 1]).count());
  }
  return gaps;
}

// Heap bytes per 16 B message queued to an actor that is busy in a handler.
double queued_bytes(const Settings& s, std::size_t n) {
  auto cfg = config(s);
  actor_system sys{cfg};
  std::promise<void> entered, release;
  auto released = release.get_future().share();
  auto sink = sys.spawn([&entered, released](event_based_actor*) -> behavior {
    return {[&entered, released](hold_atom) {
              entered.set_value();
              released.wait();  // blocks one scheduler thread: what arrives now stays queued
            },
            [](const std::string&) {}};
  });
  anon_send(sink, hold_atom::value);
  entered.get_future().wait();
  const std::string payload(16, 'x');
  const auto heap0 = heap_bytes();
  for (std::size_t i = 0; i < n; ++i) anon_send(sink, std::string(payload.data(), payload.size()));
  const auto heap1 = heap_bytes();
  release.set_value();
  anon_send_exit(sink, exit_reason::user_shutdown);
  return heap1 > heap0 ? static_cast<double>(heap1 - heap0) / static_cast<double>(n) : 0;
}

// Heap bytes per pending request (3 s timeout) to an actor that keeps every response
// promise unanswered (in a vector reserved beforehand, so the promises' own bytes are not
// counted: what remains is the requester's side, the message and the timeout).
double pending_bytes(const Settings& s, std::size_t n) {
  auto cfg = config(s);
  actor_system sys{cfg};
  auto promises = std::make_shared<std::vector<response_promise>>();
  promises->reserve(n);
  std::promise<void> all_held;
  auto holder = sys.spawn([=, &all_held](event_based_actor* self) -> behavior {
    return {[=, &all_held](ping_atom) {
      promises->push_back(self->make_response_promise());
      if (promises->size() == n) all_held.set_value();
    }};
  });
  auto requester = sys.spawn([=](event_based_actor* self) -> behavior {
    return {[=](go_atom) {
      for (std::size_t i = 0; i < n; ++i) {
        self->request(holder, std::chrono::seconds(3), ping_atom::value).then([](pong_atom) {}, [](error&) {});
      }
    }};
  });
  auto f = all_held.get_future();
  const auto heap0 = heap_bytes();
  anon_send(requester, go_atom::value);
  f.wait();
  const auto heap1 = heap_bytes();
  anon_send_exit(requester, exit_reason::user_shutdown);
  anon_send_exit(holder, exit_reason::user_shutdown);
  return heap1 > heap0 ? static_cast<double>(heap1 - heap0) / static_cast<double>(n) : 0;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

int run(const Settings& s) {
  std::vector<Row> rows;
  for (std::size_t size : {16u, 1024u}) {
    const std::size_t n = messages_for(s, size);
    const double rate = median_of(s.reps, [&] { return throughput(s, 1, n, size); });
    rows.push_back({size == 16 ? "ff_16_1" : "ff_1k_1", "fire-and-forget, 1 pair, " + std::to_string(size) + " B",
                    rate / 1e6, "M msg/s", "a new std::string per send; copy-on-write messages"});
  }
  {
    const std::size_t pairs = 2 * s.workers;
    const std::size_t n = messages_for(s, 16) / pairs;
    const double rate = median_of(s.reps, [&] { return throughput(s, pairs, n, 16); });
    rows.push_back({"ff_16_pairs", "fire-and-forget, " + std::to_string(pairs) + " pairs, 16 B", rate / 1e6,
                    "M msg/s", ""});
  }
  const std::size_t n_rtt = s.quick ? 5'000 : 50'000;
  for (bool timeout : {true, false}) {
    std::vector<double> p50s, p99s;
    for (int r = 0; r < s.reps; ++r) {
      auto gaps = round_trips(s, n_rtt, timeout);
      p50s.push_back(quantile(gaps, 0.5));
      p99s.push_back(quantile(gaps, 0.99));
    }
    const std::string key = timeout ? "rtt" : "rtt_notimeout";
    const std::string how = timeout ? "request(30 s timeout).then" : "request(infinite).then";
    rows.push_back({key + "_p50", "round trip p50, " + how, median(p50s), "us", ""});
    rows.push_back({key + "_p99", "round trip p99, " + how, median(p99s), "us", ""});
  }
  const std::size_t n_mem = s.quick ? 10'000 : 100'000;
  rows.push_back({"queued_bytes", "heap per queued 16 B message", median_of(s.reps, [&] { return queued_bytes(s, n_mem); }),
                  "B", "mailbox element + std::string"});
  rows.push_back({"pending_bytes", "heap per pending request (3 s timeout)",
                  median_of(s.reps, [&] { return pending_bytes(s, n_mem); }), "B",
                  "the holder's response_promise excluded (" + std::to_string(sizeof(response_promise)) + " B)"});

  for (const auto& r : rows) std::printf("caf     %-50s %10.3f %s\n", r.scenario.c_str(), r.value, r.unit.c_str());
  if (!s.json.empty()) {
    std::ofstream out(s.json, std::ios::trunc);
    out << "{\"peer\": \"caf\", \"version\": \"0.17.6\", \"workers\": " << s.workers << ", \"reps\": " << s.reps
        << ", \"rows\": [\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      out << "  {\"key\": \"" << r.key << "\", \"scenario\": \"" << json_escape(r.scenario) << "\", \"value\": " << r.value
          << ", \"unit\": \"" << r.unit << "\", \"note\": \"" << json_escape(r.note) << "\"}"
          << (i + 1 < rows.size() ? "," : "") << "\n";
    }
    out << "]}\n";
    if (!out.good()) {
      std::fprintf(stderr, "wactor-caf-bench: cannot write %s\n", s.json.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") s.quick = true;
    else if (a == "--reps" && i + 1 < argc) s.reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--workers" && i + 1 < argc) s.workers = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    else if (a == "--json" && i + 1 < argc) s.json = argv[++i];
    else {
      std::fprintf(stderr, "usage: wactor-caf-bench [--quick] [--reps N] [--workers N] [--json FILE]\n");
      return 2;
    }
  }
  if (s.quick) s.reps = std::min(s.reps, 3);
  return run(s);
}
