// The host-wide memory budget, from inside the module: every `memory.grow` becomes a call to
// an added function that first asks the host for the pages (wactor-internal.memory-permit),
// grows only if they were granted (-1 otherwise, as a refused grow), and gives them back
// (wactor-internal.memory-refund) when the grow itself failed (the component's own cap).
// The host thereby counts, per instance, exactly the pages its memory holds, on every
// engine. The runtime applies it after metering; the added function is not metered.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "wactor/result.h"

namespace wactor::instrument {

inline constexpr std::string_view kMemoryPermitImport = "memory-permit";  // (i32 pages) -> i32, non-zero: granted
inline constexpr std::string_view kMemoryRefundImport = "memory-refund";  // (i32 pages) -> (): pages not used

// Returns the guarded module; a module without `memory.grow` comes back unchanged (and
// imports nothing more). Expects a module already checked by add_metering (its nesting is
// at most the shape limit plus the instrumentation's).
[[nodiscard]] Result<std::vector<std::uint8_t>> add_memory_guard(std::span<const std::uint8_t> wasm,
                                                                 std::string_view origin);

}  // namespace wactor::instrument
