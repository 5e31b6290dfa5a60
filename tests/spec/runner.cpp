#include "runner.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>

#include "values.h"

namespace wactor::spec {

using engine::ExternKind;
using engine::HostFunction;
using engine::HostOutcome;
using engine::Signature;
using engine::TypedVal;
using engine::Val;
using engine::ValType;

namespace {

// Skip reasons: each names what the engine interface (or an engine) cannot express.
constexpr std::string_view kTextModule = "text-format module (tests wast2json's text parser, not an engine)";
constexpr std::string_view kReferenceValues =
    "reference-typed argument, result or global (the engine interface passes numbers only)";
constexpr std::string_view kReferenceImport =
    "imports a function with reference-typed values (host functions take numbers only)";
constexpr std::string_view kModuleFailed = "its module failed (counted as a failure above)";
constexpr std::string_view kKnownCrash = "its module is a known crash (not run)";
constexpr std::string_view kSharedWithSkipped =
    "its table, memory or global is imported by a skipped module (its state may differ)";
constexpr std::string_view kCallSkipped = "an earlier call on its instance was skipped (its state may differ)";

std::string imports_kind(ExternKind kind) {
  return "module imports a " + std::string(engine::extern_kind_name(kind)) +
         " (the engine interface links function imports only)";
}

// An engine's documented limit, worded by the engine: a skip, not a failure.
std::optional<std::string> engine_limitation(std::string_view engine, const std::string& message) {
  if (engine == "aot" && message.find("which the aot engine cannot bind") != std::string::npos) {
    return "aot: a function import with several results or reference types (the glue cannot bind it)";
  }
  if (engine == "aot" && message.find("a type the aot engine cannot call") != std::string::npos) {
    return "aot: an export with several results (the glue cannot call it)";
  }
  return std::nullopt;
}

bool has_reference_types(const Signature& sig) {
  for (auto t : sig.params) {
    if (t == ValType::kOther) return true;
  }
  for (auto t : sig.results) {
    if (t == ValType::kOther) return true;
  }
  return false;
}

struct SpectestFunction {
  std::string_view name;
  Signature sig;
};
const std::vector<SpectestFunction>& spectest_functions() {
  using enum ValType;
  static const std::vector<SpectestFunction> fns = {
      {"print", {}},
      {"print_i32", {{kI32}, {}}},
      {"print_i64", {{kI64}, {}}},
      {"print_f32", {{kF32}, {}}},
      {"print_f64", {{kF64}, {}}},
      {"print_i32_f32", {{kI32, kF32}, {}}},
      {"print_f64_f64", {{kF64, kF64}, {}}},
  };
  return fns;
}

}  // namespace

ScriptRunner::ScriptRunner(engine::Engine& engine, std::string file, std::string dir, const KnownFailures& known)
    : engine_(engine), file_(std::move(file)), dir_(std::move(dir)), known_(known) {}

Tally ScriptRunner::run(const std::vector<Command>& commands) {
  // WACTOR_SPEC_TRACE=1 names each command before it runs (to find one that crashes).
  const char* trace = std::getenv("WACTOR_SPEC_TRACE");
  for (const Command& c : commands) {
    if (trace && *trace == '1') std::cerr << "spec: " << engine_.name() << " " << file_ << ":" << c.line << " " << c.type << std::endl;
    const KnownFailure* k = known_.find(std::string(engine_.name()), file_, c.line);
    if (k && k->crash) {
      ++tally_.known;
      if (c.type == "module") {
        current_ = std::make_shared<Slot>();
        current_->unavailable = kKnownCrash;
        if (!c.name.empty()) named_[c.name] = current_;
      }
      continue;
    }
    record(c, execute(c));
  }
  return tally_;
}

void ScriptRunner::record(const Command& c, const Outcome& o) {
  if (o.verdict == Verdict::kSkip) {
    ++tally_.skipped[o.detail];
    return;
  }
  const std::string where = file_ + ":" + std::to_string(c.line);
  if (known_.find(std::string(engine_.name()), file_, c.line)) {
    if (o.verdict == Verdict::kFail) {
      ++tally_.known;
    } else {
      ++tally_.failed;
      tally_.failures.push_back(where + ": " + c.type + " passes now: remove its line from tests/spec/known_failures.txt");
    }
    return;
  }
  if (o.verdict == Verdict::kPass) {
    ++tally_.passed;
  } else {
    ++tally_.failed;
    tally_.failures.push_back(where + ": " + c.type + ": " + o.detail);
  }
}

ScriptRunner::Outcome ScriptRunner::execute(const Command& c) {
  if (c.type == "module") {
    std::shared_ptr<Slot> slot;
    Outcome o = module(c, slot);
    current_ = slot;
    if (!c.name.empty()) named_[c.name] = slot;
    return o;
  }
  if (c.type == "register") return register_module(c);
  if (c.type == "action") {
    if (!c.action) return {Verdict::kFail, "no action"};
    ActionResult r = act(*c.action);
    switch (r.kind) {
      case ActionResult::kReturned: return {Verdict::kPass, {}};
      case ActionResult::kTrapped: return {Verdict::kFail, "trapped: " + r.message};
      case ActionResult::kSkipped: return {Verdict::kSkip, r.message};
      case ActionResult::kError: return {Verdict::kFail, r.message};
    }
  }
  if (c.type == "assert_return") return assert_return(c);
  if (c.type == "assert_trap") return assert_trap(c, c.text);
  if (c.type == "assert_exhaustion") return assert_trap(c, c.text);
  if (c.type == "assert_invalid" || c.type == "assert_malformed") return assert_refused(c);
  if (c.type == "assert_unlinkable") return assert_unlinkable(c);
  if (c.type == "assert_uninstantiable") return assert_uninstantiable(c);
  return {Verdict::kSkip, "command type " + c.type + " (not in the core suite this runner knows)"};
}

std::string ScriptRunner::unusable(const Slot& slot) {
  if (!slot.unavailable.empty()) return slot.unavailable;
  if (!slot.tainted.empty()) return slot.tainted;
  for (const auto& l : slot.links) {
    if (std::string r = unusable(*l); !r.empty()) return r;
  }
  return {};
}

ScriptRunner::Prepared ScriptRunner::prepare(const Command& c, bool writes_imports) {
  Prepared p;
  std::ifstream in(dir_ + "/" + c.filename, std::ios::binary);
  if (!in) {
    p.done = Outcome{Verdict::kFail, dir_ + "/" + c.filename + ": cannot read"};
    return p;
  }
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto m = engine_.load(bytes, file_ + ":" + std::to_string(c.line), {});
  if (!m.ok()) {
    if (auto skip = engine_limitation(engine_.name(), m.error().message)) {
      p.done = Outcome{Verdict::kSkip, *skip};
    } else {
      p.done = Outcome{Verdict::kFail, "load failed: " + m.error().to_string()};
    }
    return p;
  }
  p.module = std::move(m).value();
  for (const auto& imp : p.module->info().imports) {
    if (imp.kind == ExternKind::kFunc) continue;
    if (!p.done) p.done = Outcome{Verdict::kSkip, imports_kind(imp.kind)};
    auto exporter = registered_.find(imp.module);
    if (writes_imports && exporter != registered_.end() && exporter->second->tainted.empty()) {
      exporter->second->tainted = kSharedWithSkipped;
    }
  }
  if (p.done) return p;
  if (auto skip = link(p.module->info(), p)) p.done = Outcome{Verdict::kSkip, *skip};
  return p;
}

std::optional<std::string> ScriptRunner::link(const engine::ModuleInfo& info, Prepared& p) {
  std::vector<HostFunction>& out = p.imports;
  for (const auto& imp : info.imports) {
    if (imp.module == "spectest") {
      for (const auto& f : spectest_functions()) {
        if (f.name != imp.name) continue;
        out.push_back({imp.module, imp.name, f.sig, [](engine::CallerMemory&, const Val*, Val*) {
                         return HostOutcome::ok();
                       }});
      }
      continue;
    }
    auto it = registered_.find(imp.module);
    if (it == registered_.end()) continue;  // unknown: the engine refuses it
    const std::shared_ptr<Slot> slot = it->second;
    if (std::string r = unusable(*slot); !r.empty()) return r;
    const engine::ExportInfo* e = slot->module->info().find_export(imp.name);
    if (!e || e->kind != ExternKind::kFunc) continue;  // incompatible: the engine refuses it
    if (has_reference_types(e->sig)) return std::string(kReferenceImport);
    auto fn = slot->instance->find_function(imp.name, e->sig);
    if (!fn.ok()) {
      if (auto skip = engine_limitation(engine_.name(), fn.error().message)) return skip;
      continue;
    }
    p.links.push_back(slot);
    const std::size_t params = e->sig.params.size();
    const std::size_t results = e->sig.results.size();
    out.push_back({imp.module, imp.name, e->sig,
                   [callee = slot->instance, index = *fn, params, results](engine::CallerMemory&, const Val* args,
                                                                           Val* res) {
                     Status s = callee->call(index, std::span<const Val>(args, params), std::span<Val>(res, results));
                     return s.ok() ? HostOutcome::ok() : HostOutcome::trapped(s.error().message);
                   }});
  }
  return std::nullopt;
}

ScriptRunner::Outcome ScriptRunner::module(const Command& c, std::shared_ptr<Slot>& slot) {
  slot = std::make_shared<Slot>();
  Prepared p = prepare(c, /*writes_imports=*/true);
  if (p.done) {
    slot->unavailable = p.done->verdict == Verdict::kSkip ? p.done->detail : std::string(kModuleFailed);
    return *p.done;
  }
  auto inst = p.module->instantiate(p.imports);
  if (!inst.ok()) {
    slot->unavailable = kModuleFailed;
    return {Verdict::kFail, "instantiation failed: " + inst.error().to_string()};
  }
  slot->module = std::move(p.module);
  slot->links = std::move(p.links);
  slot->instance = std::shared_ptr<engine::Instance>(std::move(inst).value());
  return {Verdict::kPass, {}};
}

ScriptRunner::Outcome ScriptRunner::register_module(const Command& c) {
  auto slot = slot_for(c.name);
  if (!slot) return {Verdict::kFail, "no module " + c.name + " to register"};
  registered_[c.as] = slot;
  if (std::string r = unusable(*slot); !r.empty()) return {Verdict::kSkip, r};
  return {Verdict::kPass, {}};
}

std::shared_ptr<ScriptRunner::Slot> ScriptRunner::slot_for(const std::string& name) {
  if (name.empty()) return current_;
  auto it = named_.find(name);
  return it == named_.end() ? nullptr : it->second;
}

ScriptRunner::ActionResult ScriptRunner::act(const Action& a) {
  auto slot = slot_for(a.module);
  if (!slot) return {ActionResult::kError, {}, "no module " + (a.module.empty() ? "instantiated" : a.module)};
  if (std::string r = unusable(*slot); !r.empty()) return {ActionResult::kSkipped, {}, r};
  const engine::ExportInfo* e = slot->module->info().find_export(a.field);
  if (a.type == "get") {
    if (!e || e->kind != ExternKind::kGlobal) return {ActionResult::kError, {}, "no global export '" + a.field + "'"};
    auto v = slot->instance->get_global(a.field);
    // The only globals get_global does not read are those of reference types.
    if (!v.ok()) return {ActionResult::kSkipped, {}, std::string(kReferenceValues)};
    return {ActionResult::kReturned, {*v}, {}};
  }
  if (a.type != "invoke") return {ActionResult::kError, {}, "unknown action " + a.type};
  if (!e || e->kind != ExternKind::kFunc) return {ActionResult::kError, {}, "no function export '" + a.field + "'"};
  const Signature& sig = e->sig;
  if (has_reference_types(sig)) {
    slot->tainted = kCallSkipped;
    return {ActionResult::kSkipped, {}, std::string(kReferenceValues)};
  }
  if (a.args.size() != sig.params.size()) {
    return {ActionResult::kError, {}, "export '" + a.field + "' has type " + sig.to_string() + ", the script passes " +
                                          std::to_string(a.args.size()) + " arguments"};
  }
  std::vector<Val> args;
  for (std::size_t i = 0; i < a.args.size(); ++i) {
    auto v = parse_value(a.args[i]);
    if (!v || number_type(a.args[i].type) != sig.params[i]) {
      return {ActionResult::kError, {}, "argument " + describe(a.args[i]) + " does not fit " + sig.to_string()};
    }
    args.push_back(*v);
  }
  auto cached = slot->functions.find(a.field);
  if (cached == slot->functions.end()) {
    auto fn = slot->instance->find_function(a.field, sig);
    if (!fn.ok()) {
      if (auto skip = engine_limitation(engine_.name(), fn.error().message)) {
        slot->tainted = kCallSkipped;
        return {ActionResult::kSkipped, {}, *skip};
      }
      return {ActionResult::kError, {}, fn.error().to_string()};
    }
    cached = slot->functions.emplace(a.field, *fn).first;
  }
  std::vector<Val> results(sig.results.size());
  Status s = slot->instance->call(cached->second, args, results);
  if (!s.ok()) {
    const auto kind = s.error().code == ErrorCode::kTrap ? ActionResult::kTrapped : ActionResult::kError;
    return {kind, {}, s.error().message};
  }
  ActionResult r{ActionResult::kReturned, {}, {}};
  for (std::size_t i = 0; i < results.size(); ++i) r.values.push_back(TypedVal{sig.results[i], results[i]});
  return r;
}

ScriptRunner::Outcome ScriptRunner::assert_return(const Command& c) {
  if (!c.action) return {Verdict::kFail, "no action"};
  ActionResult r = act(*c.action);
  switch (r.kind) {
    case ActionResult::kSkipped: return {Verdict::kSkip, r.message};
    case ActionResult::kError: return {Verdict::kFail, r.message};
    case ActionResult::kTrapped: return {Verdict::kFail, c.action->field + " trapped: " + r.message};
    case ActionResult::kReturned: break;
  }
  for (const Value& v : c.expected) {
    if (!number_type(v.type)) return {Verdict::kFail, "a number where the script expects " + v.type};
  }
  bool same = r.values.size() == c.expected.size();
  for (std::size_t i = 0; same && i < r.values.size(); ++i) same = value_matches(c.expected[i], r.values[i]);
  if (same) return {Verdict::kPass, {}};
  std::string got, want;
  for (const auto& v : r.values) got += (got.empty() ? "" : " ") + describe(v);
  for (const auto& v : c.expected) want += (want.empty() ? "" : " ") + describe(v);
  return {Verdict::kFail, c.action->field + " returned [" + got + "], expected [" + want + "]"};
}

ScriptRunner::Outcome ScriptRunner::assert_trap(const Command& c, const std::string& expected) {
  if (!c.action) return {Verdict::kFail, "no action"};
  ActionResult r = act(*c.action);
  switch (r.kind) {
    case ActionResult::kSkipped: return {Verdict::kSkip, r.message};
    case ActionResult::kError: return {Verdict::kFail, r.message};
    case ActionResult::kReturned: return {Verdict::kFail, c.action->field + " returned, expected trap '" + expected + "'"};
    case ActionResult::kTrapped: break;
  }
  if (trap_matches(engine_.name(), expected, r.message)) return {Verdict::kPass, {}};
  return {Verdict::kFail, c.action->field + " trapped with '" + r.message + "', expected '" + expected + "'"};
}

ScriptRunner::Outcome ScriptRunner::assert_refused(const Command& c) {
  if (c.module_type == "text") return {Verdict::kSkip, std::string(kTextModule)};
  std::ifstream in(dir_ + "/" + c.filename, std::ios::binary);
  if (!in) return {Verdict::kFail, dir_ + "/" + c.filename + ": cannot read"};
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto m = engine_.load(bytes, file_ + ":" + std::to_string(c.line), {});
  if (m.ok()) return {Verdict::kFail, "loaded a module that is not valid ('" + c.text + "')"};
  // A module over one of wactor's shape limits (docs/MANIFEST.md, "Module shape") is refused
  // before validation, for the stricter reason: still refused, as the command asks.
  const bool over_limit = m.error().code == ErrorCode::kResourceExhausted &&
                          m.error().message.find("exceeds the limit") != std::string::npos;
  if (m.error().code != ErrorCode::kInvalidModule && !over_limit) {
    return {Verdict::kFail, "refused, but not as an invalid module ('" + c.text + "'): " + m.error().to_string()};
  }
  return {Verdict::kPass, {}};
}

ScriptRunner::Outcome ScriptRunner::assert_unlinkable(const Command& c) {
  Prepared p = prepare(c, /*writes_imports=*/false);
  if (p.done) return *p.done;
  auto inst = p.module->instantiate(p.imports);
  if (inst.ok()) return {Verdict::kFail, "instantiated a module that cannot be linked ('" + c.text + "')"};
  if (inst.error().code == ErrorCode::kTrap) {
    return {Verdict::kFail, "trapped instead of failing to link ('" + c.text + "'): " + inst.error().message};
  }
  return {Verdict::kPass, {}};
}

ScriptRunner::Outcome ScriptRunner::assert_uninstantiable(const Command& c) {
  Prepared p = prepare(c, /*writes_imports=*/true);
  if (p.done) return *p.done;
  auto inst = p.module->instantiate(p.imports);
  if (inst.ok()) return {Verdict::kFail, "instantiated a module whose instantiation traps ('" + c.text + "')"};
  if (inst.error().code != ErrorCode::kTrap) {
    return {Verdict::kFail, "failed without a trap ('" + c.text + "'): " + inst.error().to_string()};
  }
  // Engines say "instantiation failed: <trap>".
  std::string_view msg = inst.error().message;
  if (auto colon = msg.find(": "); msg.rfind("instantiation failed", 0) == 0 && colon != std::string_view::npos) {
    msg.remove_prefix(colon + 2);
  }
  if (trap_matches(engine_.name(), c.text, msg)) return {Verdict::kPass, {}};
  return {Verdict::kFail, "trapped with '" + inst.error().message + "', expected '" + c.text + "'"};
}

}  // namespace wactor::spec
