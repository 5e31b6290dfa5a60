// A child process for tests (`wactor run` and friends): its stdout and stderr gathered by a
// thread; waits on what it prints (never sleeps); SIGKILLed and reaped when it goes.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace wactor::test {

// A child process whose stdout and stderr the test reads through a pipe: it waits on what
// the child prints (a condition variable, never a sleep).
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      (void)wait_exit();
    }
    if (reader_.joinable()) reader_.join();
  }
  bool start(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      dup2(fds[1], 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(fds[1]);
    if (pid_ < 0) {
      close(fds[0]);
      return false;
    }
    reader_ = std::jthread([this, fd = fds[0]] {
      char buf[4096];
      for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        std::lock_guard lock(mu_);
        out_.append(buf, static_cast<std::size_t>(n));
        cv_.notify_all();
      }
      close(fd);
      std::lock_guard lock(mu_);
      ended_ = true;
      cv_.notify_all();
    });
    return true;
  }
  // Waits until the output contains `needle`.
  bool wait_output(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return out_.find(needle) != std::string::npos || ended_; }) &&
           out_.find(needle) != std::string::npos;
  }
  // Waits until the output matches `re`; its first group (or whole match), or "" at the timeout.
  // End `re` with "\n" when it captures a number: the output may arrive half a line at a time.
  std::string wait_match(const std::string& re, std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
    const std::regex pattern(re);
    std::smatch m;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return std::regex_search(out_, m, pattern) || ended_; });
    if (!std::regex_search(out_, m, pattern)) return {};
    return m.size() > 1 ? m[1].str() : m[0].str();
  }
  std::string output() {
    std::lock_guard lock(mu_);
    return out_;
  }
  void signal(int sig) {
    if (pid_ > 0) kill(pid_, sig);
  }
  // The exit status (as waitpid), or -1.
  int wait_exit() {
    if (pid_ <= 0) return -1;
    int st = 0;
    const pid_t r = waitpid(pid_, &st, 0);
    pid_ = -1;
    return r > 0 ? st : -1;
  }

 private:
  pid_t pid_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string out_;
  bool ended_ = false;
  std::jthread reader_;
};

}  // namespace wactor::test
