#include "differential.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "instrument/metering.h"
#include "wabt/binary-writer.h"
#include "wabt/stream.h"
#include "wabt/validator.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace wactor::difffuzz {
namespace {

using engine::ExternKind;
using engine::HostOutcome;
using engine::Val;
using engine::ValType;

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// One value as text. Floats bitwise, except that every NaN prints as "nan": the spec lets
// engines differ in a NaN's sign and payload.
std::string show(ValType t, const Val& v) {
  switch (t) {
    case ValType::kI32: return "i32:" + std::to_string(v.i32);
    case ValType::kI64: return "i64:" + std::to_string(v.i64);
    case ValType::kF32: return std::isnan(v.f32) ? "f32:nan" : "f32:" + hex(std::bit_cast<std::uint32_t>(v.f32));
    case ValType::kF64: return std::isnan(v.f64) ? "f64:nan" : "f64:" + hex(std::bit_cast<std::uint64_t>(v.f64));
    case ValType::kOther: break;
  }
  return "?";
}

std::string show_all(const std::vector<ValType>& types, const Val* vals) {
  std::string out;
  for (std::size_t i = 0; i < types.size(); ++i) out += (i ? " " : "") + show(types[i], vals[i]);
  return out;
}

bool plain(const engine::Signature& sig) {
  for (ValType t : sig.params) if (t == ValType::kOther) return false;
  for (ValType t : sig.results) if (t == ValType::kOther) return false;
  return true;
}

// The arguments of the second round: edge values, the i-th parameter taking the i-th value
// (wrapping), so conversions, shifts, divisions and float rounding meet their corners.
Val edge_value(ValType t, std::size_t i) {
  static constexpr std::int32_t i32s[] = {-1, INT32_MIN, INT32_MAX, 1, 65536, 31, 42};
  static constexpr std::int64_t i64s[] = {-1, INT64_MIN, INT64_MAX, 1, 0x100000000LL, 63, 42};
  static constexpr float f32s[] = {-0.0f, 1.5f, -2.5f, 3e9f, 0.49999997f, -1e38f, 1e-45f};
  static constexpr double f64s[] = {-0.0, 2.5, -1.5, 9007199254740993.0, 4294967296.5, -1e300, 5e-324};
  constexpr std::size_t n = 7;
  Val v{.i64 = 0};
  switch (t) {
    case ValType::kI32: v.i32 = i32s[i % n]; break;
    case ValType::kI64: v.i64 = i64s[i % n]; break;
    case ValType::kF32: v.f32 = i % 4 == 3 ? INFINITY : f32s[i % n]; break;
    case ValType::kF64: v.f64 = i % 4 == 3 ? -INFINITY : f64s[i % n]; break;
    case ValType::kOther: break;
  }
  return v;
}

// What one step did on one engine.
struct Outcome {
  std::string result;              // "ok <values>" or "trap <kind>"
  std::string message;             // the engine's own trap message (shown, not compared)
  std::vector<std::string> calls;  // host calls made, with their arguments
};

// One engine's side of the comparison. Not movable: the host functions point at it.
class Side {
 public:
  Side(engine::Engine& e, const Config& config) : engine_(e), config_(config) {}
  Side(const Side&) = delete;
  Side& operator=(const Side&) = delete;

  std::string_view name() const { return engine_.name(); }

  Status load(std::span<const std::uint8_t> metered, std::string_view origin) {
    engine::LoadOptions options;
    options.max_memory_pages = config_.max_memory_pages;
    auto m = engine_.load(metered, origin, options);
    if (!m.ok()) return std::move(m).take_error();
    module_ = std::move(m).value();
    return {};
  }
  const engine::ModuleInfo& info() const { return module_->info(); }

  // The start function (if any) gets one slice of fuel through the refill import.
  Outcome instantiate() {
    std::vector<engine::HostFunction> imports;
    for (const auto& imp : info().imports) {
      if (imp.kind != ExternKind::kFunc) continue;  // refused alike by both engines
      imports.push_back({imp.module, imp.name, imp.sig, host_function(imp)});
    }
    calls_.clear();
    refills_ = 1;
    auto inst = module_->instantiate(imports);
    if (!inst.ok()) return finish(std::move(inst).take_error());
    instance_ = std::move(inst).value();
    if (auto g = instance_->find_i64_global(instrument::kFuelGlobal); g.ok()) fuel_ = *g;
    return finish(std::nullopt, "");
  }
  bool instantiated() const { return instance_ != nullptr; }

