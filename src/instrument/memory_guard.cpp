#include "instrument/memory_guard.h"

#include <string>

#include "instrument/metering.h"
#include "instrument/wabt_ir.h"
#include "sandbox/module_shape.h"

namespace wactor::instrument {
namespace {

using wabt::Index;
using wabt::Opcode;
using wabt::Type;


bool grows(wabt::Module& module) {
  bool found = false;
  for (Index i = module.num_func_imports; i < module.funcs.size() && !found; ++i) {
    walk(module.funcs[i]->exprs, [&](wabt::Expr& e) { found = found || e.type() == wabt::ExprType::MemoryGrow; });
  }
  return found;
}

// (pages) -> old size or -1, local r:
//   if (!permit(pages)) return -1;
//   r = memory.grow(pages); if (r == -1) refund(pages); return r;
wabt::Index append_guarded_grow(wabt::Module& module, Index permit, Index refund, const wabt::Var& memory) {
  const wabt::Location loc;
  auto field = std::make_unique<wabt::FuncModuleField>();
  wabt::Func& f = field->func;
  f.decl.sig.param_types = {Type::I32};
  f.decl.sig.result_types = {Type::I32};
  f.decl.has_func_type = true;
  f.decl.type_var = wabt::Var(find_or_append_type(module, f.decl.sig), loc);
  f.local_types.Set({Type::I32});
  const wabt::Var pages(Index{0}, loc);
  const wabt::Var result(Index{1}, loc);
  wabt::ExprList& body = f.exprs;
  body.push_back(std::make_unique<wabt::LocalGetExpr>(pages));
  body.push_back(std::make_unique<wabt::CallExpr>(wabt::Var(permit, loc)));
  body.push_back(std::make_unique<wabt::ConvertExpr>(Opcode::I32Eqz));
  auto refused = std::make_unique<wabt::IfExpr>();
  refused->true_.exprs.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I32(0xFFFFFFFFu)));
  refused->true_.exprs.push_back(std::make_unique<wabt::ReturnExpr>());
  body.push_back(std::move(refused));
  body.push_back(std::make_unique<wabt::LocalGetExpr>(pages));
  body.push_back(std::make_unique<wabt::MemoryGrowExpr>(memory));
  body.push_back(std::make_unique<wabt::LocalTeeExpr>(result));
  body.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I32(0xFFFFFFFFu)));
  body.push_back(std::make_unique<wabt::CompareExpr>(Opcode::I32Eq));
  auto failed = std::make_unique<wabt::IfExpr>();
  failed->true_.exprs.push_back(std::make_unique<wabt::LocalGetExpr>(pages));
  failed->true_.exprs.push_back(std::make_unique<wabt::CallExpr>(wabt::Var(refund, loc)));
  body.push_back(std::move(failed));
  body.push_back(std::make_unique<wabt::LocalGetExpr>(result));
  module.AppendField(std::move(field));
  return static_cast<Index>(module.funcs.size() - 1);
}

}  // namespace

Result<std::vector<std::uint8_t>> add_memory_guard(std::span<const std::uint8_t> wasm, std::string_view origin) {
  auto read = read_ir(wasm, origin, sandbox::ShapeLimits{}.nesting_depth + sandbox::kInstrumentationNesting - 1);
  if (!read.ok()) return std::move(read).take_error();
  wabt::Module& module = **read;
  if (!grows(module)) return std::vector<std::uint8_t>(wasm.begin(), wasm.end());
  if (module.memories.size() != 1) {
    // memory.grow validated, so there is a memory; several need the multi-memory feature,
    // which the reader does not enable.
    return make_error(ErrorCode::kInvalidModule, std::string(origin) + ": memory.grow with several memories");
  }
  // The two imports go after the other function imports: defined functions move up two.
  const Index permit = module.num_func_imports;
  renumber_funcs(module, permit, 2);
  wabt::FuncSignature permit_sig;
  permit_sig.param_types = {Type::I32};
  permit_sig.result_types = {Type::I32};
  insert_internal_import(module, permit, kMemoryPermitImport, permit_sig);
  wabt::FuncSignature refund_sig;
  refund_sig.param_types = {Type::I32};
  insert_internal_import(module, permit + 1, kMemoryRefundImport, refund_sig);
  const Index guarded = append_guarded_grow(module, permit, permit + 1, wabt::Var(Index{0}, wabt::Location()));
  const wabt::Location loc;
  for (Index i = module.num_func_imports; i < guarded; ++i) {
    walk_lists(module.funcs[i]->exprs, [&](wabt::ExprList& l) {
      for (auto it = l.begin(); it != l.end(); ++it) {
        if (it->type() != wabt::ExprType::MemoryGrow) continue;
        it = l.erase(it);
        it = l.insert(it, std::make_unique<wabt::CallExpr>(wabt::Var(guarded, loc)));
      }
    });
  }
  return write_ir(module, origin);
}

}  // namespace wactor::instrument
