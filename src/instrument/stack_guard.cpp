#include "instrument/stack_guard.h"

#include <algorithm>

#include "instrument/wabt_ir.h"
#include "sandbox/module_shape.h"

namespace wactor::instrument {
namespace {

using wabt::ExprType;
using wabt::Index;

// An upper bound of the operand values a function body holds at once: a walk of its code
// that applies each instruction's pops and pushes (fewer pops and more pushes than the real
// stack effect would only make the bound larger) and skips code after an unconditional branch.
class MaxHeight {
 public:
  explicit MaxHeight(const wabt::Module& module) : module_(module) {}

  std::uint64_t of(const wabt::Func& f) {
    max_ = 0;
    list(f.exprs, 0);
    return max_;
  }

 private:
  struct Effect {
    std::uint64_t pops, pushes;
  };

  void list(const wabt::ExprList& exprs, std::uint64_t h) {
    for (const wabt::Expr& e : exprs) {
      if (!expr(e, h)) return;  // the rest of the list is unreachable
    }
  }

  void block(const wabt::BlockDeclaration& decl, const wabt::ExprList& body, std::uint64_t& h) {
    list(body, h);  // the block's parameters stay where they are
    apply({decl.sig.GetNumParams(), decl.sig.GetNumResults()}, h);
  }

  void apply(Effect e, std::uint64_t& h) {
    h = h >= e.pops ? h - e.pops : 0;
    h += e.pushes;
    max_ = std::max(max_, h);
  }

  // Applies `e` to the height; false after an unconditional branch.
  bool expr(const wabt::Expr& e, std::uint64_t& h) {
    switch (e.type()) {
      case ExprType::Block: block(wabt::cast<wabt::BlockExpr>(&e)->block.decl, wabt::cast<wabt::BlockExpr>(&e)->block.exprs, h); return true;
      case ExprType::Loop: block(wabt::cast<wabt::LoopExpr>(&e)->block.decl, wabt::cast<wabt::LoopExpr>(&e)->block.exprs, h); return true;
      case ExprType::Try: block(wabt::cast<wabt::TryExpr>(&e)->block.decl, wabt::cast<wabt::TryExpr>(&e)->block.exprs, h); return true;
      case ExprType::If: {
        const auto* i = wabt::cast<wabt::IfExpr>(&e);
        apply({1, 0}, h);
        list(i->false_, h);
        block(i->true_.decl, i->true_.exprs, h);
        return true;
      }
      case ExprType::Call: {
        const wabt::Func* callee = module_.GetFunc(wabt::cast<wabt::CallExpr>(&e)->var);
        if (callee) apply({callee->GetNumParams(), callee->GetNumResults()}, h);
        return true;
      }
      case ExprType::CallIndirect: {
        const auto& sig = wabt::cast<wabt::CallIndirectExpr>(&e)->decl.sig;
        apply({sig.GetNumParams() + 1u, sig.GetNumResults()}, h);
        return true;
      }
      case ExprType::Br:
      case ExprType::BrTable:
      case ExprType::Return:
      case ExprType::ReturnCall:
      case ExprType::ReturnCallIndirect:
      case ExprType::Throw:
      case ExprType::Rethrow:
      case ExprType::Unreachable: return false;
      default: apply(simple(e.type()), h); return true;
    }
  }

  static Effect simple(ExprType t) {
    switch (t) {
      case ExprType::Const:
      case ExprType::LocalGet:
      case ExprType::GlobalGet:
      case ExprType::MemorySize:
      case ExprType::TableSize:
      case ExprType::RefFunc:
      case ExprType::RefNull: return {0, 1};
      case ExprType::Binary:
      case ExprType::Compare:
      case ExprType::SimdShuffleOp:
      case ExprType::SimdLoadLane:
      case ExprType::TableGrow:
      case ExprType::AtomicRmw:
      case ExprType::AtomicNotify: return {2, 1};
      case ExprType::Select:
      case ExprType::Ternary:
      case ExprType::AtomicRmwCmpxchg:
      case ExprType::AtomicWait: return {3, 1};
      case ExprType::Store:
      case ExprType::TableSet:
      case ExprType::SimdStoreLane:
      case ExprType::AtomicStore: return {2, 0};
      case ExprType::MemoryCopy:
      case ExprType::MemoryFill:
      case ExprType::MemoryInit:
      case ExprType::TableCopy:
      case ExprType::TableInit:
      case ExprType::TableFill: return {3, 0};
      case ExprType::Drop:
      case ExprType::LocalSet:
      case ExprType::GlobalSet:
      case ExprType::BrIf: return {1, 0};
      // Unary, Convert, Load, LoadSplat, LoadZero, LocalTee, MemoryGrow, TableGet, RefIsNull,
      // SimdLaneOp, AtomicLoad: one in, one out. Nop, DataDrop, ElemDrop, AtomicFence,
      // CodeMetadata, CallRef (not enabled): counted as one push, which only overestimates.
      default: return {1, 1};
    }
  }

