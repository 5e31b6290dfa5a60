#include "engine/wabt/module_reader.h"

#include <string>

#include "wabt/binary-reader.h"
#include "wabt/error-formatter.h"
#include "wabt/interp/binary-reader-interp.h"
#include "sandbox/module_shape.h"

namespace wactor::engine {

namespace wi = wabt::interp;

namespace {

ExternKind to_kind(wabt::ExternalKind k) {
  switch (k) {
    case wabt::ExternalKind::Func: return ExternKind::kFunc;
    case wabt::ExternalKind::Table: return ExternKind::kTable;
    case wabt::ExternalKind::Memory: return ExternKind::kMemory;
    case wabt::ExternalKind::Global: return ExternKind::kGlobal;
    case wabt::ExternalKind::Tag: return ExternKind::kTag;
  }
  return ExternKind::kTag;
}

}  // namespace

ValType to_val_type(wabt::Type t) {
  switch (t) {
    case wabt::Type::I32: return ValType::kI32;
    case wabt::Type::I64: return ValType::kI64;
    case wabt::Type::F32: return ValType::kF32;
    case wabt::Type::F64: return ValType::kF64;
    default: return ValType::kOther;
  }
}

Signature to_signature(const wi::FuncType& ft) {
  Signature s;
  for (auto t : ft.params) s.params.push_back(to_val_type(t));
  for (auto t : ft.results) s.results.push_back(to_val_type(t));
  return s;
}

Result<wi::ModuleDesc> read_module(std::span<const std::uint8_t> bytes, std::string_view origin) {
  // Before anything else reads the module: refuse shapes that would make the host recurse
  // deeply or allocate in proportion to a hostile count (the metering pass adds a few levels).
  sandbox::ShapeLimits shape;
  shape.nesting_depth += sandbox::kInstrumentationNesting;
  WACTOR_TRY(sandbox::check_module_shape(bytes, origin, shape));
  wabt::Errors errors;
  wi::ModuleDesc desc;
  // The feature set both engines accept: libwabt 1.0.32's defaults minus SIMD, which wasm2c
  // 1.0.32 cannot compile (threads, exceptions, tail calls, memory64, multi-memory are off by
  // default). A custom section's frame (its size, a UTF-8 name) is structure and a malformed
  // one refuses the module (the spec's utf8-custom-section-id, custom, binary-leb128); its
  // contents are never read (no debug names), so they are never an error, and the aot engine
  // drops them before compiling.
  wabt::Features features;
  features.disable_simd();
  wabt::ReadBinaryOptions read_options(features, nullptr, /*read_debug_names=*/false,
                                       /*stop_on_first_error=*/true,
                                       /*fail_on_custom_section_error=*/true);
  if (wabt::Failed(wi::ReadBinaryInterp(origin, bytes.data(), bytes.size(), read_options, &errors, &desc))) {
    std::string msg = errors.empty() ? std::string("unreadable module") : errors.front().message;
    std::string where;
    if (!errors.empty()) where = " (at byte offset " + std::to_string(errors.front().loc.offset) + ")";
    return make_error(ErrorCode::kInvalidModule, std::string(origin) + ": not a valid WebAssembly module: " + msg + where);
  }
  return desc;
}

Result<ModuleInfo> describe_module(wi::ModuleDesc& desc, std::string_view origin, const LoadOptions& options) {
  ModuleInfo info;
  std::vector<Signature> func_sigs;  // function index space: imports first
  for (const auto& imp : desc.imports) {
    ImportInfo ii{imp.type.module, imp.type.name, to_kind(imp.type.type->kind), {}};
    if (auto* ft = wabt::dyn_cast<wi::FuncType>(imp.type.type.get())) {
      ii.sig = to_signature(*ft);
      func_sigs.push_back(ii.sig);
    }
    if (auto* mt = wabt::dyn_cast<wi::MemoryType>(imp.type.type.get())) {
      MemoryInfo mi{mt->limits.initial, std::nullopt, true};
      if (mt->limits.has_max) mi.max_pages = mt->limits.max;
      info.memories.push_back(mi);
    }
    info.imports.push_back(std::move(ii));
  }
  for (const auto& f : desc.funcs) func_sigs.push_back(to_signature(f.type));
  for (auto& m : desc.memories) {
    auto& limits = m.type.limits;
    if (options.max_memory_pages) {
      std::uint64_t cap = *options.max_memory_pages;
      if (limits.initial > cap) {
        return make_error(ErrorCode::kResourceExhausted,
                          std::string(origin) + ": initial memory of " + std::to_string(limits.initial) +
                              " pages exceeds the limit of " + std::to_string(cap) + " pages");
      }
      if (!limits.has_max || limits.max > cap) {
        limits.max = cap;
        limits.has_max = true;
      }
    }
    MemoryInfo mi{limits.initial, std::nullopt, false};
    if (limits.has_max) mi.max_pages = limits.max;
    info.memories.push_back(mi);
  }
  for (auto& t : desc.tables) {
    auto& limits = t.type.limits;
    const std::uint64_t cap = options.max_table_elements;
    if (limits.initial > cap) {
      return make_error(ErrorCode::kResourceExhausted,
                        std::string(origin) + ": initial table size of " + std::to_string(limits.initial) +
                            " elements exceeds the limit of " + std::to_string(cap) + " elements");
    }
    if (!limits.has_max || limits.max > cap) {
      limits.max = cap;
      limits.has_max = true;
    }
  }
  for (const auto& e : desc.exports) {
    ExportInfo ei{e.type.name, to_kind(e.type.type->kind), {}};
    if (ei.kind == ExternKind::kFunc && e.index < func_sigs.size()) ei.sig = func_sigs[e.index];
    info.exports.push_back(std::move(ei));
  }
  return info;
}

}  // namespace wactor::engine
