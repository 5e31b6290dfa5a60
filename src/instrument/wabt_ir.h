// libwabt IR plumbing shared by the instrumentation passes: read (validated, shape-checked),
// walk, append, write.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "wabt/cast.h"
#include "wabt/ir.h"
#include "wactor/result.h"

namespace wactor::instrument {

// Checks the module's shape (nesting at most `nesting_depth`), validates it with libwabt's
// validating reader (its IR reader asserts on some malformed code) and reads it as IR.
// Errors are kResourceExhausted or kInvalidModule and start with "<origin>: ".
[[nodiscard]] Result<std::unique_ptr<wabt::Module>> read_ir(std::span<const std::uint8_t> wasm, std::string_view origin,
                                                            std::uint32_t nesting_depth);

// Writes the module back to bytes (kInternal on failure).
[[nodiscard]] Result<std::vector<std::uint8_t>> write_ir(const wabt::Module& module, std::string_view origin);

// Appends a mutable global of type `type` initialised by `init`; returns its index.
wabt::Index append_global(wabt::Module& module, wabt::Type type, wabt::Const init);

// The index of a function type with this signature, appended if there is none.
wabt::Index find_or_append_type(wabt::Module& module, const wabt::FuncSignature& sig);

// Every reference to a function index at or above `from` moves up by `by` (imported
// functions are being inserted at `from`): calls, ref.func, exports, start, elements.
void renumber_funcs(wabt::Module& module, wabt::Index from, wabt::Index by);

// Inserts the imported function wactor-internal.<name> at function index `at` (after
// renumber_funcs made room for it).
void insert_internal_import(wabt::Module& module, wabt::Index at, std::string_view name,
                            const wabt::FuncSignature& sig);

// Calls visit(expr) for every expression in `list` and in the lists nested in it, children
// first (so a visitor may change a loop's body after it was walked). Recursion depth is the
// module's nesting depth, which the shape check bounds.
template <typename Visit>
void walk(wabt::ExprList& list, const Visit& visit) {
  for (wabt::Expr& e : list) {
    switch (e.type()) {
      case wabt::ExprType::Block: walk(wabt::cast<wabt::BlockExpr>(&e)->block.exprs, visit); break;
      case wabt::ExprType::Loop: walk(wabt::cast<wabt::LoopExpr>(&e)->block.exprs, visit); break;
      case wabt::ExprType::If: {
        auto* i = wabt::cast<wabt::IfExpr>(&e);
        walk(i->true_.exprs, visit);
        walk(i->false_, visit);
        break;
      }
      case wabt::ExprType::Try: {
        auto* t = wabt::cast<wabt::TryExpr>(&e);
        walk(t->block.exprs, visit);
        for (auto& c : t->catches) walk(c.exprs, visit);
        break;
      }
      default: break;
    }
    visit(e);
  }
}

// Calls visit(list) for `list` and every list nested in it (parents first).
template <typename Visit>
void walk_lists(wabt::ExprList& list, const Visit& visit) {
  visit(list);
  for (wabt::Expr& e : list) {
    switch (e.type()) {
      case wabt::ExprType::Block: walk_lists(wabt::cast<wabt::BlockExpr>(&e)->block.exprs, visit); break;
      case wabt::ExprType::Loop: walk_lists(wabt::cast<wabt::LoopExpr>(&e)->block.exprs, visit); break;
      case wabt::ExprType::If: {
        auto* i = wabt::cast<wabt::IfExpr>(&e);
        walk_lists(i->true_.exprs, visit);
        walk_lists(i->false_, visit);
        break;
      }
      case wabt::ExprType::Try: {
        auto* t = wabt::cast<wabt::TryExpr>(&e);
        walk_lists(t->block.exprs, visit);
        for (auto& c : t->catches) walk_lists(c.exprs, visit);
        break;
      }
      default: break;
    }
  }
}

}  // namespace wactor::instrument
