// Metering: one instrumentation pass over a module so that every engine can stop a guest
// at the same point. Each function entry and each loop iteration costs one unit of fuel,
// counted in a guest global; when that runs out the guest calls the host for a new slice
// (wactor-internal.fuel-refill), and the host decides: more fuel, or a trap (fuel budget
// used up, deadline passed, stop requested). The count lives in the guest, so it is
// exactly the same on every engine; the host is consulted once per slice, so a deadline
// is checked often without a cross-thread write into the engine.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "wactor/result.h"

namespace wactor::instrument {

inline constexpr std::string_view kInternalModule = "wactor-internal";
inline constexpr std::string_view kRefillImport = "fuel-refill";  // () -> i64: the next slice
inline constexpr std::string_view kFuelGlobal = "wactor-internal.fuel";  // exported mutable i64

// Bulk operations cost fuel by size, so that a loop of big ones still asks for a new slice
// (and so has its deadline checked) often: memory.fill/copy/init one unit per 64 bytes,
// table.fill/copy/init one per 8 elements, memory.grow one per 64 bytes added (1024 a page),
// table.grow one per 8 elements added. Charged before the operation (after, for a grow),
// so one that traps out of bounds has paid too.
inline constexpr int kBulkBytesPerUnitLog2 = 6;
inline constexpr int kBulkElementsPerUnitLog2 = 3;

// Returns the metered module. Refuses modules that already use wactor-internal names.
[[nodiscard]] Result<std::vector<std::uint8_t>> add_metering(std::span<const std::uint8_t> wasm,
                                                             std::string_view origin);

}  // namespace wactor::instrument
