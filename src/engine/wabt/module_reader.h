// Reading and describing a module with libwabt's validating reader: shared by every engine
// (the interpreter instantiates the ModuleDesc; the AOT engine only validates and describes).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "wabt/interp/interp.h"
#include "wactor/engine.h"

namespace wactor::engine {

ValType to_val_type(wabt::Type t);
Signature to_signature(const wabt::interp::FuncType& ft);

// Parses and validates; errors are kInvalidModule and start with "<origin>: ".
[[nodiscard]] Result<wabt::interp::ModuleDesc> read_module(std::span<const std::uint8_t> bytes, std::string_view origin);

// The module's imports, exports and memories. Applies LoadOptions: refuses an initial memory
// over max_memory_pages or table over max_table_elements (kResourceExhausted) and clamps
// every declared maximum in `desc` (the interpreter instantiates from it).
[[nodiscard]] Result<ModuleInfo> describe_module(wabt::interp::ModuleDesc& desc, std::string_view origin,
                                                 const LoadOptions& options);

}  // namespace wactor::engine
