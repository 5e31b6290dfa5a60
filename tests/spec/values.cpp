#include "values.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <vector>

namespace wactor::spec {

using engine::TypedVal;
using engine::Val;
using engine::ValType;

namespace {

std::optional<std::uint64_t> parse_bits(const std::string& text) {
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return v;
}

std::uint64_t bits_of(const TypedVal& v) {
  switch (v.type) {
    case ValType::kI32: return static_cast<std::uint32_t>(v.val.i32);
    case ValType::kI64: return static_cast<std::uint64_t>(v.val.i64);
    case ValType::kF32: {
      std::uint32_t b = 0;
      std::memcpy(&b, &v.val.f32, sizeof b);
      return b;
    }
    case ValType::kF64: {
      std::uint64_t b = 0;
      std::memcpy(&b, &v.val.f64, sizeof b);
      return b;
    }
    case ValType::kOther: break;
  }
  return 0;
}

// Engine wordings of a spec trap message: each engine's message starts with one of these.
struct Wording {
  std::string_view engine;  // "" for every engine
  std::string_view spec;
  std::string_view engine_prefix;
};
constexpr Wording kWordings[] = {
    // libwabt's interpreter names table traps its own way.
    {"interp", "undefined element", "undefined table index"},
    {"interp", "uninitialized element", "uninitialized table element"},
    {"interp", "indirect call type mismatch", "indirect call signature mismatch"},
    // wasm2c 1.0.32 has one trap code for every failed call_indirect (index out of range,
    // null entry, wrong type) and one for every out-of-bounds access (memory and table).
    {"aot", "undefined element", "indirect call to a null or mistyped table element"},
    {"aot", "uninitialized element", "indirect call to a null or mistyped table element"},
    {"aot", "indirect call type mismatch", "indirect call to a null or mistyped table element"},
    {"aot", "out of bounds table access", "out of bounds memory access"},
};

}  // namespace

std::optional<ValType> number_type(std::string_view type) {
  if (type == "i32") return ValType::kI32;
  if (type == "i64") return ValType::kI64;
  if (type == "f32") return ValType::kF32;
  if (type == "f64") return ValType::kF64;
  return std::nullopt;
}

std::optional<Val> parse_value(const Value& v) {
  const auto type = number_type(v.type);
  const auto bits = parse_bits(v.text);
  if (!type || !bits) return std::nullopt;
  Val out{};
  switch (*type) {
    case ValType::kI32: out.i32 = static_cast<std::int32_t>(static_cast<std::uint32_t>(*bits)); break;
    case ValType::kI64: out.i64 = static_cast<std::int64_t>(*bits); break;
    case ValType::kF32: {
      const auto b = static_cast<std::uint32_t>(*bits);
      std::memcpy(&out.f32, &b, sizeof b);
      break;
    }
    case ValType::kF64: std::memcpy(&out.f64, &*bits, sizeof *bits); break;
    case ValType::kOther: return std::nullopt;
  }
  return out;
}

bool value_matches(const Value& expected, const TypedVal& actual) {
  const auto type = number_type(expected.type);
  if (!type || *type != actual.type) return false;
  const std::uint64_t bits = bits_of(actual);
  const bool f32 = actual.type == ValType::kF32;
  if (expected.text == "nan:canonical") {
    return f32 ? (bits & 0x7fffffffu) == 0x7fc00000u : (bits & 0x7fffffffffffffffu) == 0x7ff8000000000000u;
  }
  if (expected.text == "nan:arithmetic") {
    return f32 ? (bits & 0x7fc00000u) == 0x7fc00000u : (bits & 0x7ff8000000000000u) == 0x7ff8000000000000u;
  }
  const auto want = parse_bits(expected.text);
  return want && *want == bits;
}

std::string describe(const TypedVal& v) {
  char buf[48];
  const std::uint64_t bits = bits_of(v);
  switch (v.type) {
    case ValType::kI32: std::snprintf(buf, sizeof buf, "i32:%u", static_cast<unsigned>(bits)); break;
    case ValType::kI64: std::snprintf(buf, sizeof buf, "i64:%llu", static_cast<unsigned long long>(bits)); break;
    case ValType::kF32: std::snprintf(buf, sizeof buf, "f32:0x%08llx", static_cast<unsigned long long>(bits)); break;
    case ValType::kF64: std::snprintf(buf, sizeof buf, "f64:0x%016llx", static_cast<unsigned long long>(bits)); break;
    case ValType::kOther: return "other";
  }
  return buf;
}

std::string describe(const Value& v) {
  if (auto val = parse_value(v)) return describe(TypedVal{*number_type(v.type), *val});
  return v.type + ":" + v.text;
}

bool trap_matches(std::string_view engine, std::string_view expected, std::string_view actual) {
  // The reference interpreter adds detail after the message ("uninitialized element 2").
  if (expected.rfind("uninitialized element", 0) == 0) expected = "uninitialized element";
  if (actual.rfind(expected, 0) == 0) return true;
  for (const Wording& w : kWordings) {
    if ((w.engine.empty() || w.engine == engine) && w.spec == expected && actual.rfind(w.engine_prefix, 0) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace wactor::spec
