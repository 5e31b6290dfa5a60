// Static limits on a module's shape, checked on the raw bytes before anything recursive
// (libwabt's IR, the metering walk, the binary writer, wasm2c) or anything that allocates in
// proportion to a declared count sees the module. The check itself is one iterative pass of
// libwabt's binary reader with a counting delegate: no recursion, no allocation per item.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "wactor/result.h"

namespace wactor::sandbox {

// Every field is a maximum; a module over any of them is refused with kResourceExhausted and
// a message naming the limit. The defaults are far above what compilers emit for real
// programs (the spec's JS-API implementation limits are used where they exist) and low
// enough that no single module can make the host recurse deeply or allocate gigabytes.
struct ShapeLimits {
  std::uint64_t module_bytes = 64u << 20;        // whole module, bytes
  std::uint32_t types = 100'000;                 // type section entries
  std::uint32_t params_or_results = 1'000;       // per function type
  std::uint32_t imports = 100'000;
  std::uint32_t exports = 100'000;
  std::uint32_t functions = 100'000;             // defined functions
  std::uint32_t globals = 100'000;
  std::uint32_t tables = 100;                    // imported and defined
  std::uint32_t memories = 1;                    // imported and defined
  std::uint32_t element_segments = 100'000;
  std::uint32_t data_segments = 100'000;
  std::uint64_t function_body_bytes = 7'654'321;  // one function's code, bytes
  std::uint64_t locals = 50'000;                 // one function's declared locals
  std::uint32_t nesting_depth = 1'024;           // block/loop/if/try nesting within one function
  std::uint32_t br_table_targets = 65'520;       // one br_table
};

// Instrumentation (metering, the interpreter's stack guard) nests a few levels deeper than
// the source; the engines' own check allows this much beyond ShapeLimits::nesting_depth.
inline constexpr std::uint32_t kInstrumentationNesting = 4;

// Ok, or kResourceExhausted "<origin>: <what> <n> exceeds the limit of <max>". Malformed
// bytes are not this check's business: they pass here and the validating reader refuses them.
[[nodiscard]] Status check_module_shape(std::span<const std::uint8_t> wasm, std::string_view origin,
                                        const ShapeLimits& limits = {});

// The module with every defined table's maximum clamped to `max_elements` (rewritten in the
// table section), for engines that compile the bytes themselves. Bytes it cannot parse are
// returned unchanged (the validating reader refuses them).
[[nodiscard]] std::vector<std::uint8_t> clamp_table_maximum(std::span<const std::uint8_t> wasm,
                                                            std::uint32_t max_elements);

}  // namespace wactor::sandbox
