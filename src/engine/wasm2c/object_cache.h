// Compiling a module to a native shared object, and the on-disk cache of those objects.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wactor/result.h"

namespace wactor::engine::aot {

// The external tools: a C compiler and wasm2c, found on PATH (or $WACTOR_CC / $WACTOR_WASM2C).
struct Toolchain {
  std::string cc;
  std::string wasm2c;
  bool clang = false;    // else gcc: the flags differ
  std::string identity;  // resolved paths, sizes and mtimes, versions: part of the cache key
};
// The wasm2c version the runtime (rt/) and the glue are written for.
inline constexpr std::string_view kWasm2cVersion = "1.0.32";
// kFailedPrecondition naming what is missing, or a wasm2c of another version, or a C
// compiler that is neither clang nor gcc.
[[nodiscard]] Result<Toolchain> find_toolchain();

// $WACTOR_CACHE_DIR, else $XDG_CACHE_HOME/wactor, else $HOME/.cache/wactor.
[[nodiscard]] Result<std::string> cache_dir();

struct CachedObject {
  std::string path;                 // the cache file
  bool hit = false;                 // found in the cache (no compiler ran)
  std::vector<std::uint8_t> bytes;  // the shared object, authenticated: load these, not `path`
};

// Limits on compiling one module (from LoadOptions).
struct CompileBudget {
  std::chrono::milliseconds timeout{120'000};
  std::uint64_t memory_bytes = 2ull << 30;
  std::uint64_t max_frame_bytes = 64u << 10;  // part of the cache key (a compiler flag)
};

// The object for this module and glue: from the cache, or compiled (wasm2c, then cc) and
// stored atomically (temp file + rename, safe with concurrent processes). The cache
// directory must be owned by this user and not writable by group or others (created 0700);
// each file is the object followed by its HMAC-SHA256 under the key in <cache>/aot.key
// (outside <cache>/aot); a file that fails verification is a miss, compiled and replaced. `metered`: the
// module carries wactor's metering (see object_cache.cpp on what that changes).
// `fuel_getter`: non-empty when the glue keeps the fuel counter in a register (glue.h):
// the symbol of the fuel global's getter, and wasm2c's output goes through fuel_to_register.
[[nodiscard]] Result<CachedObject> obtain_object(const Toolchain& tools, std::span<const std::uint8_t> wasm,
                                                 std::string_view glue, std::string_view origin, bool metered,
                                                 const CompileBudget& budget, std::string_view fuel_getter = {});

// wasm2c's C for the module with every access to the fuel global (`instance-><field>`, the
// field read from the getter `fuel_getter` that wasm2c generates for its export) turned into
// the glue's register variable `wactor_fuel`; the getter alone keeps the field (the host
// reads and sets the counter there between calls). kInternal if the getter is not found.
[[nodiscard]] Result<std::string> fuel_to_register(std::string_view generated, std::string_view fuel_getter);

// Removes a cached object that failed to load, so the next obtain_object recompiles it.
void evict(const std::string& path);

}  // namespace wactor::engine::aot
