// Helpers shared by the tests: guest bytes, a log collector that tests can wait on.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "wactor/runtime.h"

namespace wactor::test {

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
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& l : v) {
        if (std::regex_search(l, r)) {
          found = l;
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

// The number after `key=` in `line` (or -999 if absent).
inline long long field(const std::string& line, const std::string& key) {
  std::smatch m;
  if (std::regex_search(line, m, std::regex(key + "=(-?[0-9]+)"))) return std::stoll(m[1]);
  return -999;
}

}  // namespace wactor::test
