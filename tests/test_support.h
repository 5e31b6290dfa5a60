// Helpers shared by the tests: guest bytes, a log collector that tests can wait on.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <memory>
#include <regex>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "wactor/engine.h"
#include "wactor/runtime.h"

namespace wactor::test {

// The number after `key=` in `line` (or -999 if absent).
inline long long field(const std::string& line, const std::string& key) {
  std::smatch m;
  if (std::regex_search(line, m, std::regex(key + "=(-?[0-9]+)"))) return std::stoll(m[1]);
  return -999;
}

// Built with ASan/UBSan or TSan (5-20x slower): randomized tests run fewer rounds there. The
// races and memory errors the sanitizers look for show in a few rounds; the release build runs
// them all.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WACTOR_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WACTOR_TEST_SANITIZED 1
#endif
#ifdef WACTOR_TEST_SANITIZED
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

// The seed of a randomized test: WACTOR_SEED if set, else a fresh one; printed either way
// (the test also puts it in a SCOPED_TRACE so that a failure names it).
inline unsigned seed() {
  const char* env = std::getenv("WACTOR_SEED");
  const unsigned s = env ? static_cast<unsigned>(std::stoul(env)) : std::random_device{}();
  std::printf("%s: WACTOR_SEED=%u\n", ::testing::UnitTest::GetInstance()->current_test_info()->name(), s);
  return s;
}

inline std::string guest_path(const std::string& name) { return std::string(WACTOR_GUEST_DIR) + "/" + name; }

inline std::vector<std::uint8_t> guest_bytes(const std::string& name) {
  std::ifstream in(guest_path(name), std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing guest " << guest_path(name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Collects guest log lines as "<component>: <text>" and runtime events as
// "<component>: <kind>: <detail>". @threadsafe
class Collector {
 public:
  LogSink log_sink() {
    return [this](std::string_view c, std::int32_t, std::string_view text) {
      add(logs_, std::string(c) + ": " + std::string(text));
    };
  }
  EventSink event_sink() {
    return [this](const RuntimeEvent& e) {
      add(events_, std::string(e.component) + ": " + std::string(e.kind) + ": " + std::string(e.detail));
    };
  }

  // Waits until some log line matches `re`; returns it (empty if none within the timeout).
  std::string wait_log(const std::string& re, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return wait(logs_, re, timeout);
  }
  std::string wait_event(const std::string& re, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return wait(events_, re, timeout);
  }
  std::vector<std::string> logs_matching(const std::string& re) { return matching(logs_, re); }
  // Waits until more than `n` log lines match `re`; returns them all.
  std::vector<std::string> wait_logs_more_than(const std::string& re, std::size_t n,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return wait_more_than(logs_, re, n, timeout);
  }
  // Waits until more than `n` events match `re`; returns them all.
  std::vector<std::string> wait_events_more_than(const std::string& re, std::size_t n,
                                                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return wait_more_than(events_, re, n, timeout);
  }
  std::vector<std::string> wait_more_than(const std::vector<std::string>& lines, const std::string& re, std::size_t n,
                                          std::chrono::milliseconds timeout) {
    const std::regex r(re);
    std::unique_lock lock(mu_);
    std::vector<std::string> out;
    std::size_t scanned = 0;  // lines only grow: each wake-up looks at the new ones only
    cv_.wait_for(lock, timeout, [&] {
      for (; scanned < lines.size(); ++scanned) {
        if (std::regex_search(lines[scanned], r)) out.push_back(lines[scanned]);
      }
      return out.size() > n;
    });
    return out;
  }
  std::vector<std::string> events_matching(const std::string& re) { return matching(events_, re); }
  std::vector<std::string> logs() {
    std::lock_guard lock(mu_);
    return logs_;
  }

 private:
  void add(std::vector<std::string>& v, std::string line) {
    {
      std::lock_guard lock(mu_);
      v.push_back(std::move(line));
    }
    cv_.notify_all();
  }
  std::string wait(std::vector<std::string>& v, const std::string& re, std::chrono::milliseconds timeout) {
    const std::regex r(re);
    std::unique_lock lock(mu_);
    std::string found;
    std::size_t scanned = 0;  // lines only grow: each wake-up looks at the new ones only
    cv_.wait_for(lock, timeout, [&] {
      for (; scanned < v.size(); ++scanned) {
        if (std::regex_search(v[scanned], r)) {
          found = v[scanned];
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::vector<std::string> matching(std::vector<std::string>& v, const std::string& re) {
    const std::regex r(re);
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& l : v) {
      if (std::regex_search(l, r)) out.push_back(l);
    }
    return out;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> logs_;
  std::vector<std::string> events_;
};

// A probe "spin" command that keeps a handler busy about as long on every engine (aot runs
// guest loops ~100x faster than the interpreter), for tests that queue work behind it.
// Calls export `name` taking i32s and returning one i32.
inline Result<std::int32_t> call_i32(engine::Instance& inst, const std::string& name, std::vector<std::int32_t> args) {
  engine::Signature sig;
  std::vector<engine::Val> a;
  for (auto v : args) {
    sig.params.push_back(engine::ValType::kI32);
    engine::Val x{};
    x.i32 = v;
    a.push_back(x);
  }
  sig.results = {engine::ValType::kI32};
  auto fn = inst.find_function(name, sig);
  if (!fn.ok()) return std::move(fn).take_error();
  engine::Val r{};
  WACTOR_TRY(inst.call(*fn, a, std::span<engine::Val>(&r, 1)));
  return r.i32;
}

inline std::string spin_command(const std::string& engine, long long interp_iterations) {
  return "spin " + std::to_string(engine == "aot" ? interp_iterations * 100 : interp_iterations);
}

// Every engine's name, for INSTANTIATE_TEST_SUITE_P.
inline std::vector<std::string> engine_params() {
  std::vector<std::string> names;
  for (auto n : engine::engine_names()) names.emplace_back(n);
  return names;
}

// A runtime of probe guests on the engine named by the test parameter, logging into a Collector.
class EngineRuntimeTest : public ::testing::TestWithParam<std::string> {
 protected:
  ComponentSpec probe(const std::string& id, std::string config = {}, std::size_t capacity = 0) {
    return ComponentSpec{id, guest_bytes("probe.wasm"), guest_path("probe.wasm"), std::move(config), capacity, {},
                         Capabilities::all(), {}, {}, {}, {}};
  }

  RuntimeOptions options() {
    RuntimeOptions o;
    o.engine = GetParam();
    o.workers = 2;
    o.log = collector.log_sink();
    o.events = collector.event_sink();
    o.mailbox_capacity = 100000;
    return o;
  }

  // Creates and starts a runtime; fails the test on error.
  Runtime& start(std::vector<ComponentSpec> specs, RuntimeOptions o, std::vector<GroupSpec> groups = {}) {
    auto rt = Runtime::create(std::move(o), std::move(specs), std::move(groups));
    EXPECT_TRUE(rt.ok()) << (rt.ok() ? "" : rt.error().to_string());
    runtime = std::move(rt).value();
    auto st = runtime->start();
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().to_string());
    return *runtime;
  }
  Runtime& start(std::vector<ComponentSpec> specs) { return start(std::move(specs), options()); }
  // With the manual clock: timeouts fire only when the test says so.
  Runtime& start_manual(std::vector<ComponentSpec> specs) {
    auto o = options();
    o.clock = &clock;
    return start(std::move(specs), std::move(o));
  }

  void post(const std::string& to, const std::string& payload) { ASSERT_EQ(runtime->post(to, payload), 0); }
  // Posts a request command to `from` and returns the id it logged.
  long long request_id_after(const std::string& from, const std::string& command, std::size_t nth) {
    post(from, command);
    auto ids = collector.wait_logs_more_than("^" + from + ": request id=", nth);
    if (ids.size() > nth) return field(ids[nth], "id");
    ADD_FAILURE() << "no request id logged by " << from;
    return -999;
  }
  ComponentStats stats(const std::string& id) { return *runtime->stats(id); }

  Collector collector;
  ManualClock clock;  // outlives the runtime
  std::unique_ptr<Runtime> runtime;
};

}  // namespace wactor::test
