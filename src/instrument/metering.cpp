#include "instrument/metering.h"

#include <optional>
#include <string>

#include "instrument/wabt_ir.h"
#include "sandbox/module_shape.h"

namespace wactor::instrument {
namespace {

using wabt::Index;

struct BulkCost {
  int shift;   // fuel = amount >> -shift (shift < 0) or amount << shift
  bool after;  // charged after the operation (grow: by what it added)
};

const BulkCost* bulk_cost(wabt::ExprType t) {
  static constexpr BulkCost kBytes{-kBulkBytesPerUnitLog2, false};
  static constexpr BulkCost kElements{-kBulkElementsPerUnitLog2, false};
  static constexpr BulkCost kPages{16 - kBulkBytesPerUnitLog2, true};
  static constexpr BulkCost kGrownElements{-kBulkElementsPerUnitLog2, true};
  switch (t) {
    case wabt::ExprType::MemoryFill:
    case wabt::ExprType::MemoryCopy:
    case wabt::ExprType::MemoryInit: return &kBytes;
    case wabt::ExprType::TableFill:
    case wabt::ExprType::TableCopy:
    case wabt::ExprType::TableInit: return &kElements;
    case wabt::ExprType::MemoryGrow: return &kPages;
    case wabt::ExprType::TableGrow: return &kGrownElements;
    default: return nullptr;
  }
}

// Every reference to a function index at or above `from` moves up by one (an imported
// function is being inserted at `from`).

// The check put at each function entry and loop header:
//   if (fuel == 0) fuel = refill();   fuel -= 1;
// and the charge of a bulk operation, by size (kBulkCost in metering.h):
//   fuel -= cost;  while (fuel < 0) fuel += refill();
// before memory.fill/copy/init and table.fill/copy/init (the length is on top of the stack),
// after memory.grow and table.grow (by what was actually added).
class Meter {
 public:
  Meter(Index fuel_global, Index refill_func) : fuel_(fuel_global), refill_(refill_func) {}

  void function(wabt::Func& f) const {
    walk(f.exprs, [this](wabt::Expr& e) {
      if (e.type() == wabt::ExprType::Loop) prepend_check(wabt::cast<wabt::LoopExpr>(&e)->block.exprs);
    });
    prepend_check(f.exprs);
    std::optional<Index> temp;  // an i32 local for the length or the grow result
    walk_lists(f.exprs, [&](wabt::ExprList& list) {
      for (auto it = list.begin(); it != list.end(); ++it) {
        const BulkCost* cost = bulk_cost(it->type());
        if (!cost) continue;
        if (!temp) {
          f.local_types.AppendDecl(wabt::Type::I32, 1);
          temp = f.GetNumParamsAndLocals() - 1;
        }
        if (cost->after) {
          wabt::ExprList charge = charge_growth(*it, *temp, *cost);
          list.splice(std::next(it), charge);
        } else {
          wabt::ExprList charge = charge_length(*temp, *cost);
          list.splice(it, charge);
        }
      }
    });
  }

 private:
  wabt::Var var(Index i) const { return wabt::Var(i, wabt::Location()); }

