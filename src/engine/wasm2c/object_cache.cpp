#include "engine/wasm2c/object_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <regex>
#include <vector>

#include "engine/wasm2c/glue.h"
#include "engine/wasm2c/rt_sources.h"
#include "engine/wasm2c/cache_crypto.h"
#include "engine/wasm2c/subprocess.h"

namespace wactor::engine::aot {
namespace {

namespace fs = std::filesystem;

// Flags for the generated code. -frounding-math (both compilers) and -fsignaling-nans (gcc)
// are what wasm2c's docs ask for exact float semantics. -O3, not -O2: the fuel counter lives
// in the instance, so each metered call is a load-decrement-store chain through memory;
// -O3's inlining keeps it in a register across inlined calls (fib(30) metered, gcc 12:
// ~2.1x native at -O2, ~1.0-1.5x at -O3; compile time and code size about the same).
const std::vector<std::string> kCFlags = {"-O3", "-shared", "-fPIC", "-fvisibility=hidden", "-DNDEBUG",
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

// `path` as a cache directory: created 0700 if missing; a real directory (no symlink) owned
// by this user and not writable by group or others, else kFailedPrecondition.
Status secure_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return make_error(ErrorCode::kIo, path + ": cannot create the cache directory: " + std::strerror(errno));
    }
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return make_error(ErrorCode::kIo, path + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0) {
    return make_error(ErrorCode::kFailedPrecondition,
                      path + ": refusing the aot cache directory: it must be a directory owned by this user (uid " +
                          std::to_string(::geteuid()) + ") and not writable by group or others");
  }
  return {};
}

// The cache file's object if its MAC verifies; nullopt otherwise (missing, foreign, damaged).
std::optional<std::vector<std::uint8_t>> read_verified(const std::string& path, const MacKey& key) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::vector<std::uint8_t> bytes;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > static_cast<off_t>(kMacBytes) &&
      st.st_size < (off_t{1} << 31)) {
    bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < bytes.size()) {
      const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got != bytes.size()) bytes.clear();
  }
  ::close(fd);
  if (bytes.size() <= kMacBytes) return std::nullopt;
  const std::size_t n = bytes.size() - kMacBytes;
  const Mac mac = hmac_sha256(key, std::span<const std::uint8_t>(bytes.data(), n));
  if (!mac_equal(mac, std::span<const std::uint8_t>(bytes.data() + n, kMacBytes))) return std::nullopt;
  bytes.resize(n);
  return bytes;
}

std::vector<std::uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
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

// `program --version`, asked once per process for each program file (its path, size and
// modification time): every aot engine made (tests make hundreds) shares the answer.
Result<std::string> version_of(const std::string& program, std::chrono::milliseconds timeout) {
  static std::mutex mu;
  static std::map<std::string, std::string> known;
  const std::string key = program + "|" + file_identity(program);
  {
    std::lock_guard lock(mu);
    if (auto it = known.find(key); it != known.end()) return it->second;
  }
  auto out = run_capture({program, "--version"}, timeout);
  if (!out.ok()) return out;
  std::lock_guard lock(mu);
  known.emplace(key, *out);
  return out;
}

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
  auto version = version_of(t.wasm2c, kProbe);
  if (!version.ok()) {
    return make_error(ErrorCode::kFailedPrecondition, "the aot engine is unavailable: " + version.error().message);
  }
  const std::string v = first_diagnostic(*version, 100);
  if (v != kWasm2cVersion) {
    return make_error(ErrorCode::kFailedPrecondition, "the aot engine is unavailable: " + t.wasm2c + " is version '" + v +
                                                          "', it needs wasm2c " + std::string(kWasm2cVersion));
  }
  auto cc_version = version_of(t.cc, kProbe);
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

