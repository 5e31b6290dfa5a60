#include "instrument/metering.h"

#include <string>

#include "instrument/wabt_ir.h"
#include "sandbox/module_shape.h"

namespace wactor::instrument {
namespace {

using wabt::Index;

// Every reference to a function index at or above `from` moves up by one (an imported
// function is being inserted at `from`).
class FuncRenumber {
 public:
  explicit FuncRenumber(Index from) : from_(from) {}

  void var(wabt::Var& v) const {
    if (v.is_index() && v.index() >= from_) v.set_index(v.index() + 1);
  }

  void exprs(wabt::ExprList& list) const {
    walk(list, [this](wabt::Expr& e) {
      switch (e.type()) {
        case wabt::ExprType::Call: var(wabt::cast<wabt::CallExpr>(&e)->var); break;
        case wabt::ExprType::ReturnCall: var(wabt::cast<wabt::ReturnCallExpr>(&e)->var); break;
        case wabt::ExprType::RefFunc: var(wabt::cast<wabt::RefFuncExpr>(&e)->var); break;
        default: break;
      }
    });
  }

 private:
  Index from_;
};

// The check put at each function entry and loop header:
//   if (fuel == 0) fuel = refill();   fuel -= 1;
class Meter {
 public:
  Meter(Index fuel_global, Index refill_func) : fuel_(fuel_global), refill_(refill_func) {}

  void function(wabt::Func& f) const {
    walk(f.exprs, [this](wabt::Expr& e) {
      if (e.type() == wabt::ExprType::Loop) prepend_check(wabt::cast<wabt::LoopExpr>(&e)->block.exprs);
    });
    prepend_check(f.exprs);
  }

 private:
  void prepend_check(wabt::ExprList& list) const {
    const wabt::Location loc;
    wabt::ExprList check;
    check.push_back(std::make_unique<wabt::GlobalGetExpr>(wabt::Var(fuel_, loc)));
    check.push_back(std::make_unique<wabt::ConvertExpr>(wabt::Opcode::I64Eqz));
    auto refill = std::make_unique<wabt::IfExpr>();
    refill->true_.exprs.push_back(std::make_unique<wabt::CallExpr>(wabt::Var(refill_, loc)));
    refill->true_.exprs.push_back(std::make_unique<wabt::GlobalSetExpr>(wabt::Var(fuel_, loc)));
    check.push_back(std::move(refill));
    check.push_back(std::make_unique<wabt::GlobalGetExpr>(wabt::Var(fuel_, loc)));
    check.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(1)));
    check.push_back(std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I64Sub));
    check.push_back(std::make_unique<wabt::GlobalSetExpr>(wabt::Var(fuel_, loc)));
    list.splice(list.begin(), check);
  }

  Index fuel_;
  Index refill_;
};

}  // namespace

Result<std::vector<std::uint8_t>> add_metering(std::span<const std::uint8_t> wasm, std::string_view origin) {
  const std::string name(origin);
  auto read = read_ir(wasm, origin, sandbox::ShapeLimits{}.nesting_depth);
  if (!read.ok()) return std::move(read).take_error();
  wabt::Module& module = **read;
  for (const wabt::Import* imp : module.imports) {
    if (imp->module_name == kInternalModule) {
      return make_error(ErrorCode::kAbiViolation,
                        name + ": imports from the reserved module '" + std::string(kInternalModule) + "'");
    }
  }
  for (const wabt::Export* exp : module.exports) {
    if (exp->name == kFuelGlobal) {
      return make_error(ErrorCode::kAbiViolation, name + ": exports the reserved name '" + std::string(kFuelGlobal) + "'");
    }
  }
  const wabt::Location loc;

  // () -> i64, the refill's type, appended (type indices do not move).
  auto type_field = std::make_unique<wabt::TypeModuleField>();
  auto func_type = std::make_unique<wabt::FuncType>();
  func_type->sig.result_types = {wabt::Type::I64};
  type_field->type = std::move(func_type);
  module.AppendField(std::move(type_field));
  const Index type_index = static_cast<Index>(module.types.size() - 1);

  // The fuel counter: a defined global appended last (global indices do not move), exported
  // so the host can zero it before each call.
  const Index fuel_index = append_global(module, wabt::Type::I64, wabt::Const::I64(0));
  auto export_field = std::make_unique<wabt::ExportModuleField>();
  export_field->export_.name = std::string(kFuelGlobal);
  export_field->export_.kind = wabt::ExternalKind::Global;
  export_field->export_.var = wabt::Var(fuel_index, loc);
  module.AppendField(std::move(export_field));

  // The refill import goes after the other function imports: defined functions move up one.
  const Index refill_index = module.num_func_imports;
  const FuncRenumber renumber(refill_index);
  for (wabt::Func* f : module.funcs) renumber.exprs(f->exprs);
  for (wabt::Export* e : module.exports) {
    if (e->kind == wabt::ExternalKind::Func) renumber.var(e->var);
  }
  for (wabt::Var* s : module.starts) renumber.var(*s);
  for (wabt::ElemSegment* seg : module.elem_segments) {
    for (auto& list : seg->elem_exprs) renumber.exprs(list);
  }
  for (wabt::Global* g : module.globals) renumber.exprs(g->init_expr);

  auto import = std::make_unique<wabt::FuncImport>();
  import->module_name = std::string(kInternalModule);
  import->field_name = std::string(kRefillImport);
  import->func.decl.has_func_type = true;
  import->func.decl.type_var = wabt::Var(type_index, loc);
  import->func.decl.sig.result_types = {wabt::Type::I64};
  wabt::Func* refill_func = &import->func;
  wabt::Import* import_ptr = import.get();
  auto import_field = std::make_unique<wabt::ImportModuleField>();
  import_field->import = std::move(import);
  module.imports.push_back(import_ptr);
  module.funcs.insert(module.funcs.begin() + refill_index, refill_func);
  ++module.num_func_imports;
  module.fields.push_back(std::move(import_field));

  const Meter meter(fuel_index, refill_index);
  for (Index i = module.num_func_imports; i < module.funcs.size(); ++i) meter.function(*module.funcs[i]);

  return write_ir(module, origin);
}

}  // namespace wactor::instrument
