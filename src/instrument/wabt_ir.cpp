#include "instrument/wabt_ir.h"

#include <string>

#include "sandbox/module_shape.h"
#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/binary-writer.h"
#include "wabt/interp/binary-reader-interp.h"
#include "wabt/stream.h"

namespace wactor::instrument {

Result<std::unique_ptr<wabt::Module>> read_ir(std::span<const std::uint8_t> wasm, std::string_view origin,
                                              std::uint32_t nesting_depth) {
  // First, before anything recursive (libwabt's IR, the passes, the writer) sees the module.
  sandbox::ShapeLimits shape;
  shape.nesting_depth = nesting_depth;
  WACTOR_TRY(sandbox::check_module_shape(wasm, origin, shape));
  const std::string name(origin);
  wabt::Errors errors;
  wabt::Features features;
  const wabt::ReadBinaryOptions read(features, nullptr, /*read_debug_names=*/false, /*stop_on_first_error=*/true,
                                     /*fail_on_custom_section_error=*/true);
  // libwabt's IR reader asserts (aborting the host) on some malformed code that its
  // validating reader refuses cleanly (found by fuzzing): validate first.
  {
    wabt::interp::ModuleDesc desc;
    if (wabt::Failed(wabt::interp::ReadBinaryInterp(name, wasm.data(), wasm.size(), read, &errors, &desc))) {
      std::string where;
      if (!errors.empty()) where = " (at byte offset " + std::to_string(errors.front().loc.offset) + ")";
      return make_error(ErrorCode::kInvalidModule,
                        name + ": not a valid WebAssembly module: " +
                            (errors.empty() ? std::string("unreadable") : errors.front().message) + where);
    }
  }
  auto module = std::make_unique<wabt::Module>();
  if (wabt::Failed(wabt::ReadBinaryIr(name.c_str(), wasm.data(), wasm.size(), read, &errors, module.get()))) {
    return make_error(ErrorCode::kInvalidModule,
                      name + ": not a valid WebAssembly module: " +
                          (errors.empty() ? std::string("unreadable") : errors.front().message));
  }
  return module;
}

Result<std::vector<std::uint8_t>> write_ir(const wabt::Module& module, std::string_view origin) {
  wabt::MemoryStream stream;
  wabt::Features features;
  const wabt::WriteBinaryOptions write(features, /*canonicalize_lebs=*/true, /*relocatable=*/false,
                                       /*write_debug_names=*/false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, &module, write))) {
    return make_error(ErrorCode::kInternal, std::string(origin) + ": could not write the instrumented module");
  }
  return std::move(stream.output_buffer().data);
}

wabt::Index append_global(wabt::Module& module, wabt::Type type, wabt::Const init) {
  auto field = std::make_unique<wabt::GlobalModuleField>();
  field->global.type = type;
  field->global.mutable_ = true;
  field->global.init_expr.push_back(std::make_unique<wabt::ConstExpr>(init));
  module.AppendField(std::move(field));
  return static_cast<wabt::Index>(module.globals.size() - 1);
}

wabt::Index find_or_append_type(wabt::Module& module, const wabt::FuncSignature& sig) {
  const wabt::Index found = module.GetFuncTypeIndex(sig);
  if (found != wabt::kInvalidIndex) return found;
  auto field = std::make_unique<wabt::TypeModuleField>();
  auto type = std::make_unique<wabt::FuncType>();
  type->sig = sig;
  field->type = std::move(type);
  module.AppendField(std::move(field));
  return static_cast<wabt::Index>(module.types.size() - 1);
}

}  // namespace wactor::instrument