Result<std::string> fuel_to_register(std::string_view generated, std::string_view fuel_getter) {
  // wasm2c 1.0.32 writes an exported global's getter as
  //   u64* <getter>(Z_m_instance_t* instance) {\n  return &instance-><field>;\n}
  const std::string head = " " + std::string(fuel_getter) + "(Z_m_instance_t* instance) {\n  return &instance->";
  const std::size_t at = generated.find(head);
  if (fuel_getter.empty() || at == std::string_view::npos) {
    return make_error(ErrorCode::kInternal, "aot: the fuel global's getter is not in wasm2c's output");
  }
  const auto ident = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
  };
  std::size_t end = at + head.size();
  while (end < generated.size() && ident(generated[end])) ++end;
  const std::string access = "instance->" + std::string(generated.substr(at + head.size(), end - at - head.size()));
  if (end == at + head.size() || end >= generated.size() || generated[end] != ';') {
    return make_error(ErrorCode::kInternal, "aot: cannot read the fuel global's field from wasm2c's output");
  }
  std::string out;
  out.reserve(generated.size());
  std::size_t from = 0;
  for (std::size_t pos = generated.find(access); pos != std::string_view::npos; pos = generated.find(access, pos + 1)) {
    const std::size_t after = pos + access.size();
    if (after < generated.size() && ident(generated[after])) continue;  // a longer name
    if (pos > 0 && (ident(generated[pos - 1]) || generated[pos - 1] == '>')) continue;  // not `instance` itself
    if (pos > 0 && generated[pos - 1] == '&') continue;  // the getter's address: stays in memory
    out.append(generated.substr(from, pos - from));
    out += "wactor_fuel";
    from = after;
  }
  out.append(generated.substr(from));
  return out;
}

Result<CachedObject> obtain_object(const Toolchain& tools, std::span<const std::uint8_t> wasm, std::string_view glue,
                                   std::string_view origin, bool metered, const CompileBudget& budget,
                                   std::string_view fuel_getter) {
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
  WACTOR_TRY(secure_dir(*root));
  const std::string dir = *root + "/aot";
  WACTOR_TRY(secure_dir(dir));
  auto mac_key = load_or_create_key(*root + "/aot.key");
  if (!mac_key.ok()) return std::move(mac_key).take_error();
  const std::string object = dir + "/" + key.hex_digest() + ".so";

  if (auto cached = read_verified(object, *mac_key)) return CachedObject{object, true, std::move(*cached)};
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
  if (!fuel_getter.empty()) {
    std::vector<std::uint8_t> generated = read_all(base + ".c");
    auto rewritten = fuel_to_register(
        std::string_view(reinterpret_cast<const char*>(generated.data()), generated.size()), fuel_getter);
    if (!rewritten.ok()) return make_error(rewritten.error().code, where + ": " + rewritten.error().message);
    WACTOR_TRY(write_text(base + ".c", *rewritten));
  }
  std::vector<std::string> cc{tools.cc};
  cc.insert(cc.end(), flags.begin(), flags.end());
  const std::string built = tmp.path() + "/module.so";
  cc.insert(cc.end(), {"-I" + tmp.path(), "-o", built, tmp.path() + "/glue.c"});
  if (auto built_ok = run_limited(cc, tmp.path() + "/cc.log", where + ": C compiler", limits); !built_ok.ok()) {
    return frame_too_large(built_ok.error(), budget.max_frame_bytes, where);
  }
  std::vector<std::uint8_t> bytes = read_all(built);
  if (bytes.empty()) return make_error(ErrorCode::kIo, built + ": the C compiler wrote no object");
  const Mac mac = hmac_sha256(*mac_key, bytes);
  std::vector<std::uint8_t> file = bytes;
  file.insert(file.end(), mac.begin(), mac.end());
  const std::string sealed = tmp.path() + "/sealed";
  WACTOR_TRY(write_file(sealed, file));
  ::chmod(sealed.c_str(), 0600);
  // rename() within one directory tree is atomic: a concurrent reader sees the old file,
  // no file, or the whole new one; two writers of the same key write the same content.
  if (::rename(sealed.c_str(), object.c_str()) != 0) {
    return make_error(ErrorCode::kIo, object + ": cannot store the compiled module: " + std::strerror(errno));
  }
  return CachedObject{object, false, std::move(bytes)};
}

void evict(const std::string& path) { ::unlink(path.c_str()); }

}  // namespace wactor::engine::aot
