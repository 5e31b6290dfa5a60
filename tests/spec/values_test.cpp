// The spec runner's own logic: value comparison (NaN patterns) and trap wordings.
#include <gtest/gtest.h>

#include <cstring>

#include "values.h"

namespace wactor::spec {
namespace {

using engine::TypedVal;
using engine::ValType;

TypedVal f32_bits(std::uint32_t bits) {
  TypedVal v{ValType::kF32, {}};
  std::memcpy(&v.val.f32, &bits, sizeof bits);
  return v;
}

TypedVal f64_bits(std::uint64_t bits) {
  TypedVal v{ValType::kF64, {}};
  std::memcpy(&v.val.f64, &bits, sizeof bits);
  return v;
}

TEST(SpecValues, NumbersCompareBitForBit) {
  TypedVal i{ValType::kI32, {}};
  i.val.i32 = -1;
  EXPECT_TRUE(value_matches({"i32", "4294967295"}, i));
  EXPECT_FALSE(value_matches({"i64", "4294967295"}, i));
  EXPECT_TRUE(value_matches({"f32", "2147483648"}, f32_bits(0x80000000u)));  // -0
  EXPECT_FALSE(value_matches({"f32", "0"}, f32_bits(0x80000000u)));
  EXPECT_EQ(describe(i), "i32:4294967295");
}

TEST(SpecValues, NanPatterns) {
  EXPECT_TRUE(value_matches({"f32", "nan:canonical"}, f32_bits(0x7fc00000u)));
  EXPECT_TRUE(value_matches({"f32", "nan:canonical"}, f32_bits(0xffc00000u)));
  EXPECT_FALSE(value_matches({"f32", "nan:canonical"}, f32_bits(0x7fc00001u)));
  EXPECT_TRUE(value_matches({"f32", "nan:arithmetic"}, f32_bits(0x7fc00001u)));
  EXPECT_FALSE(value_matches({"f32", "nan:arithmetic"}, f32_bits(0x7fa00000u)));  // signalling
  EXPECT_TRUE(value_matches({"f64", "nan:canonical"}, f64_bits(0xfff8000000000000u)));
  EXPECT_TRUE(value_matches({"f64", "nan:arithmetic"}, f64_bits(0x7ff8000000000001u)));
  EXPECT_FALSE(value_matches({"f64", "nan:arithmetic"}, f64_bits(0x7ff4000000000000u)));
  EXPECT_FALSE(value_matches({"f64", "nan:arithmetic"}, f64_bits(0x3ff0000000000000u)));
}

TEST(SpecValues, ReferenceValuesAreNotNumbers) {
  EXPECT_FALSE(number_type("externref"));
  EXPECT_FALSE(parse_value({"funcref", "null"}));
  EXPECT_FALSE(parse_value({"i32", "12x"}));
}

TEST(SpecValues, TrapWordingsAreEngineSpecific) {
  EXPECT_TRUE(trap_matches("interp", "unreachable", "unreachable executed"));
  EXPECT_TRUE(trap_matches("interp", "undefined element", "undefined table index"));
  EXPECT_FALSE(trap_matches("aot", "undefined element", "undefined table index"));
  EXPECT_TRUE(trap_matches("aot", "uninitialized element 2", "indirect call to a null or mistyped table element"));
  EXPECT_TRUE(trap_matches("aot", "out of bounds table access", "out of bounds memory access"));
  EXPECT_FALSE(trap_matches("interp", "out of bounds table access", "out of bounds memory access: access at 1"));
  EXPECT_FALSE(trap_matches("interp", "integer divide by zero", "integer overflow"));
}

}  // namespace
}  // namespace wactor::spec
