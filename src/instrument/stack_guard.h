// The interpreter's call-depth guard. libwabt 1.0.32's interpreter returns "ok" from a
// call_indirect whose frame could not be pushed (Thread::DoCall ignores PushCall's trap), so
// runaway recursion through a table corrupts its value stack or aborts the host on an
// assertion; its value stack has no limit at all. The guard keeps every guest below those
// limits from inside the module: a global budget, decremented at each function entry by the
// function's frame weight and restored on every exit; a call that would take it below zero
// traps before its frame is used. The interp engine applies it to every module it loads
// (metered or not); the aot engine has a native stack check and does not pay for it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "wactor/result.h"

namespace wactor::instrument {

// Budget of the guard, in value slots. A function's weight is kFrameWeight plus its
// parameters, locals and the most operand values it can hold at once, so at most
// kStackBudget / kFrameWeight = 1500 guest frames are live (libwabt's call stack holds
// 1638) and at most kStackBudget values (1.5 MiB) sit on the interpreter's value stack.
inline constexpr std::int32_t kFrameWeight = 64;
inline constexpr std::int32_t kStackBudget = 1500 * kFrameWeight;

struct GuardedModule {
  std::vector<std::uint8_t> wasm;
  std::uint32_t budget_global = 0;  // index (in the global index space) of the budget
};

// Adds the guard. The budget global is neither imported nor exported: the engine reaches it
// by index, reads a negative value after a trap as "call stack exhausted" and resets it.
[[nodiscard]] Result<GuardedModule> add_stack_guard(std::span<const std::uint8_t> wasm, std::string_view origin);

}  // namespace wactor::instrument