  // Calls an export with the arguments of `round` (0: zeros) and exactly `fuel_per_step`
  // units of fuel.
  Outcome call(const engine::ExportInfo& e, int round) {
    calls_.clear();
    refills_ = 0;
    auto fn = instance_->find_function(e.name, e.sig);
    if (!fn.ok()) return finish(std::move(fn).take_error());
    if (!fuel_ || !instance_->set_i64_global(*fuel_, config_.fuel_per_step).ok()) {
      return finish(make_error(ErrorCode::kInternal, "no fuel global"));
    }
    std::vector<Val> args(e.sig.params.size(), Val{.i64 = 0});
    if (round > 0) {
      for (std::size_t i = 0; i < args.size(); ++i) args[i] = edge_value(e.sig.params[i], i);
    }
    std::vector<Val> results(e.sig.results.size(), Val{.i64 = 0});
    auto s = instance_->call(*fn, args, results);
    if (!s.ok()) return finish(std::move(s).take_error());
    return finish(std::nullopt, show_all(e.sig.results, results.data()));
  }

  std::span<const std::uint8_t> memory() const {
    return instance_ ? std::span<const std::uint8_t>(instance_->memory()) : std::span<const std::uint8_t>();
  }

 private:
  engine::HostCallback host_function(const engine::ImportInfo& imp) {
    if (imp.module == instrument::kInternalModule && imp.name == instrument::kRefillImport) {
      return [this](engine::CallerMemory&, const Val*, Val* r) {
        if (refills_ == 0) return HostOutcome::trapped("fuel: the step's budget is used up");
        --refills_;
        r[0].i64 = config_.fuel_per_step;
        return HostOutcome::ok();
      };
    }
    // Any other import (binaryen's fuzzing-support.log-*): recorded, results zero.
    return [this, label = imp.module + "." + imp.name, sig = imp.sig](engine::CallerMemory&, const Val* a, Val* r) {
      calls_.push_back(label + "(" + show_all(sig.params, a) + ")");
      for (std::size_t i = 0; i < sig.results.size(); ++i) r[i].i64 = 0;
      return HostOutcome::ok();
    };
  }

  Outcome finish(std::optional<Error> error, std::string values = {}) {
    Outcome o;
    if (error) {
      o.result = "trap " + std::string(trap_kind(error->message));
      o.message = error->message;
    } else {
      o.result = "ok " + values;
    }
    o.calls = std::move(calls_);
    calls_.clear();
    return o;
  }

  engine::Engine& engine_;
  const Config& config_;
  std::shared_ptr<const engine::Module> module_;
  std::unique_ptr<engine::Instance> instance_;
  std::optional<engine::ExportIndex> fuel_;
  std::vector<std::string> calls_;
  int refills_ = 0;
};

std::string show_calls(const std::vector<std::string>& calls) {
  std::string out;
  for (const auto& c : calls) out += "\n      " + c;
  return calls.empty() ? " (none)" : out;
}

std::string show_sig(const engine::ExportInfo& e) {
  return e.name + ":" + std::string(extern_kind_name(e.kind)) + e.sig.to_string();
}

bool same_info(const engine::ModuleInfo& a, const engine::ModuleInfo& b) {
  if (a.imports.size() != b.imports.size() || a.exports.size() != b.exports.size()) return false;
  for (std::size_t i = 0; i < a.imports.size(); ++i) {
    const auto &x = a.imports[i], &y = b.imports[i];
    if (x.module != y.module || x.name != y.name || x.kind != y.kind || !(x.sig == y.sig)) return false;
  }
  for (std::size_t i = 0; i < a.exports.size(); ++i) {
    if (show_sig(a.exports[i]) != show_sig(b.exports[i])) return false;
  }
  return true;
}

// "" when the memories are identical, else where they first differ.
std::string memory_difference(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return "memory sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size());
  if (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0) return "";
  std::size_t at = 0;
  while (a[at] == b[at]) ++at;
  std::string out = "memory differs from byte " + std::to_string(at) + ":";
  for (auto m : {a, b}) {
    out += "\n      ";
    for (std::size_t i = at; i < at + 16 && i < m.size(); ++i) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%02x ", m[i]);
      out += buf;
    }
  }
  return out;
}

}  // namespace

