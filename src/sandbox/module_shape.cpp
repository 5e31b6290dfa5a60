#include "sandbox/module_shape.h"

#include "sandbox/leb128.h"

#include <algorithm>
#include <optional>
#include <string>

#include "wabt/binary-reader-nop.h"
#include "wabt/binary-reader.h"

namespace wactor::sandbox {
namespace {

// Counts as libwabt's (iterative) binary reader goes; stops it at the first limit passed.
class ShapeCounter final : public wabt::BinaryReaderNop {
 public:
  explicit ShapeCounter(const ShapeLimits& limits) : limits_(limits) {}

  // Handled (not printed): a failed read is reported by the caller or the validating reader.
  bool OnError(const wabt::Error&) override { return true; }

  // Set when a limit stopped the reader (otherwise a failed read means malformed bytes).
  std::optional<std::string> exceeded;

  wabt::Result OnTypeCount(wabt::Index n) override { return check("type count", n, limits_.types); }
  wabt::Result OnFuncType(wabt::Index, wabt::Index params, wabt::Type*, wabt::Index results, wabt::Type*) override {
    if (check("function type parameter count", params, limits_.params_or_results) == wabt::Result::Error) {
      return wabt::Result::Error;
    }
    return check("function type result count", results, limits_.params_or_results);
  }
  wabt::Result OnImportCount(wabt::Index n) override { return check("import count", n, limits_.imports); }
  wabt::Result OnImportTable(wabt::Index, std::string_view, std::string_view, wabt::Index, wabt::Type,
                             const wabt::Limits*) override {
    return check("table count", ++tables_, limits_.tables);
  }
  wabt::Result OnImportMemory(wabt::Index, std::string_view, std::string_view, wabt::Index,
                              const wabt::Limits*) override {
    return check("memory count", ++memories_, limits_.memories);
  }
  wabt::Result OnExportCount(wabt::Index n) override { return check("export count", n, limits_.exports); }
  wabt::Result OnFunctionCount(wabt::Index n) override { return check("function count", n, limits_.functions); }
  wabt::Result OnFunctionBodyCount(wabt::Index n) override { return check("function count", n, limits_.functions); }
  wabt::Result OnTableCount(wabt::Index n) override { return check("table count", tables_ + n, limits_.tables); }
  wabt::Result OnTable(wabt::Index, wabt::Type, const wabt::Limits*) override { ++tables_; return wabt::Result::Ok; }
  wabt::Result OnMemoryCount(wabt::Index n) override { return check("memory count", memories_ + n, limits_.memories); }
  wabt::Result OnMemory(wabt::Index, const wabt::Limits*) override { ++memories_; return wabt::Result::Ok; }
  wabt::Result OnGlobalCount(wabt::Index n) override { return check("global count", n, limits_.globals); }
  wabt::Result OnElemSegmentCount(wabt::Index n) override {
    return check("element segment count", n, limits_.element_segments);
  }
  wabt::Result OnDataSegmentCount(wabt::Index n) override {
    return check("data segment count", n, limits_.data_segments);
  }

  wabt::Result BeginFunctionBody(wabt::Index index, wabt::Offset size) override {
    function_ = index;
    depth_ = 0;
    locals_ = 0;
    return check("function body size (bytes)", size, limits_.function_body_bytes);
  }
  wabt::Result OnLocalDecl(wabt::Index, wabt::Index count, wabt::Type) override {
    locals_ += count;
    return check("local count", locals_, limits_.locals);
  }
  wabt::Result OnBlockExpr(wabt::Type) override { return enter(); }
  wabt::Result OnLoopExpr(wabt::Type) override { return enter(); }
  wabt::Result OnIfExpr(wabt::Type) override { return enter(); }
  wabt::Result OnTryExpr(wabt::Type) override { return enter(); }
  wabt::Result OnEndExpr() override {
    if (depth_ > 0) --depth_;
    return wabt::Result::Ok;
  }
  wabt::Result OnBrTableExpr(wabt::Index targets, wabt::Index*, wabt::Index) override {
    return check("br_table target count", targets, limits_.br_table_targets);
  }

 private:
  wabt::Result enter() { return check("control nesting depth", ++depth_, limits_.nesting_depth); }

