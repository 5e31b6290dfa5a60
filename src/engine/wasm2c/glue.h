// The C glue compiled with wasm2c's output: host imports forwarded through a per-instance
// table, one trampoline per exported function, instance creation and destruction. The glue
// is generated from the ModuleInfo alone, so it depends only on the module's bytes.
#pragma once

#include <optional>
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
// bind (multiple results, non-numeric parameter types in imports). `fuel_in_register`: the
// metering pass's fuel counter lives in r15 while guest code runs (gcc on x86-64 only; the
// module must export the fuel global, and wasm2c's output must then go through
// fuel_to_register, object_cache.h).
[[nodiscard]] Result<std::string> generate_glue(const ModuleInfo& info, std::string_view origin,
                                                bool fuel_in_register = false);

// The symbol of the getter wasm2c generates for the exported fuel global (metering.h's
// kFuelGlobal), or nullopt if the module exports none.
[[nodiscard]] std::optional<std::string> fuel_export_symbol(const ModuleInfo& info);

}  // namespace wactor::engine::aot
