// The C glue compiled with wasm2c's output: host imports forwarded through a per-instance
// table, one trampoline per exported function, instance creation and destruction. The glue
// is generated from the ModuleInfo alone, so it depends only on the module's bytes.
#pragma once

#include <string>

#include "wactor/engine.h"
#include "wactor/result.h"

namespace wactor::engine::aot {

// The module name passed to `wasm2c -n`: generated symbols are Z_<name>...
inline constexpr std::string_view kWasm2cModuleName = "m";
inline constexpr std::string_view kGeneratedBase = "m";  // m.c / m.h

// wasm2c 1.0.32's name mangling: [A-Za-z0-9_] kept except 'Z', everything else "Z<hex>".
[[nodiscard]] std::string mangle(std::string_view name);

// The glue's C source, or kInvalidModule if the module uses something the AOT engine cannot
// bind (multiple results, non-numeric parameter types in imports).
[[nodiscard]] Result<std::string> generate_glue(const ModuleInfo& info, std::string_view origin);

}  // namespace wactor::engine::aot