std::string_view trap_kind(std::string_view m) {
  auto has = [m](std::string_view s) { return m.find(s) != std::string_view::npos; };
  if (has("fuel")) return "fuel";
  if (has("stack")) return "stack";  // "call stack exhausted" (both), interp's value stack
  if (has("out of bounds")) return "oob";  // memory and table accesses, both engines
  if (has("divide by zero")) return "div0";
  if (has("integer overflow")) return "overflow";
  if (has("invalid conversion")) return "conversion";
  if (has("unreachable")) return "unreachable";
  // call_indirect: aot has one message, interp three.
  if (has("indirect call") || has("undefined table index") || has("uninitialized table element")) return "indirect";
  if (has("out of memory")) return "oom";
  return "other";
}

Report compare(engine::Engine& ea, engine::Engine& eb, std::span<const std::uint8_t> wasm, std::string_view origin,
               const Config& config) {
  Report report;
  auto differ = [&report](std::string what) {
    report.verdict = Verdict::kDiffer;
    report.difference = std::move(what);
    return report;
  };
  auto metered = instrument::add_metering(wasm, origin);
  if (!metered.ok()) return report;  // both engines would get the same refusal

  Side a(ea, config), b(eb, config);
  auto la = a.load(*metered, origin);
  auto lb = b.load(*metered, origin);
  if (la.ok() != lb.ok()) {
    const auto& [ok, bad, err] = la.ok() ? std::tuple(&a, &b, lb.error()) : std::tuple(&b, &a, la.error());
    return differ("load: " + std::string(ok->name()) + " accepts the module, " + std::string(bad->name()) +
                  " refuses it: " + err.to_string().substr(0, 400));
  }
  if (!la.ok()) return report;
  report.loaded = true;
  if (!same_info(a.info(), b.info())) return differ("the engines describe the module's imports or exports differently");

  // Compares one step; false when comparing must stop (a difference or an inconclusive step).
  auto step = [&](const std::string& what, const Outcome& x, const Outcome& y) {
    ++report.steps;
    std::string diff;
    if (x.result != y.result) {
      diff = what + ": " + std::string(a.name()) + " " + x.result + " (" + x.message + "), " + std::string(b.name()) +
             " " + y.result + " (" + y.message + ")";
    } else if (x.calls != y.calls) {
      diff = what + ": host calls differ\n    " + std::string(a.name()) + ":" + show_calls(x.calls) + "\n    " +
             std::string(b.name()) + ":" + show_calls(y.calls);
    } else if (auto m = memory_difference(a.memory(), b.memory()); !m.empty()) {
      diff = what + ": " + m + "  (" + std::string(a.name()) + " first, then " + std::string(b.name()) + ")";
    }
    if (x.result == "trap stack" || y.result == "trap stack") {
      // Each engine has its own stack limit: how deep a recursion got before it trapped is
      // not a difference, and neither is anything that follows from it.
      if (!diff.empty()) {
        report.verdict = Verdict::kInconclusive;
        report.difference = diff;
        return false;
      }
    }
    if (x.result.rfind("trap", 0) == 0) ++report.traps;
    if (!diff.empty()) differ(diff);
    return diff.empty();
  };

  if (!step("instantiate", a.instantiate(), b.instantiate())) return report;
  if (!a.instantiated() || !b.instantiated()) return report;
  for (int round = 0; round < 2; ++round) {
    for (const auto& e : a.info().exports) {
      if (e.kind != ExternKind::kFunc || !plain(e.sig)) continue;
      if (round == 1 && e.sig.params.empty()) continue;
      const std::string what = "call " + show_sig(e) + (round ? " with edge values" : "");
      if (!step(what, a.call(e, round), b.call(e, round))) return report;
    }
  }
  return report;
}

Result<std::vector<std::uint8_t>> wat_to_wasm(std::string_view text, std::string_view origin) {
  wabt::Errors errors;
  wabt::Features features;
  auto lexer = wabt::WastLexer::CreateBufferLexer(origin, text.data(), text.size(), &errors);
  std::unique_ptr<wabt::Module> module;
  wabt::WastParseOptions parse(features);
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse)) ||
      wabt::Failed(wabt::ValidateModule(module.get(), &errors, wabt::ValidateOptions(features)))) {
    const std::string first = errors.empty() ? "unreadable" : errors.front().message;
    const std::string line = errors.empty() ? "" : ":" + std::to_string(errors.front().loc.line);
    return make_error(ErrorCode::kInvalidModule, std::string(origin) + line + ": " + first);
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write(features, /*canonicalize_lebs=*/true, /*relocatable=*/false,
                                 /*write_debug_names=*/false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), write))) {
    return make_error(ErrorCode::kInternal, std::string(origin) + ": could not write the module");
  }
  return std::move(stream.output_buffer().data);
}

}  // namespace wactor::difffuzz
