// `wactor compile x.wasm...`: fills the aot engine's object cache ahead of time.
#include <ostream>

#include "abi/abi_v1.h"
#include "cli/files.h"
#include "engine/wasm2c/aot_engine.h"
#include "instrument/metering.h"
#include "wactor/cli.h"

namespace wactor::cli {

int compile(const CompileOptions& options, std::ostream& out, std::ostream& err) {
  auto engine = engine::make_engine("aot");
  if (!engine.ok()) {
    err << "wactor: " << engine.error().message << "\n";
    return kExitError;
  }
  int status = kExitOk;
  for (const auto& path : options.wasm) {
    auto bytes = read_file(path, "wasm module");
    if (!bytes.ok()) {
      err << "wactor: " << bytes.error().message << "\n";
      status = kExitError;
      continue;
    }
    // The same bytes the runtime loads (Runtime add_component meters every module), so the
    // cache key matches; memory limits are not part of the key.
    auto metered = instrument::add_metering(*bytes, path);
    if (!metered.ok()) {
      err << "wactor: " << metered.error().message << "\n";
      status = kExitError;
      continue;
    }
    // Only ABI guests are compiled, as by `wactor run`: the check comes before the compiler.
    engine::LoadOptions load;
    load.check = [&path](const engine::ModuleInfo& info) { return abi::check_module(info, path); };
    auto module = (*engine)->load(*metered, path, load);
    if (!module.ok()) {
      err << "wactor: " << module.error().message << "\n";
      status = kExitError;
      continue;
    }
    if (auto report = engine::aot::object_report(**module)) {
      out << path << ": " << report->path << (report->from_cache ? " (cached)" : " (compiled)") << "\n";
    } else {
      out << path << ": nothing to compile (the module imports more than functions)\n";
    }
  }
  return status;
}

}  // namespace wactor::cli
