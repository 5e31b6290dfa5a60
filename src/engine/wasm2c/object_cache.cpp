#include "engine/wasm2c/object_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <vector>

#include "engine/wasm2c/glue.h"
#include "engine/wasm2c/rt_sources.h"
#include "engine/wasm2c/sha256.h"
#include "engine/wasm2c/subprocess.h"

namespace wactor::engine::aot {
namespace {

namespace fs = std::filesystem;

// Flags for the generated code. -frounding-math (both compilers) and -fsignaling-nans (gcc)
// are what wasm2c's docs ask for exact float semantics.
const std::vector<std::string> kCFlags = {"-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-DNDEBUG",
                                          "-frounding-math"};
// Warnings off except the frame size, which is an error: the stack check at function entry
// (see README.md) is only sound for frames no larger than the budget's max_frame_bytes.
std::vector<std::string> frame_flags(bool clang, std::uint64_t max_frame) {
  const std::string n = std::to_string(max_frame);
  if (clang) return {"-Wno-everything", "-Wframe-larger-than=" + n, "-Werror=frame-larger-than"};
  return {"-fsignaling-nans", "-Werror=frame-larger-than=" + n};  // -w would silence it too
}
// A C compiler may turn infinite tail recursion into a jmp loop that no stack check sees.
// A metered module (every module wactor runs) is stopped in such a loop by its fuel and
// deadline checks at each function entry, so it keeps the optimization (fib(30): 1.7x
// faster); an unmetered one keeps real recursion, which the stack check catches.
constexpr std::string_view kUnmeteredFlag = "-fno-optimize-sibling-calls";
constexpr std::string_view kCacheFormat = "wactor-aot-2";

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

// A compile failure because a function's frame is over the limit becomes a clear refusal.
Error frame_too_large(const Error& failed, std::uint64_t max_frame, const std::string& where) {
  std::smatch m;
  static const std::regex kGcc("the frame size of ([0-9]+) bytes is larger than");
  static const std::regex kClang("stack frame size \\(([0-9]+)\\) exceeds limit");
  if (std::regex_search(failed.message, m, kGcc) || std::regex_search(failed.message, m, kClang)) {
    return Error{ErrorCode::kResourceExhausted, where + ": a function needs a native stack frame of " + m[1].str() +
                                                   " bytes, over the limit of " + std::to_string(max_frame) +
                                                   " bytes (max_frame_bytes): too many live values"};
  }
  return failed;
}

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
  constexpr std::chrono::milliseconds kProbe{20'000};
  auto version = run_capture({t.wasm2c, "--version"}, kProbe);
  if (!version.ok()) {
    return make_error(ErrorCode::kFailedPrecondition, "the aot engine is unavailable: " + version.error().message);
  }
  const std::string v = first_diagnostic(*version, 100);
  if (v != kWasm2cVersion) {
    return make_error(ErrorCode::kFailedPrecondition, "the aot engine is unavailable: " + t.wasm2c + " is version '" + v +
                                                          "', it needs wasm2c " + std::string(kWasm2cVersion));
  }
  auto cc_version = run_capture({t.cc, "--version"}, kProbe);
  if (!cc_version.ok()) {
    return make_error(ErrorCode::kFailedPrecondition, "the aot engine is unavailable: " + cc_version.error().message);
  }
  const std::string cv = first_diagnostic(*cc_version, 200);
  t.clang = cc_version->find("clang") != std::string::npos;
  const bool gcc = cc_version->find("Free Software Foundation") != std::string::npos;
  if (!t.clang && !gcc) {
    return make_error(ErrorCode::kFailedPrecondition, "the aot engine is unavailable: " + t.cc +
                                                          " is neither clang nor gcc ('" + cv + "')");
  }
  t.identity = file_identity(t.cc) + "|" + cv + "|" + file_identity(t.wasm2c) + "|" + v;
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
                                   std::string_view origin, bool metered, const CompileBudget& budget) {
  std::vector<std::string> flags = kCFlags;
  for (auto& f : frame_flags(tools.clang, budget.max_frame_bytes)) flags.push_back(std::move(f));
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
  const ProcessLimits limits{budget.timeout, budget.memory_bytes};
  WACTOR_TRY(run_limited({tools.wasm2c, tmp.path() + "/module.wasm", "-n", std::string(kWasm2cModuleName), "-o", base + ".c"},
                         tmp.path() + "/wasm2c.log", where + ": wasm2c", limits));
  std::vector<std::string> cc{tools.cc};
  cc.insert(cc.end(), flags.begin(), flags.end());
  const std::string built = tmp.path() + "/module.so";
  cc.insert(cc.end(), {"-I" + tmp.path(), "-o", built, tmp.path() + "/glue.c"});
  if (auto built_ok = run_limited(cc, tmp.path() + "/cc.log", where + ": C compiler", limits); !built_ok.ok()) {
    return frame_too_large(built_ok.error(), budget.max_frame_bytes, where);
  }
  // rename() within one directory tree is atomic: a concurrent reader sees the old file,
  // no file, or the whole new one; two writers of the same key write the same content.
  if (::rename(built.c_str(), object.c_str()) != 0) {
    return make_error(ErrorCode::kIo, object + ": cannot store the compiled module: " + std::strerror(errno));
  }
  return CachedObject{object, false};
}

void evict(const std::string& path) { ::unlink(path.c_str()); }

}  // namespace wactor::engine::aot
