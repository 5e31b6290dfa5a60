// A nats-server of the test's own on a free loopback port: started, waited on (its "Server
// is ready" line), restarted on the same port, stopped. Never a sleep: readiness is read
// from its log through a pipe.
#pragma once

#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "process_support.h"

namespace wactor::test {

class NatsServer {
 public:
  NatsServer() = default;
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;
  ~NatsServer() { stop(); }

  // Starts it on `port` (0: a free one); false if it did not become ready within 10 s.
  bool start(int port = 0) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    const std::string p = std::to_string(port == 0 ? -1 : port);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 2);
      dup2(fds[1], 1);
      std::vector<const char*> argv = {"nats-server", "-a", "127.0.0.1", "-p", p.c_str()};
      if (!store_dir_.empty()) {
        argv.insert(argv.end(), {"-js", "-sd", store_dir_.c_str()});
      }
      argv.push_back(nullptr);
      execvp("nats-server", const_cast<char* const*>(argv.data()));
      _exit(127);
    }
    close(fds[1]);
    if (pid_ < 0) {
      close(fds[0]);
      return false;
    }
    {
      std::lock_guard lock(mu_);
      ready_ = false;
      ended_ = false;
    }
    reader_ = std::jthread([this, fd = fds[0]] { read_log(fd); });
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return ready_ || ended_; });
    return ready_;
  }
  // JetStream on, its files in `dir` (before start()).
  void enable_jetstream(std::string dir) { store_dir_ = std::move(dir); }
  // SIGTERM and wait for it to exit.
  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int st = 0;
      waitpid(pid_, &st, 0);
      pid_ = -1;
    }
    if (reader_.joinable()) reader_.join();
  }
  bool restart() {
    stop();
    return start(port_);
  }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

 private:
  void read_log(int fd) {
    FILE* f = fdopen(fd, "r");
    char line[1024];
    const std::regex listening("Listening for client connections on 127\\.0\\.0\\.1:([0-9]+)");
    while (f && std::fgets(line, sizeof line, f)) {
      std::cmatch m;
      std::lock_guard lock(mu_);
      if (std::regex_search(line, m, listening)) port_ = std::stoi(m[1]);
      if (std::strstr(line, "Server is ready")) {
        ready_ = true;
        cv_.notify_all();
      }
    }
    if (f) std::fclose(f);
    std::lock_guard lock(mu_);
    ended_ = true;
    cv_.notify_all();
  }

  pid_t pid_ = -1;
  int port_ = 0;
  std::string store_dir_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool ready_ = false, ended_ = false;
  std::jthread reader_;
};

}  // namespace wactor::test