  wabt::Result check(const char* what, std::uint64_t n, std::uint64_t max) {
    if (n <= max) return wabt::Result::Ok;
    std::string where;
    if (function_) where = " (in function body " + std::to_string(*function_) + ")";
    exceeded = std::string(what) + " " + std::to_string(n) + " exceeds the limit of " + std::to_string(max) + where;
    return wabt::Result::Error;
  }

  const ShapeLimits& limits_;
  std::optional<wabt::Index> function_;
  std::uint64_t depth_ = 0;
  std::uint64_t locals_ = 0;
  std::uint64_t tables_ = 0;
  std::uint64_t memories_ = 0;
};

}  // namespace

Status check_module_shape(std::span<const std::uint8_t> wasm, std::string_view origin, const ShapeLimits& limits) {
  if (wasm.size() > limits.module_bytes) {
    return make_error(ErrorCode::kResourceExhausted, std::string(origin) + ": module size " +
                                                         std::to_string(wasm.size()) + " bytes exceeds the limit of " +
                                                         std::to_string(limits.module_bytes) + " bytes");
  }
  ShapeCounter counter(limits);
  wabt::Features features;
  const wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false, /*stop_on_first_error=*/true,
                                        /*fail_on_custom_section_error=*/false);
  if (wabt::Failed(wabt::ReadBinary(wasm.data(), wasm.size(), &counter, options)) && counter.exceeded) {
    // One memory is the core spec's own rule (no multi-memory): an invalid module, not a limit.
    const auto code = counter.exceeded->starts_with("memory count") ? ErrorCode::kInvalidModule
                                                                     : ErrorCode::kResourceExhausted;
    return make_error(code, std::string(origin) + ": " + *counter.exceeded);
  }
  return {};
}

namespace {

bool read_leb(std::span<const std::uint8_t> b, std::size_t& pos, std::uint64_t& out) {
  out = 0;
  for (int shift = 0; shift < 64 && pos < b.size(); shift += 7) {
    const std::uint8_t byte = b[pos++];
    out |= std::uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

// The table section's payload with clamped maxima, or nothing if it does not parse.
std::optional<std::vector<std::uint8_t>> clamp_tables(std::span<const std::uint8_t> p, std::uint32_t cap) {
  std::vector<std::uint8_t> out;
  std::size_t pos = 0;
  std::uint64_t count = 0;
  if (!read_leb(p, pos, count)) return std::nullopt;
  append_uleb128(out, count);
  for (std::uint64_t i = 0; i < count; ++i) {
    if (pos + 2 > p.size()) return std::nullopt;
    const std::uint8_t elem_type = p[pos++];
    const std::uint8_t flags = p[pos++];
    if (flags > 1) return std::nullopt;
    std::uint64_t initial = 0, max = cap;
    if (!read_leb(p, pos, initial)) return std::nullopt;
    if (flags == 1 && !read_leb(p, pos, max)) return std::nullopt;
    out.push_back(elem_type);
    out.push_back(0x01);
    append_uleb128(out, initial);
    append_uleb128(out, std::min<std::uint64_t>(max, cap));
  }
  if (pos != p.size()) return std::nullopt;
  return out;
}

}  // namespace

std::vector<std::uint8_t> clamp_table_maximum(std::span<const std::uint8_t> wasm, std::uint32_t max_elements) {
  const std::vector<std::uint8_t> unchanged(wasm.begin(), wasm.end());
  if (wasm.size() < 8) return unchanged;
  std::vector<std::uint8_t> out(wasm.begin(), wasm.begin() + 8);
  std::size_t pos = 8;
  while (pos < wasm.size()) {
    const std::uint8_t id = wasm[pos++];
    std::uint64_t size = 0;
    if (!read_leb(wasm, pos, size) || size > wasm.size() - pos) return unchanged;
    const auto payload = wasm.subspan(pos, static_cast<std::size_t>(size));
    pos += static_cast<std::size_t>(size);
    out.push_back(id);
    if (id == 4) {
      auto clamped = clamp_tables(payload, max_elements);
      if (!clamped) return unchanged;
      append_uleb128(out, clamped->size());
      out.insert(out.end(), clamped->begin(), clamped->end());
    } else {
      append_uleb128(out, payload.size());
      out.insert(out.end(), payload.begin(), payload.end());
    }
  }
  return out;
}

}  // namespace wactor::sandbox
