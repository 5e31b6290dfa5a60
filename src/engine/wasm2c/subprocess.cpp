#include "engine/wasm2c/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

extern char** environ;

namespace wactor::engine::aot {
namespace {

std::string read_text(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  std::string s;
  s.resize(limit);
  in.read(s.data(), static_cast<std::streamsize>(limit));
  s.resize(static_cast<std::size_t>(in.gcount()));
  return s;
}

struct Outcome {
  bool timed_out = false;
  int status = 0;
};

// fork + exec in a new process group; everything the child does before exec is
// async-signal-safe (the parent may have other threads).
Result<Outcome> spawn_and_wait(const std::vector<std::string>& argv, const std::string& log,
                               const ProcessLimits& limits) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto cpu_seconds = static_cast<rlim_t>((limits.timeout.count() + 999) / 1000 + 1);
  const pid_t pid = ::fork();
  if (pid < 0) return make_error(ErrorCode::kInternal, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    const struct rlimit cpu{cpu_seconds, cpu_seconds + 1};
    ::setrlimit(RLIMIT_CPU, &cpu);
    if (limits.memory_bytes) {
      const struct rlimit as{limits.memory_bytes, limits.memory_bytes};
      ::setrlimit(RLIMIT_AS, &as);
    }
    const struct rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (in < 0 || out < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) ::_exit(126);
    ::execve(args[0], args.data(), environ);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from here: no window where a kill(-pid) misses
  Outcome outcome;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // -1: poll every 10 ms
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      outcome.status = status;
      break;
    }
    if (r < 0 && errno != EINTR) {
      if (pidfd >= 0) ::close(pidfd);
      return make_error(ErrorCode::kInternal, std::string("waitpid: ") + std::strerror(errno));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      outcome.timed_out = true;
      // The whole group: the compiler's own children (cc1, as, ld) must not outlive it.
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    if (pidfd >= 0) {
      struct pollfd p{pidfd, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<long long>(left.count(), 10)));
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  return outcome;
}

}  // namespace

std::string first_diagnostic(std::string_view log, std::size_t limit) {
  std::string_view first, error;
  std::size_t pos = 0;
  while (pos < log.size()) {
    const std::size_t end = std::min(log.find('\n', pos), log.size());
    const std::string_view line = log.substr(pos, end - pos);
    if (first.empty() && line.find_first_not_of(" \t\r") != std::string_view::npos) first = line;
    if (error.empty() && line.find("error") != std::string_view::npos) error = line;
    pos = end + 1;
  }
  std::string out(error.empty() ? first : error);
  if (out.size() > limit) out = out.substr(0, limit) + "...";
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') c = '?';
  }
  return out.empty() ? std::string("(no output)") : out;
}

Status run_limited(const std::vector<std::string>& argv, const std::string& log, std::string_view what,
                   const ProcessLimits& limits) {
  auto outcome = spawn_and_wait(argv, log, limits);
  if (!outcome.ok()) return make_error(ErrorCode::kInternal, std::string(what) + ": " + outcome.error().message);
  const int status = outcome->status;
  if (outcome->timed_out) {
    return make_error(ErrorCode::kResourceExhausted, std::string(what) + " stopped: it ran longer than the compile "
                                                         "time limit of " + std::to_string(limits.timeout.count()) +
                                                         " ms (compile_timeout_ms)");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  const std::string diag = first_diagnostic(read_text(log, 64 << 10));
  if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL)) {
    return make_error(ErrorCode::kResourceExhausted, std::string(what) + " stopped by the compile CPU time limit of " +
                                                         std::to_string(limits.timeout.count()) + " ms: " + diag);
  }
  bool memory = false;
  for (const char* sign : {"out of memory", "memory exhausted", "bad_alloc", "allocate memory", "failed to map",
                           "Cannot allocate", "cannot allocate"}) {
    memory = memory || diag.find(sign) != std::string::npos;
  }
  if (memory && limits.memory_bytes) {
    return make_error(ErrorCode::kResourceExhausted, std::string(what) + " ran out of its compile memory limit of " +
                                                         std::to_string(limits.memory_bytes) +
                                                         " bytes (compile_memory_bytes): " + diag);
  }
  std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                      : "signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) how = "cannot run " + argv[0];
  return make_error(ErrorCode::kInternal, std::string(what) + " failed (" + how + "): " + diag);
}

Result<std::string> run_capture(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  char tmpl[] = "/tmp/wactor-probe-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  if (fd < 0) return make_error(ErrorCode::kIo, std::string("mkstemp: ") + std::strerror(errno));
  ::close(fd);
  const std::string log = tmpl;
  auto outcome = spawn_and_wait(argv, log, ProcessLimits{timeout, 0});
  std::string text = read_text(log, 64 << 10);
  ::unlink(log.c_str());
  if (!outcome.ok()) return std::move(outcome).take_error();
  if (outcome->timed_out || !WIFEXITED(outcome->status) || WEXITSTATUS(outcome->status) != 0) {
    return make_error(ErrorCode::kFailedPrecondition, argv[0] + " " + (argv.size() > 1 ? argv[1] : "") +
                                                          " failed: " + first_diagnostic(text));
  }
  return text;
}

}  // namespace wactor::engine::aot
