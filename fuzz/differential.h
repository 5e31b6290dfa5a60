// Differential testing of the engines: one module, metered, run on two engines in lockstep
// (instantiation, then every exported function with zero arguments, in export order, then
// again with edge values as arguments for those that take any); the outcome of each step
// must be the same on both: results (floats bitwise, every NaN equal to every NaN), trap or
// not and the trap's kind, the host calls made (with their arguments) and the exported
// memory, byte for byte. A fixed fuel budget per step makes infinite loops end at the same
// point on both engines.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wactor/engine.h"
#include "wactor/result.h"

namespace wactor::difffuzz {

struct Config {
  std::int64_t fuel_per_step = 200'000;  // metering units for instantiation and for each call
  std::uint64_t max_memory_pages = 64;   // LoadOptions::max_memory_pages on both engines
};

enum class Verdict {
  kAgree,         // every step matched (including: both engines refused the module)
  kInconclusive,  // the engines' own stack limits decided a step (they differ by design):
                  // steps up to that one matched, later ones were not compared
  kDiffer,        // a difference; `difference` says where
};

struct Report {
  Verdict verdict = Verdict::kAgree;
  std::string difference;  // first difference (kDiffer) or why inconclusive
  std::size_t steps = 0;   // steps compared
  std::size_t traps = 0;   // steps that trapped on both engines
  bool loaded = false;     // both engines loaded the module
};

// Runs `wasm` (not yet metered) on both engines and compares. Errors only for problems of
// the harness itself (metering refused the module is not one: both engines then see the
// same refusal, and that is agreement).
[[nodiscard]] Report compare(engine::Engine& a, engine::Engine& b, std::span<const std::uint8_t> wasm,
                             std::string_view origin, const Config& config);

// WebAssembly text to binary with libwabt (regressions and hostile shapes are kept as text).
[[nodiscard]] Result<std::vector<std::uint8_t>> wat_to_wasm(std::string_view text, std::string_view origin);

// A trap message of either engine as a kind both share ("oob", "div0", "unreachable", ...,
// "stack", "fuel", "other").
[[nodiscard]] std::string_view trap_kind(std::string_view message);

}  // namespace wactor::difffuzz
