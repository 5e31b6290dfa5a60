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

namespace aot {

struct EngineOptions {
  // A metered module's fuel counter lives in a register (r15) while its code runs, when the
  // C compiler is gcc and the host x86-64 (README.md "Fuel and the C compiler"); false (or
  // $WACTOR_AOT_FUEL=memory for make_aot_engine()): always in the instance, as with clang.
  bool fuel_in_register = true;
};

}  // namespace aot

// kFailedPrecondition naming the missing tool when no C compiler or wasm2c is found.
[[nodiscard]] Result<std::unique_ptr<Engine>> make_aot_engine();
[[nodiscard]] Result<std::unique_ptr<Engine>> make_aot_engine(const aot::EngineOptions& options);
[[nodiscard]] bool aot_available();

namespace aot {

// Where a module loaded by the aot engine came from.
struct ObjectReport {
  std::string path;       // the cached shared object
  bool from_cache = false;  // no compiler ran for this load
  bool fuel_in_register = false;  // its fuel counter lives in r15 while it runs
};
// nullopt if `module` was not loaded by the aot engine (or needed no object).
[[nodiscard]] std::optional<ObjectReport> object_report(const Module& module);

// The raw entry of one export of an aot instance, for tests that check what the object
// does to the caller's registers: call(box, trampoline, args, results, stack_limit) is the
// object's wactor_call; `args`/`results` are the caller's. nullopt if `instance` is not the
// aot engine's or `fn` unknown.
struct RawCall {
  int (*call)(void* box, void (*trampoline)(void*, const Val*, Val*), const Val* args, Val* results,
              const void* stack_limit) = nullptr;
  void* box = nullptr;
  void (*trampoline)(void*, const Val*, Val*) = nullptr;
  const Val* args = nullptr;
  Val* results = nullptr;
  const void* stack_limit = nullptr;
  int trap = 0;  // wactor_call's result
};
[[nodiscard]] std::optional<RawCall> raw_call(Instance& instance, ExportIndex fn);

// Process-wide counts of objects compiled and found in the cache. @threadsafe
struct CacheCounters {
  std::uint64_t compiled = 0;
  std::uint64_t hits = 0;
};
[[nodiscard]] CacheCounters cache_counters();

}  // namespace aot
}  // namespace wactor::engine
