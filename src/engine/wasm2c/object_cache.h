// Compiling a module to a native shared object, and the on-disk cache of those objects.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

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
  std::string path;  // the shared object
  bool hit = false;  // found in the cache (no compiler ran)
};

// Limits on compiling one module (from LoadOptions).
struct CompileBudget {
  std::chrono::milliseconds timeout{120'000};
  std::uint64_t memory_bytes = 2ull << 30;
  std::uint64_t max_frame_bytes = 64u << 10;  // part of the cache key (a compiler flag)
};

// The object for this module and glue: from the cache, or compiled (wasm2c, then cc) and
// stored atomically (temp file + rename, safe with concurrent processes). `metered`: the
// module carries wactor's metering (see object_cache.cpp on what that changes).
[[nodiscard]] Result<CachedObject> obtain_object(const Toolchain& tools, std::span<const std::uint8_t> wasm,
                                                 std::string_view glue, std::string_view origin, bool metered,
                                                 const CompileBudget& budget);

// Removes a cached object that failed to load, so the next obtain_object recompiles it.
void evict(const std::string& path);

}  // namespace wactor::engine::aot
