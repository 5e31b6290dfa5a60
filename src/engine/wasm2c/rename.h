// The module handed to wasm2c carries no byte the guest chose as a name: wasm2c 1.0.32 copies
// import and export names raw into C comments (a name containing "*/" would be compiled),
// and debug names into identifiers. rename_for_wasm2c() rewrites a validated module so that
// every import is "w"."i<N>" (N: its index among all imports) and every export "e<N>" (N: its
// index among the exports), and drops every custom section ("name" included). Everything
// else is copied byte for byte; the engine keeps the original names in its ModuleInfo.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wactor/result.h"

namespace wactor::engine::aot {

inline constexpr std::string_view kImportModule = "w";
[[nodiscard]] std::string import_name(std::size_t index);  // "i<index>"
[[nodiscard]] std::string export_name(std::size_t index);  // "e<index>"

// kInvalidModule if the bytes are not a well-formed module (they were validated before).
[[nodiscard]] Result<std::vector<std::uint8_t>> rename_for_wasm2c(std::span<const std::uint8_t> wasm);

// The size in bytes of the module's largest function body (0 if none or malformed).
[[nodiscard]] std::uint64_t largest_function_body(std::span<const std::uint8_t> wasm);

}  // namespace wactor::engine::aot