  void prepend_check(wabt::ExprList& list) const {
    wabt::ExprList check;
    check.push_back(std::make_unique<wabt::GlobalGetExpr>(var(fuel_)));
    check.push_back(std::make_unique<wabt::ConvertExpr>(wabt::Opcode::I64Eqz));
    auto refill = std::make_unique<wabt::IfExpr>();
    refill->true_.exprs.push_back(std::make_unique<wabt::CallExpr>(var(refill_)));
    refill->true_.exprs.push_back(std::make_unique<wabt::GlobalSetExpr>(var(fuel_)));
    check.push_back(std::move(refill));
    check.push_back(std::make_unique<wabt::GlobalGetExpr>(var(fuel_)));
    check.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(1)));
    check.push_back(std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I64Sub));
    check.push_back(std::make_unique<wabt::GlobalSetExpr>(var(fuel_)));
    list.splice(list.begin(), check);
  }

  // With the i32 amount on top of the stack: fuel -= scale(amount), then refill while negative.
  void charge(wabt::ExprList& out, const BulkCost& cost) const {
    auto to_cost = [&](wabt::ExprList& l) {
      l.push_back(std::make_unique<wabt::ConvertExpr>(wabt::Opcode::I64ExtendI32U));
      if (cost.shift != 0) {
        l.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(static_cast<std::uint64_t>(cost.shift < 0 ? -cost.shift : cost.shift))));
        l.push_back(std::make_unique<wabt::BinaryExpr>(cost.shift < 0 ? wabt::Opcode::I64ShrU : wabt::Opcode::I64Shl));
      }
    };
    wabt::ExprList amount;
    amount.splice(amount.end(), out);  // the code that leaves the amount, after fuel's value
    out.push_back(std::make_unique<wabt::GlobalGetExpr>(var(fuel_)));
    out.splice(out.end(), amount);
    to_cost(out);
    out.push_back(std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I64Sub));
    out.push_back(std::make_unique<wabt::GlobalSetExpr>(var(fuel_)));
    // block { loop { br_if 1 (fuel >= 0); fuel += refill(); br 0 } }
    auto loop = std::make_unique<wabt::LoopExpr>();
    auto& body = loop->block.exprs;
    body.push_back(std::make_unique<wabt::GlobalGetExpr>(var(fuel_)));
    body.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0)));
    body.push_back(std::make_unique<wabt::CompareExpr>(wabt::Opcode::I64GeS));
    body.push_back(std::make_unique<wabt::BrIfExpr>(var(1)));
    body.push_back(std::make_unique<wabt::GlobalGetExpr>(var(fuel_)));
    body.push_back(std::make_unique<wabt::CallExpr>(var(refill_)));
    body.push_back(std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I64Add));
    body.push_back(std::make_unique<wabt::GlobalSetExpr>(var(fuel_)));
    body.push_back(std::make_unique<wabt::BrExpr>(var(0)));
    auto block = std::make_unique<wabt::BlockExpr>();
    block->block.exprs.push_back(std::move(loop));
    out.push_back(std::move(block));
  }

  // Before the operation: its length (on top) into `temp`, kept on the stack.
  wabt::ExprList charge_length(Index temp, const BulkCost& cost) const {
    wabt::ExprList l;
    l.push_back(std::make_unique<wabt::LocalTeeExpr>(var(temp)));
    wabt::ExprList amount;
    amount.push_back(std::make_unique<wabt::LocalGetExpr>(var(temp)));
    charge(amount, cost);
    l.splice(l.end(), amount);
    return l;
  }

  // After a grow: its result (old size or -1) stays; if it grew, charge (size now - old size).
  wabt::ExprList charge_growth(const wabt::Expr& grow, Index temp, const BulkCost& cost) const {
    wabt::ExprList l;
    l.push_back(std::make_unique<wabt::LocalTeeExpr>(var(temp)));
    l.push_back(std::make_unique<wabt::LocalGetExpr>(var(temp)));
    l.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I32(static_cast<std::uint32_t>(-1))));
    l.push_back(std::make_unique<wabt::CompareExpr>(wabt::Opcode::I32Ne));
    auto grew = std::make_unique<wabt::IfExpr>();
    wabt::ExprList amount;
    if (grow.type() == wabt::ExprType::MemoryGrow) {
      amount.push_back(std::make_unique<wabt::MemorySizeExpr>(wabt::cast<wabt::MemoryGrowExpr>(&grow)->memidx));
    } else {
      amount.push_back(std::make_unique<wabt::TableSizeExpr>(wabt::cast<wabt::TableGrowExpr>(&grow)->var));
    }
    amount.push_back(std::make_unique<wabt::LocalGetExpr>(var(temp)));
    amount.push_back(std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I32Sub));
    charge(amount, cost);
    grew->true_.exprs = std::move(amount);
    l.push_back(std::move(grew));
    return l;
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

  // The fuel counter: a defined global appended last (global indices do not move), exported
  // so the host can zero it before each call.
  const Index fuel_index = append_global(module, wabt::Type::I64, wabt::Const::I64(0));
  auto export_field = std::make_unique<wabt::ExportModuleField>();
  export_field->export_.name = std::string(kFuelGlobal);
  export_field->export_.kind = wabt::ExternalKind::Global;
  export_field->export_.var = wabt::Var(fuel_index, loc);
  module.AppendField(std::move(export_field));

  // The refill import, () -> i64, goes after the other function imports: defined functions
  // move up one.
  const Index refill_index = module.num_func_imports;
  renumber_funcs(module, refill_index, 1);
  wabt::FuncSignature refill_sig;
  refill_sig.result_types = {wabt::Type::I64};
  insert_internal_import(module, refill_index, kRefillImport, refill_sig);

  const Meter meter(fuel_index, refill_index);
  for (Index i = module.num_func_imports; i < module.funcs.size(); ++i) meter.function(*module.funcs[i]);

  return write_ir(module, origin);
}

}  // namespace wactor::instrument
