#include "engine/wasm2c/rename.h"

#include "sandbox/leb128.h"

#include <algorithm>
#include <optional>

namespace wactor::engine::aot {
namespace {

constexpr std::uint8_t kCustomSection = 0;
constexpr std::uint8_t kImportSection = 2;
constexpr std::uint8_t kExportSection = 7;
constexpr std::uint8_t kCodeSection = 10;
constexpr std::size_t kHeader = 8;  // magic, version

// A cursor over a byte range; every read fails (nullopt) past the end.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool done() const { return pos_ >= bytes_.size(); }
  std::size_t pos() const { return pos_; }

  std::optional<std::uint8_t> byte() {
    if (done()) return std::nullopt;
    return bytes_[pos_++];
  }
  std::optional<std::uint64_t> leb() {
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      auto b = byte();
      if (!b) return std::nullopt;
      value |= static_cast<std::uint64_t>(*b & 0x7f) << shift;
      if (!(*b & 0x80)) return value;
    }
    return std::nullopt;
  }
  // Skips n bytes; false past the end.
  bool skip(std::uint64_t n) {
    if (n > bytes_.size() - pos_) return false;
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  bool skip_name() {
    auto n = leb();
    return n && skip(*n);
  }
  std::span<const std::uint8_t> slice(std::size_t from) const { return bytes_.subspan(from, pos_ - from); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

void put_name(std::vector<std::uint8_t>& out, std::string_view name) {
  sandbox::append_uleb128(out, name.size());
  out.insert(out.end(), name.begin(), name.end());
}

// limits: flags, min, [max] (flags bit 0).
bool skip_limits(Reader& r) {
  auto flags = r.byte();
  if (!flags || !r.leb()) return false;
  return !(*flags & 1) || r.leb().has_value();
}

// An import's description after its names; false if malformed.
bool skip_import_desc(Reader& r) {
  auto kind = r.byte();
  if (!kind) return false;
  switch (*kind) {
    case 0: return r.leb().has_value();                          // func: type index
    case 1: return r.byte().has_value() && skip_limits(r);       // table: reftype, limits
    case 2: return skip_limits(r);                               // memory
    case 3: return r.byte().has_value() && r.byte().has_value(); // global: valtype, mut
    case 4: return r.byte().has_value() && r.leb().has_value();  // tag: attribute, type index
    default: return false;
  }
}

std::optional<std::vector<std::uint8_t>> rename_imports(Reader r, std::size_t& next) {
  std::vector<std::uint8_t> out;
  auto count = r.leb();
  if (!count) return std::nullopt;
  sandbox::append_uleb128(out, *count);
  for (std::uint64_t i = 0; i < *count; ++i) {
    if (!r.skip_name() || !r.skip_name()) return std::nullopt;
    const std::size_t desc = r.pos();
    if (!skip_import_desc(r)) return std::nullopt;
    put_name(out, kImportModule);
    put_name(out, import_name(next++));
    const auto d = r.slice(desc);
    out.insert(out.end(), d.begin(), d.end());
  }
  if (!r.done()) return std::nullopt;
  return out;
}

std::optional<std::vector<std::uint8_t>> rename_exports(Reader r) {
  std::vector<std::uint8_t> out;
  auto count = r.leb();
  if (!count) return std::nullopt;
  sandbox::append_uleb128(out, *count);
  for (std::uint64_t i = 0; i < *count; ++i) {
    if (!r.skip_name()) return std::nullopt;
    const std::size_t desc = r.pos();
    if (!r.byte() || !r.leb()) return std::nullopt;  // kind, index
    put_name(out, export_name(i));
    const auto d = r.slice(desc);
    out.insert(out.end(), d.begin(), d.end());
  }
  if (!r.done()) return std::nullopt;
  return out;
}

}  // namespace

std::string import_name(std::size_t index) { return "i" + std::to_string(index); }
std::string export_name(std::size_t index) { return "e" + std::to_string(index); }

Result<std::vector<std::uint8_t>> rename_for_wasm2c(std::span<const std::uint8_t> wasm) {
  auto malformed = [] { return make_error(ErrorCode::kInvalidModule, "malformed module (renaming for wasm2c)"); };
  if (wasm.size() < kHeader) return malformed();
  std::vector<std::uint8_t> out(wasm.begin(), wasm.begin() + kHeader);
  Reader r(wasm.subspan(kHeader));
  std::size_t imports = 0;
  while (!r.done()) {
    auto id = r.byte();
    auto size = r.leb();
    if (!id || !size) return malformed();
    const std::size_t start = r.pos();
    if (!r.skip(*size)) return malformed();
    const auto payload = r.slice(start);
    std::optional<std::vector<std::uint8_t>> renamed;
    if (*id == kCustomSection) continue;
    if (*id == kImportSection) {
      renamed = rename_imports(Reader(payload), imports);
      if (!renamed) return malformed();
    } else if (*id == kExportSection) {
      renamed = rename_exports(Reader(payload));
      if (!renamed) return malformed();
    }
    const auto body = renamed ? std::span<const std::uint8_t>(*renamed) : payload;
    out.push_back(*id);
    sandbox::append_uleb128(out, body.size());
    out.insert(out.end(), body.begin(), body.end());
  }
  return out;
}

std::uint64_t largest_function_body(std::span<const std::uint8_t> wasm) {
  if (wasm.size() < kHeader) return 0;
  Reader r(wasm.subspan(kHeader));
  while (!r.done()) {
    auto id = r.byte();
    auto size = r.leb();
    if (!id || !size) return 0;
    const std::size_t start = r.pos();
    if (!r.skip(*size)) return 0;
    if (*id != kCodeSection) continue;
    Reader code(r.slice(start));
    auto count = code.leb();
    std::uint64_t largest = 0;
    for (std::uint64_t i = 0; count && i < *count; ++i) {
      auto body = code.leb();
      if (!body || !code.skip(*body)) break;
      largest = std::max(largest, *body);
    }
    return largest;
  }
  return 0;
}

}  // namespace wactor::engine::aot
