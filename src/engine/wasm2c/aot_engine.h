// The AOT engine: wasm2c translates a module to C, the system C compiler builds a shared
// object, cached on disk by content hash. Reachable through make_engine("aot"); this header
// only adds what tests and `wactor compile` need to see of the cache.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "wactor/engine.h"

namespace wactor::engine {

// kFailedPrecondition naming the missing tool when no C compiler or wasm2c is found.
[[nodiscard]] Result<std::unique_ptr<Engine>> make_aot_engine();
[[nodiscard]] bool aot_available();

namespace aot {

// Where a module loaded by the aot engine came from.
struct ObjectReport {
  std::string path;       // the cached shared object
  bool from_cache = false;  // no compiler ran for this load
};
// nullopt if `module` was not loaded by the aot engine (or needed no object).
[[nodiscard]] std::optional<ObjectReport> object_report(const Module& module);

// Process-wide counts of objects compiled and found in the cache. @threadsafe
struct CacheCounters {
  std::uint64_t compiled = 0;
  std::uint64_t hits = 0;
};
[[nodiscard]] CacheCounters cache_counters();

}  // namespace aot
}  // namespace wactor::engine
