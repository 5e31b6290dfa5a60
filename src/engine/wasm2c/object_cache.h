// Compiling a module to a native shared object, and the on-disk cache of those objects.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "wactor/result.h"

namespace wactor::engine::aot {

// The external tools: a C compiler and wasm2c, found on PATH (or $WACTOR_CC / $WACTOR_WASM2C).
struct Toolchain {
  std::string cc;
  std::string wasm2c;
  std::string identity;  // resolved paths, sizes and mtimes: part of the cache key
};
// kFailedPrecondition naming what is missing.
[[nodiscard]] Result<Toolchain> find_toolchain();

// $WACTOR_CACHE_DIR, else $XDG_CACHE_HOME/wactor, else $HOME/.cache/wactor.
[[nodiscard]] Result<std::string> cache_dir();

struct CachedObject {
  std::string path;  // the shared object
  bool hit = false;  // found in the cache (no compiler ran)
};

// The object for this module and glue: from the cache, or compiled (wasm2c, then cc) and
// stored atomically (temp file + rename, safe with concurrent processes). `metered`: the
// module carries wactor's metering (see object_cache.cpp on what that changes).
[[nodiscard]] Result<CachedObject> obtain_object(const Toolchain& tools, std::span<const std::uint8_t> wasm,
                                                 std::string_view glue, std::string_view origin, bool metered);

// Removes a cached object that failed to load, so the next obtain_object recompiles it.
void evict(const std::string& path);

}  // namespace wactor::engine::aot