  const wabt::Module& module_;
  std::uint64_t max_ = 0;
};

class Guard {
 public:
  Guard(wabt::Module& module, Index budget) : module_(module), budget_(budget) {}

  void function(wabt::Func& f, std::int32_t weight) const {
    // Every `return` gives the weight back first.
    walk_lists(f.exprs, [&](wabt::ExprList& l) {
      for (auto it = l.begin(); it != l.end(); ++it) {
        if (it->type() != ExprType::Return) continue;
        wabt::ExprList restore = adjust(weight);
        l.splice(it, restore);
      }
    });
    // The body goes into a block with the function's results: a branch to the function's
    // label now leaves that block and runs the epilogue below.
    auto body = std::make_unique<wabt::BlockExpr>();
    body->block.decl.sig.result_types = f.decl.sig.result_types;
    if (f.decl.sig.GetNumResults() > 1) {
      wabt::FuncSignature results_only;
      results_only.result_types = f.decl.sig.result_types;
      body->block.decl.has_func_type = true;
      body->block.decl.type_var = wabt::Var(find_or_append_type(module_, results_only), wabt::Location());
    }
    body->block.exprs = std::move(f.exprs);
    f.exprs.clear();
    // budget -= weight; if (budget < 0) unreachable;
    wabt::ExprList entry = adjust(-weight);
    entry.push_back(std::make_unique<wabt::GlobalGetExpr>(var()));
    entry.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I32(0)));
    entry.push_back(std::make_unique<wabt::CompareExpr>(wabt::Opcode::I32LtS));
    auto check = std::make_unique<wabt::IfExpr>();
    check->true_.exprs.push_back(std::make_unique<wabt::UnreachableExpr>());
    entry.push_back(std::move(check));
    f.exprs.splice(f.exprs.end(), entry);
    f.exprs.push_back(std::move(body));
    wabt::ExprList exit = adjust(weight);
    f.exprs.splice(f.exprs.end(), exit);
  }

 private:
  wabt::Var var() const { return wabt::Var(budget_, wabt::Location()); }

  // budget += delta
  wabt::ExprList adjust(std::int32_t delta) const {
    wabt::ExprList l;
    l.push_back(std::make_unique<wabt::GlobalGetExpr>(var()));
    l.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I32(static_cast<std::uint32_t>(delta))));
    l.push_back(std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I32Add));
    l.push_back(std::make_unique<wabt::GlobalSetExpr>(var()));
    return l;
  }

  wabt::Module& module_;
  Index budget_;
};

}  // namespace

Result<GuardedModule> add_stack_guard(std::span<const std::uint8_t> wasm, std::string_view origin) {
  // The module may already be metered (a level deeper than its source).
  auto read = read_ir(wasm, origin, sandbox::ShapeLimits{}.nesting_depth + sandbox::kInstrumentationNesting - 1);
  if (!read.ok()) return std::move(read).take_error();
  wabt::Module& module = **read;
  const Index budget = append_global(module, wabt::Type::I32, wabt::Const::I32(kStackBudget));
  MaxHeight height(module);
  const Guard guard(module, budget);
  for (Index i = module.num_func_imports; i < module.funcs.size(); ++i) {
    wabt::Func& f = *module.funcs[i];
    // Parameters and locals live on the value stack too; 4 values for the guard's own code.
    const std::uint64_t values = std::uint64_t{f.GetNumParamsAndLocals()} + height.of(f) + 4;
    const auto weight = static_cast<std::int32_t>(
        std::min<std::uint64_t>(kFrameWeight + values, std::uint64_t{kStackBudget} + 1));
    guard.function(f, weight);
  }
  auto bytes = write_ir(module, origin);
  if (!bytes.ok()) return std::move(bytes).take_error();
  return GuardedModule{std::move(bytes).value(), budget};
}

}  // namespace wactor::instrument
