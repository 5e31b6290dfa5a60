#include "engine/wasm2c/object_cache.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "engine/wasm2c/glue.h"
#include "engine/wasm2c/rt_sources.h"
#include "engine/wasm2c/sha256.h"

extern char** environ;

namespace wactor::engine::aot {
namespace {

namespace fs = std::filesystem;

// Flags for the generated code.
const std::vector<std::string> kCFlags = {"-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-DNDEBUG", "-w"};
// A C compiler may turn infinite tail recursion into a jmp loop that no stack check sees.
// A metered module (every module wactor runs) is stopped in such a loop by its fuel and
// deadline checks at each function entry, so it keeps the optimization (fib(30): 1.7x
// faster); an unmetered one keeps real recursion, which the stack check catches.
constexpr std::string_view kUnmeteredFlag = "-fno-optimize-sibling-calls";
constexpr std::string_view kCacheFormat = "wactor-aot-1";

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

// An executable named `name` on PATH (or `name` itself if it contains a slash).
std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : std::string();
  const char* path = env("PATH");
  std::string_view rest = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

std::string file_identity(const std::string& path) {
  std::error_code ec;
  std::string real = fs::canonical(path, ec).string();
  if (ec) real = path;
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0) return real;
  return real + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

Status write_file(const std::string& path, std::span<const std::uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return make_error(ErrorCode::kIo, path + ": cannot write: " + std::strerror(errno));
  return {};
}

Status write_text(const std::string& path, std::string_view text) {
  return write_file(path, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::string read_text(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.size() > limit) s = s.substr(0, limit) + "...";
  return s;
}

// Runs argv with stdout and stderr into `log`; an error quotes the log.
Status run(const std::vector<std::string>& argv, const std::string& log, std::string_view what) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return make_error(ErrorCode::kInternal, std::string(what) + ": cannot run " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return make_error(ErrorCode::kInternal, std::string(what) + ": waitpid: " + std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return make_error(ErrorCode::kInternal, std::string(what) + " failed (" + argv[0] + "): " + read_text(log, 2000));
}

// A scratch directory removed when it goes out of scope.
class TempDir {
 public:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

Result<Toolchain> find_toolchain() {
  Toolchain t;
  if (const char* cc = env("WACTOR_CC")) {
    t.cc = find_program(cc);
  } else {
    for (const char* name : {"cc", "clang", "gcc"}) {
      t.cc = find_program(name);
      if (!t.cc.empty()) break;
    }
  }
  t.wasm2c = find_program(env("WACTOR_WASM2C") ? env("WACTOR_WASM2C") : "wasm2c");
  std::string missing;
  if (t.cc.empty()) missing = "a C compiler (cc, clang or gcc on PATH, or $WACTOR_CC)";
  if (t.wasm2c.empty()) {
    missing += std::string(missing.empty() ? "" : " and ") + "wasm2c (package wabt, or $WACTOR_WASM2C)";
  }
  if (!missing.empty()) {
    return make_error(ErrorCode::kFailedPrecondition, "the aot engine is unavailable: no " + missing + " found");
  }
  t.identity = file_identity(t.cc) + "|" + file_identity(t.wasm2c);
  return t;
}

Result<std::string> cache_dir() {
  if (const char* d = env("WACTOR_CACHE_DIR")) return std::string(d);
  if (const char* d = env("XDG_CACHE_HOME")) return std::string(d) + "/wactor";
  if (const char* d = env("HOME")) return std::string(d) + "/.cache/wactor";
  return make_error(ErrorCode::kFailedPrecondition,
                    "no cache directory for compiled modules: set WACTOR_CACHE_DIR, XDG_CACHE_HOME or HOME");
}

Result<CachedObject> obtain_object(const Toolchain& tools, std::span<const std::uint8_t> wasm, std::string_view glue,
                                   std::string_view origin, bool metered) {
  std::vector<std::string> flags = kCFlags;
  if (!metered) flags.emplace_back(kUnmeteredFlag);
  Sha256 key;
  auto field = [&key](std::string_view s) {
    key.update(std::to_string(s.size()) + ":");
    key.update(s);
  };
  field(kCacheFormat);
  key.update(std::to_string(wasm.size()) + ":");
  key.update(wasm);
  field(tools.identity);
  for (const auto& f : flags) field(f);
  field(kRtHeader);
  field(kRtSource);
  field(glue);
  auto root = cache_dir();
  if (!root.ok()) return std::move(root).take_error();
  const std::string dir = *root + "/aot";
  const std::string object = dir + "/" + key.hex_digest() + ".so";

  struct stat st {};
  if (::stat(object.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return CachedObject{object, true};

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::kIo, dir + ": cannot create the cache directory: " + ec.message());
  std::string tmpl = dir + "/tmp-XXXXXX";
  if (!::mkdtemp(tmpl.data())) {
    return make_error(ErrorCode::kIo, dir + ": cannot create a scratch directory: " + std::strerror(errno));
  }
  const TempDir tmp(tmpl);
  const std::string base = tmp.path() + "/" + std::string(kGeneratedBase);
  const std::string where = std::string(origin) + ": aot";
  WACTOR_TRY(write_file(tmp.path() + "/module.wasm", wasm));
  WACTOR_TRY(write_text(tmp.path() + "/wasm-rt.h", kRtHeader));
  WACTOR_TRY(write_text(tmp.path() + "/wactor_rt.c", kRtSource));
  WACTOR_TRY(write_text(tmp.path() + "/glue.c", glue));
  WACTOR_TRY(run({tools.wasm2c, tmp.path() + "/module.wasm", "-n", std::string(kWasm2cModuleName), "-o", base + ".c"},
                 tmp.path() + "/wasm2c.log", where + ": wasm2c"));
  std::vector<std::string> cc{tools.cc};
  cc.insert(cc.end(), flags.begin(), flags.end());
  const std::string built = tmp.path() + "/module.so";
  cc.insert(cc.end(), {"-I" + tmp.path(), "-o", built, tmp.path() + "/glue.c"});
  WACTOR_TRY(run(cc, tmp.path() + "/cc.log", where + ": C compiler"));
  // rename() within one directory tree is atomic: a concurrent reader sees the old file,
  // no file, or the whole new one; two writers of the same key write the same content.
  if (::rename(built.c_str(), object.c_str()) != 0) {
    return make_error(ErrorCode::kIo, object + ": cannot store the compiled module: " + std::strerror(errno));
  }
  return CachedObject{object, false};
}

void evict(const std::string& path) { ::unlink(path.c_str()); }

}  // namespace wactor::engine::aot
