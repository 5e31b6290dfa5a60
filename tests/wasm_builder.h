// A minimal WebAssembly binary writer for tests that need hostile shapes too big or too
// regular to keep as .wat files (deep nesting, huge counts, big tables).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sandbox/leb128.h"

namespace wactor::test {

using Bytes = std::vector<std::uint8_t>;

inline void leb_u(Bytes& out, std::uint64_t v) { sandbox::append_uleb128(out, v); }

inline void leb_s(Bytes& out, std::int64_t v) {
  bool more = true;
  while (more) {
    std::uint8_t b = v & 0x7f;
    v >>= 7;
    if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40))) {
      more = false;
    } else {
      b |= 0x80;
    }
    out.push_back(b);
  }
}

inline constexpr std::uint8_t kI32 = 0x7f, kI64 = 0x7e, kFuncRef = 0x70;

struct WasmBuilder {
  struct Func {
    std::uint32_t type;
    Bytes locals;  // already encoded: vec of (count, type)
    Bytes code;    // instructions, without the final end
  };
  struct Import {
    std::string module, name;
    std::uint32_t type;
  };
  struct Table {
    std::uint32_t initial;
    bool has_max;
    std::uint32_t max;
  };
  struct Export {
    std::string name;
    std::uint8_t kind;
    std::uint32_t index;
  };

  std::vector<Bytes> types;
  std::vector<Import> imports;
  std::vector<Func> funcs;
  std::vector<Table> tables;
  std::vector<Export> exports;
  Bytes elem_section;  // raw payload of the element section, if any
  bool memory = false;
  std::uint32_t memory_pages = 1;

  std::uint32_t type(std::vector<std::uint8_t> params, std::vector<std::uint8_t> results) {
    Bytes t{0x60};
    leb_u(t, params.size());
    t.insert(t.end(), params.begin(), params.end());
    leb_u(t, results.size());
    t.insert(t.end(), results.begin(), results.end());
    types.push_back(std::move(t));
    return static_cast<std::uint32_t>(types.size() - 1);
  }
  // Returns the function's index (imports come first).
  std::uint32_t func(std::uint32_t t, Bytes code, Bytes locals = {0}) {
    funcs.push_back({t, std::move(locals), std::move(code)});
    return static_cast<std::uint32_t>(imports.size() + funcs.size() - 1);
  }
  void export_func(const std::string& name, std::uint32_t index) { exports.push_back({name, 0, index}); }

  static void name(Bytes& out, const std::string& s) {
    leb_u(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  static void section(Bytes& out, std::uint8_t id, const Bytes& payload) {
    out.push_back(id);
    leb_u(out, payload.size());
    out.insert(out.end(), payload.begin(), payload.end());
  }

  Bytes build() const {
    Bytes out{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    Bytes s;
    leb_u(s, types.size());
    for (const auto& t : types) s.insert(s.end(), t.begin(), t.end());
    section(out, 1, s);
    if (!imports.empty()) {
      s.clear();
      leb_u(s, imports.size());
      for (const auto& i : imports) {
        name(s, i.module);
        name(s, i.name);
        s.push_back(0x00);
        leb_u(s, i.type);
      }
      section(out, 2, s);
    }
    s.clear();
    leb_u(s, funcs.size());
    for (const auto& f : funcs) leb_u(s, f.type);
    section(out, 3, s);
    if (!tables.empty()) {
      s.clear();
      leb_u(s, tables.size());
      for (const auto& t : tables) {
        s.push_back(kFuncRef);
        s.push_back(t.has_max ? 0x01 : 0x00);
        leb_u(s, t.initial);
        if (t.has_max) leb_u(s, t.max);
      }
      section(out, 4, s);
    }
    if (memory) {
      s.clear();
      s.push_back(1);
      s.push_back(0x00);
      leb_u(s, memory_pages);
      section(out, 5, s);
    }
    s.clear();
    leb_u(s, exports.size());
    for (const auto& e : exports) {
      name(s, e.name);
      s.push_back(e.kind);
      leb_u(s, e.index);
    }
    section(out, 7, s);
    if (!elem_section.empty()) section(out, 9, elem_section);
    s.clear();
    leb_u(s, funcs.size());
    for (const auto& f : funcs) {
      Bytes body = f.locals;
      body.insert(body.end(), f.code.begin(), f.code.end());
      body.push_back(0x0b);
      leb_u(s, body.size());
      s.insert(s.end(), body.begin(), body.end());
    }
    section(out, 10, s);
    return out;
  }
};

// (func (export "f") (result i32) block ... block i32.const 7 br 0 end ... end) nested `depth` deep.
inline Bytes nested_blocks_module(std::uint32_t depth) {
  WasmBuilder b;
  const auto t = b.type({}, {kI32});
  Bytes code;
  code.reserve(depth * 3 + 8);
  for (std::uint32_t i = 0; i < depth; ++i) code.insert(code.end(), {0x02, 0x40});  // block (no result)
  for (std::uint32_t i = 0; i < depth; ++i) code.push_back(0x0b);
  code.insert(code.end(), {0x41, 0x07});  // i32.const 7
  b.export_func("f", b.func(t, std::move(code)));
  return b.build();
}

}  // namespace wactor::test
