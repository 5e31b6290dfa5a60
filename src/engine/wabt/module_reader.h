// Reading and describing a module with libwabt's validating reader: shared by every engine
// (the interpreter instantiates the ModuleDesc; the AOT engine only validates and describes).
#pragma once

#include <cstdint>
#include <span>
#include <string>
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

// LoadOptions::max_module_bytes, before anything reads the module (every engine).
[[nodiscard]] inline Status check_module_size(std::span<const std::uint8_t> bytes, std::string_view origin,
                                              const LoadOptions& options) {
  if (bytes.size() <= options.max_module_bytes) return {};
  return make_error(ErrorCode::kResourceExhausted, std::string(origin) + ": the module has " +
                                                       std::to_string(bytes.size()) + " bytes, over the limit of " +
                                                       std::to_string(options.max_module_bytes) +
                                                       " bytes (max_module_bytes)");
}

}  // namespace wactor::engine
