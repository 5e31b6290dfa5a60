// The one engine-neutral interface. Every engine (src/engine/<name>/) is reachable only
// through make_engine(); nothing outside src/engine includes an engine's headers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wactor/result.h"

namespace wactor::engine {

enum class ValType : std::uint8_t { kI32, kI64, kF32, kF64, kOther };
enum class ExternKind : std::uint8_t { kFunc, kTable, kMemory, kGlobal, kTag };

std::string_view val_type_name(ValType t);
std::string_view extern_kind_name(ExternKind k);

struct Signature {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const Signature&) const = default;
  // "(i32, i32) -> i32"
  [[nodiscard]] std::string to_string() const;
};

// An untyped wasm value; its type comes from the signature it travels with.
union Val {
  std::int32_t i32;
  std::int64_t i64;
  float f32;
  double f64;
};

// A value with its type (an exported global's current value).
struct TypedVal {
  ValType type;
  Val val;
};

struct ImportInfo {
  std::string module;
  std::string name;
  ExternKind kind;
  Signature sig;  // for functions
};

struct ExportInfo {
  std::string name;
  ExternKind kind;
  Signature sig;  // for functions
};

struct MemoryInfo {
  std::uint64_t initial_pages = 0;
  std::optional<std::uint64_t> max_pages;
  bool imported = false;
};

struct ModuleInfo {
  std::vector<ImportInfo> imports;
  std::vector<ExportInfo> exports;
  std::vector<MemoryInfo> memories;
  [[nodiscard]] const ExportInfo* find_export(std::string_view name) const;
};

// What a host function sees of its caller: the caller's own linear memory, valid for
// the duration of the host call (it may move after the guest grows its memory).
class CallerMemory {
 public:
  virtual ~CallerMemory() = default;
  [[nodiscard]] virtual std::span<std::uint8_t> bytes() = 0;
};

// A host function either returns normally or traps its caller (which fails the guest's call).
struct HostOutcome {
  bool trap = false;
  std::string message;
  static HostOutcome ok() { return {}; }
  static HostOutcome trapped(std::string msg) { return {true, std::move(msg)}; }
};

using HostCallback = std::function<HostOutcome(CallerMemory& memory, const Val* args, Val* results)>;

struct HostFunction {
  std::string module;
  std::string name;
  Signature sig;
  HostCallback fn;
};

struct LoadOptions {
  // Clamp every memory's maximum to this many 64 KiB pages; refuse a larger initial size.
  std::optional<std::uint64_t> max_memory_pages;
  // Clamp every table's maximum to this many elements (table.grow past it returns -1);
  // refuse a larger initial size. 100,000 elements is at most ~2.4 MiB per table.
  std::uint32_t max_table_elements = 100'000;
  // Compile budget (engines that compile; kResourceExhausted naming the limit when over it).
  // Modules larger than this are refused before anything else (every engine).
  std::uint64_t max_module_bytes = 16u << 20;
  // A function body larger than this is refused before compiling (aot).
  std::uint64_t max_function_bytes = 256u << 10;
  // Wall-clock (and CPU) time and address space of each compiler process (aot).
  std::uint64_t compile_timeout_ms = 120'000;
  std::uint64_t compile_memory_bytes = 2ull << 30;
  // Largest native stack frame of a compiled function (aot), at most 64 KiB: the stack
  // check at function entry leaves room for one frame this size plus host calls.
  std::uint64_t max_frame_bytes = 64u << 10;
  // Called by load() after the module is read and validated, before anything is compiled:
  // an error refuses the module (the runtime checks the ABI here).
  std::function<Status(const ModuleInfo&)> check;
};

// A resolved export, cheap to call repeatedly.
using ExportIndex = std::uint32_t;

// One live instance. Not thread-safe: its owner (one actor) calls it from one thread at a time.
class Instance {
 public:
  virtual ~Instance() = default;
  // Resolves a function export with exactly this signature.
  [[nodiscard]] virtual Result<ExportIndex> find_function(std::string_view name, const Signature& sig) = 0;
  // Calls it. A trap returns ErrorCode::kTrap with the engine's message and leaves the
  // instance callable again; the host is never affected.
  [[nodiscard]] virtual Status call(ExportIndex fn, std::span<const Val> args, std::span<Val> results) = 0;
  // Resolves an exported mutable i64 global and sets it (metering resets its counter).
  [[nodiscard]] virtual Result<ExportIndex> find_i64_global(std::string_view name) = 0;
  [[nodiscard]] virtual Status set_i64_global(ExportIndex global, std::int64_t value) = 0;
  // The current value of an exported global of a number type (mutable or not).
  [[nodiscard]] virtual Result<TypedVal> get_global(std::string_view name) = 0;
  // The instance's exported memory, bounds given by the span (may move after a grow).
  [[nodiscard]] virtual std::span<std::uint8_t> memory() = 0;
};

// A validated, compiled module. Immutable; shared by every instance made from it.
class Module {
 public:
  virtual ~Module() = default;
  [[nodiscard]] virtual const ModuleInfo& info() const = 0;
  // Instantiates with these imports (matched by module/name; every import of the module
  // must be provided with an identical signature). Runs the start function if any.
  [[nodiscard]] virtual Result<std::unique_ptr<Instance>> instantiate(
      std::span<const HostFunction> imports) const = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  // Parses and validates; `origin` names the source in error messages (a file path).
  [[nodiscard]] virtual Result<std::shared_ptr<const Module>> load(
      std::span<const std::uint8_t> bytes, std::string_view origin, const LoadOptions& options) = 0;
};

// "aot" (wasm2c + the system C compiler, objects cached on disk; fails naming what is
// missing when no C compiler or wasm2c is found) or "interp" (the wabt interpreter). @threadsafe
[[nodiscard]] Result<std::unique_ptr<Engine>> make_engine(std::string_view name);
// Names of the engines that work here, fastest first (the default is the first).
[[nodiscard]] std::vector<std::string_view> engine_names();

}  // namespace wactor::engine
