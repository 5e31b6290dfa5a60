// Spec values against engine values: parsing, comparing (NaN patterns included) and the
// engines' trap messages against the spec's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "script.h"
#include "wactor/engine.h"

namespace wactor::spec {

// The engine type of a spec type name; nullopt for reference and vector types, which the
// engine interface does not pass.
[[nodiscard]] std::optional<engine::ValType> number_type(std::string_view type);

// The value of a number argument; nullopt when it is not one.
[[nodiscard]] std::optional<engine::Val> parse_value(const Value& v);

// Whether `actual` is what `expected` asks for: the same bits, or for "nan:canonical" the
// canonical NaN of either sign, for "nan:arithmetic" any NaN with the quiet bit set.
[[nodiscard]] bool value_matches(const Value& expected, const engine::TypedVal& actual);

// "i32:42", "f32:0x7fc00000"
[[nodiscard]] std::string describe(const engine::TypedVal& v);
[[nodiscard]] std::string describe(const Value& v);

// Whether an engine's trap message says what the spec's does. Engines word some traps their
// own way (values.cpp lists which); a trap of another kind never matches.
[[nodiscard]] bool trap_matches(std::string_view engine, std::string_view expected, std::string_view actual);

}  // namespace wactor::spec
