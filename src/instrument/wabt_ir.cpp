#include "instrument/wabt_ir.h"

#include <string>

#include "instrument/metering.h"
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

void renumber_funcs(wabt::Module& module, wabt::Index from, wabt::Index by) {
  const auto var = [&](wabt::Var& v) {
    if (v.is_index() && v.index() >= from) v.set_index(v.index() + by);
  };
  const auto exprs = [&](wabt::ExprList& list) {
    walk(list, [&](wabt::Expr& e) {
      switch (e.type()) {
        case wabt::ExprType::Call: var(wabt::cast<wabt::CallExpr>(&e)->var); break;
        case wabt::ExprType::ReturnCall: var(wabt::cast<wabt::ReturnCallExpr>(&e)->var); break;
        case wabt::ExprType::RefFunc: var(wabt::cast<wabt::RefFuncExpr>(&e)->var); break;
        default: break;
      }
    });
  };
  for (wabt::Func* f : module.funcs) exprs(f->exprs);
  for (wabt::Export* e : module.exports) {
    if (e->kind == wabt::ExternalKind::Func) var(e->var);
  }
  for (wabt::Var* s : module.starts) var(*s);
  for (wabt::ElemSegment* seg : module.elem_segments) {
    for (auto& list : seg->elem_exprs) exprs(list);
  }
  for (wabt::Global* g : module.globals) exprs(g->init_expr);
}

void insert_internal_import(wabt::Module& module, wabt::Index at, std::string_view name,
                            const wabt::FuncSignature& sig) {
  auto import = std::make_unique<wabt::FuncImport>();
  import->module_name = std::string(kInternalModule);
  import->field_name = std::string(name);
  import->func.decl.has_func_type = true;
  import->func.decl.type_var = wabt::Var(find_or_append_type(module, sig), wabt::Location());
  import->func.decl.sig = sig;
  wabt::Func* func = &import->func;
  wabt::Import* import_ptr = import.get();
  auto field = std::make_unique<wabt::ImportModuleField>();
  field->import = std::move(import);
  module.imports.push_back(import_ptr);
  module.funcs.insert(module.funcs.begin() + at, func);
  ++module.num_func_imports;
  module.fields.push_back(std::move(field));
}

}  // namespace wactor::instrument
