// The wactor command line as a library: option structs and one entry point per command.
// src/main.cpp only calls cli::main().
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "wactor/manifest.h"
#include "wactor/result.h"
#include "wactor/runtime.h"

namespace wactor::cli {

// Exit statuses.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;    // bad input or a failed run
inline constexpr int kExitUsage = 2;    // bad command line
inline constexpr int kExitNotIdle = 3;  // --until-idle gave up after --max-seconds
inline constexpr int kExitEscalated = 4;  // a supervision group exceeded its restart intensity

// `wactor new <lang> NAME [--dir DIR]` (docs/CLI.md).
struct NewOptions {
  std::string language;  // a directory sdk/<lang>/template, or "as" / "c++"
  std::string name;      // the component's id and project name
  std::string dir;       // empty: ./NAME
};
int new_project(const NewOptions& options, std::ostream& out, std::ostream& err);
std::string new_languages();  // the languages with a template, comma-separated

struct RunOptions {
  std::string manifest;
  bool until_idle = false;
  std::optional<double> max_seconds;  // with --until-idle: give up after this long
  std::optional<unsigned> workers;    // overrides the manifest
  std::string engine;                 // "aot" or "interp": every component (overrides the manifest)
  std::string metrics_json;           // write the metrics here when the run ends
  std::string audit_log;              // JSON lines of denials, traps, stops, restarts (overrides the manifest)
  std::string listen;                 // "ADDR:PORT": serve HTTP (overrides [http] listen)
  std::string token_file;             // the bearer token for /v1, /metrics, the dashboard (overrides [http] token_file)
  std::string nats;                   // join a lattice through this NATS server (overrides [cluster] url)
  std::string lattice;                // the lattice's name (overrides [cluster] lattice)
  std::string host_id;                // this host's id in the lattice (overrides [cluster] host_id)
};

struct InspectOptions {
  std::string wasm;
};

struct CompileOptions {
  std::vector<std::string> wasm;
};

int run(const RunOptions& options, std::ostream& err);
// What `run` gives the runtime: the manifest's [runtime], [storage] and [cluster], with the
// command line's overrides. `engine` stays empty when neither chose one (`run` then takes aot
// if it works here). Fails on a [cluster] (or --lattice/--host-id) without a NATS url.
[[nodiscard]] Result<RuntimeOptions> runtime_options(const Manifest& manifest, const RunOptions& options);
// Fills the aot engine's cache; prints "<x.wasm>: <object> (compiled|cached)" per module.
int compile(const CompileOptions& options, std::ostream& out, std::ostream& err);
int inspect(const InspectOptions& options, std::ostream& out, std::ostream& err);
// Parses argv and dispatches; returns the process exit status.
int main(int argc, char** argv);

}  // namespace wactor::cli
