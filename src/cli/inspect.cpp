// `wactor inspect x.wasm`: imports, exports, and the ABI v1 verdict.
#include <ostream>

#include "abi/abi_v1.h"
#include "cli/files.h"
#include "instrument/metering.h"
#include "wactor/runtime.h"
#include "wactor/cli.h"
#include "wactor/engine.h"

namespace wactor::cli {

int inspect(const InspectOptions& options, std::ostream& out, std::ostream& err) {
  auto bytes = read_file(options.wasm, "wasm module");
  if (!bytes.ok()) {
    err << "wactor: " << bytes.error().message << "\n";
    return kExitError;
  }
  // Describing a module needs no native code: the interpreter validates without compiling.
  auto engine = engine::make_engine("interp");
  if (!engine.ok()) {
    err << "wactor: " << engine.error().message << "\n";
    return kExitError;
  }
  auto module = (*engine)->load(*bytes, options.wasm, engine::LoadOptions{});
  if (!module.ok()) {
    err << "wactor: " << module.error().message << "\n";
    return kExitError;
  }
  const engine::ModuleInfo& info = (*module)->info();
  out << options.wasm << ": " << bytes->size() << " bytes\n";
  out << "imports (" << info.imports.size() << "):\n";
  for (const auto& i : info.imports) {
    // Names are the module author's bytes: escaped, so they cannot forge lines or colours.
    out << "  " << escape_event_text(i.module, 256) << "." << escape_event_text(i.name, 256) << "  "
        << engine::extern_kind_name(i.kind);
    if (i.kind == engine::ExternKind::kFunc) out << " " << i.sig.to_string();
    out << "\n";
  }
  out << "exports (" << info.exports.size() << "):\n";
  for (const auto& e : info.exports) {
    out << "  " << escape_event_text(e.name, 256) << "  " << engine::extern_kind_name(e.kind);
    if (e.kind == engine::ExternKind::kFunc) out << " " << e.sig.to_string();
    out << "\n";
  }
  for (const auto& m : info.memories) {
    out << "memory: " << m.initial_pages << " pages initial, ";
    if (m.max_pages) out << *m.max_pages << " max"; else out << "no max";
    out << (m.imported ? " (imported)" : "") << "\n";
  }
  auto problems = abi::abi_problems(info);
  // What `wactor run` also refuses: the metering pass (reserved names, shape limits).
  if (auto metered = instrument::add_metering(*bytes, options.wasm); !metered.ok()) {
    problems.push_back(metered.error().message);
  }
  if (problems.empty()) {
    out << "ABI v1: ok\n";
    return kExitOk;
  }
  out << "ABI v1: not satisfied\n";
  for (const auto& p : problems) out << "  - " << escape_event_text(p) << "\n";
  return kExitError;
}

}  // namespace wactor::cli
