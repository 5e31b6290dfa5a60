#include "engine/wasm2c/aot_engine.h"
#include "instrument/metering.h"
#include "sandbox/module_shape.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "engine/wabt/module_reader.h"
#include "engine/wasm2c/glue.h"
#include "engine/wasm2c/object_cache.h"
#include "engine/wasm2c/rename.h"

namespace wactor::engine {
namespace {

static_assert(sizeof(Val) == 8, "Val must match the glue's wactor_val");

std::atomic<std::uint64_t> g_compiled{0};
std::atomic<std::uint64_t> g_hits{0};

// The runtime's trap codes (rt/wasm-rt.h).
enum TrapCode : int {
  kTrapOob = 1,
  kTrapIntOverflow = 2,
  kTrapDivByZero = 3,
  kTrapInvalidConversion = 4,
  kTrapUnreachable = 5,
  kTrapCallIndirect = 6,
  kTrapUncaughtException = 7,
  kTrapExhaustion = 8,
  kTrapHost = 100,
  kTrapOutOfMemory = 101,
};

std::string trap_text(int code) {
  switch (code) {
    case kTrapOob: return "out of bounds memory access";
    case kTrapIntOverflow: return "integer overflow";
    case kTrapDivByZero: return "integer divide by zero";
    case kTrapInvalidConversion: return "invalid conversion to integer";
    case kTrapUnreachable: return "unreachable executed";
    case kTrapCallIndirect: return "indirect call to a null or mistyped table element";
    case kTrapUncaughtException: return "uncaught exception";
    case kTrapExhaustion: return "call stack exhausted";
    case kTrapOutOfMemory: return "out of memory";
    default: break;
  }
  return "trap " + std::to_string(code);
}

// wasm_rt_memory_t, as the runtime lays it out.
struct RtMemory {
  std::uint8_t* data;
  std::uint32_t pages, max_pages;
  std::uint32_t size;
};

using HostCallFn = int (*)(void* host, std::uint32_t import, const Val* args, Val* results);

// Per-thread state of the generated objects, kept here (see rt/wactor_rt.c): same layout
// as wactor_thread_state there.
struct WactorThreadState {
  void** unwind_target;
  int trap_code;
  std::uint32_t memory_cap;
  void* exception_target;
};
thread_local WactorThreadState t_thread_state{nullptr, 0, 65535, nullptr};
WactorThreadState* wactor_thread_state() { return &t_thread_state; }
using BindFn = void (*)(WactorThreadState* (*)());
using Trampoline = void (*)(void* box, const Val* args, Val* results);

// One loaded shared object and its entry points (see glue.cpp).
class Library {
 public:
  // Loads `bytes` (an authenticated object) through a memfd: what is mapped is exactly what
  // was verified, whatever happens to the cache file meanwhile. `path` names it in errors.
  static Result<std::unique_ptr<Library>> open(const std::string& path, std::span<const std::uint8_t> bytes) {
    const int fd = ::memfd_create("wactor-aot", MFD_CLOEXEC);
    if (fd < 0) return make_error(ErrorCode::kInternal, path + ": memfd_create: " + std::strerror(errno));
    std::size_t put = 0;
    while (put < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + put, bytes.size() - put);
      if (n <= 0) break;
      put += static_cast<std::size_t>(n);
    }
    if (put != bytes.size()) {
      ::close(fd);
      return make_error(ErrorCode::kInternal, path + ": cannot write the object to memory");
    }
    // The fd stays open while the library is loaded: the dynamic loader knows a library by
    // its path, and a reused fd number would make it return an older library.
    const std::string fd_path = "/proc/self/fd/" + std::to_string(fd);
    void* handle = ::dlopen(fd_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) ::close(fd);
    if (!handle) {
      const char* e = ::dlerror();
      return make_error(ErrorCode::kInternal, path + ": cannot load: " + (e ? e : "dlopen failed"));
    }
    auto lib = std::unique_ptr<Library>(new Library(handle, fd));
    if (!lib->bind()) return make_error(ErrorCode::kInternal, path + ": not a wactor aot object");
    return lib;
  }
  ~Library() {
    ::dlclose(handle_);
    ::close(fd_);
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  void* (*alloc)(void* host, HostCallFn call) = nullptr;
  void (*free)(void* box) = nullptr;
  int (*instantiate)(void* box, std::uint32_t memory_cap_pages, const void* stack_limit) = nullptr;
  int (*call)(void* box, Trampoline fn, const Val* args, Val* results, const void* stack_limit) = nullptr;
  void* (*export_global)(void* box, std::uint32_t index) = nullptr;
  RtMemory* (*memory)(void* box) = nullptr;
  const Trampoline* export_functions = nullptr;

 private:
  Library(void* handle, int fd) : handle_(handle), fd_(fd) {}
  template <typename T>
  bool sym(T& out, const char* name) {
    out = reinterpret_cast<T>(::dlsym(handle_, name));
    return out != nullptr;
  }
  bool bind() {
    BindFn bind_thread_state = nullptr;
    if (!sym(bind_thread_state, "wactor_bind")) return false;
    bind_thread_state(&wactor_thread_state);
    return sym(alloc, "wactor_alloc") && sym(free, "wactor_free") && sym(instantiate, "wactor_instantiate") &&
           sym(call, "wactor_call") && sym(export_global, "wactor_export_global") && sym(memory, "wactor_memory") &&
           sym(export_functions, "wactor_export_functions");
  }
  void* handle_;
  int fd_;
};

// What every instance of a module shares; outlives the Module while instances live.
struct Compiled {
  std::unique_ptr<Library> lib;  // null when the module cannot be instantiated (see refusal)
  std::string refusal;           // why instantiate() fails, when lib is null
  ModuleInfo info;
  std::vector<bool> mutable_i64_global;  // per export
  std::vector<ValType> global_type;      // per export: a global's type, kOther for the rest
  std::uint32_t memory_cap_pages = 65535;
  aot::ObjectReport report;
};

// The stack check at a function's entry reads the stack pointer before the frame is
// allocated: frames are limited to kMaxFrameBytes at compile time (a compiler error
// otherwise), and the headroom holds one such frame plus the host functions a guest calls.
constexpr std::uint64_t kMaxFrameBytes = 64u << 10;
constexpr std::size_t kStackHeadroom = 256u << 10;
static_assert(kStackHeadroom >= kMaxFrameBytes + (128u << 10));

// The lowest stack address guest code may reach on this thread: the thread's stack bottom
// plus headroom for the host functions a guest calls (and their sanitizer-enlarged frames).
const void* stack_limit() {
  thread_local const char* limit = [] {
    pthread_attr_t attr;
    void* addr = nullptr;
    std::size_t size = 0;
    if (::pthread_getattr_np(::pthread_self(), &attr) != 0) {
      // Stack unknown: assume 512 KiB below here are usable (the smallest common default
      // is larger), so that the check stays on.
      const char* here = static_cast<const char*>(__builtin_frame_address(0));
      return here - (512u << 10);
    }
    ::pthread_attr_getstack(&attr, &addr, &size);
    ::pthread_attr_destroy(&attr);
    const std::size_t headroom = std::min<std::size_t>(kStackHeadroom, size / 2);
    return static_cast<const char*>(addr) + headroom;
  }();
  return limit;
}

class AotInstance;

class AotCallerMemory final : public CallerMemory {
 public:
  explicit AotCallerMemory(AotInstance& inst) : inst_(inst) {}
  std::span<std::uint8_t> bytes() override;

 private:
  AotInstance& inst_;
};

class AotInstance final : public Instance {
 public:
  explicit AotInstance(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
  ~AotInstance() override {
    if (box_) compiled_->lib->free(box_);
  }
  AotInstance(const AotInstance&) = delete;
  AotInstance& operator=(const AotInstance&) = delete;

  Status init(std::span<const HostFunction> imports) {
    const ModuleInfo& info = compiled_->info;
    host_fns_.resize(info.imports.size());
    for (std::size_t i = 0; i < info.imports.size(); ++i) {
      const ImportInfo& imp = info.imports[i];
      if (imp.kind != ExternKind::kFunc) {
        return make_error(ErrorCode::kAbiViolation, "import " + imp.module + "." + imp.name + " is a " +
                                                        std::string(extern_kind_name(imp.kind)) +
                                                        "; only function imports can be provided");
      }
      auto it = std::find_if(imports.begin(), imports.end(),
                             [&](const HostFunction& h) { return h.module == imp.module && h.name == imp.name; });
      if (it == imports.end()) {
        return make_error(ErrorCode::kAbiViolation, "unknown import " + imp.module + "." + imp.name);
      }
      if (!(it->sig == imp.sig)) {
        return make_error(ErrorCode::kAbiViolation, "import " + imp.module + "." + imp.name + " has type " +
                                                        imp.sig.to_string() + ", expected " + it->sig.to_string());
      }
      host_fns_[i] = *it;
    }
    if (!compiled_->lib) return make_error(ErrorCode::kAbiViolation, compiled_->refusal);
    const Library& lib = *compiled_->lib;
    box_ = lib.alloc(this, &AotInstance::host_call);
    if (!box_) return make_error(ErrorCode::kResourceExhausted, "instantiation failed: out of memory");
    memory_ = lib.memory(box_);
    if (const int trap = lib.instantiate(box_, compiled_->memory_cap_pages, stack_limit())) {
      const ErrorCode code = trap == kTrapOutOfMemory ? ErrorCode::kResourceExhausted : ErrorCode::kTrap;
      return make_error(code, "instantiation failed: " + take_trap_message(trap));
    }
    return {};
  }

  Result<ExportIndex> find_function(std::string_view name, const Signature& sig) override {
    const ModuleInfo& info = compiled_->info;
    for (std::size_t i = 0; i < info.exports.size(); ++i) {
      const ExportInfo& e = info.exports[i];
      if (e.name != name) continue;
      if (e.kind != ExternKind::kFunc) break;
      if (!(e.sig == sig)) {
        return make_error(ErrorCode::kAbiViolation, "export '" + std::string(name) + "' has type " +
                                                        e.sig.to_string() + ", expected " + sig.to_string());
      }
      const Trampoline fn = compiled_->lib->export_functions[i];
      if (!fn) {
        return make_error(ErrorCode::kAbiViolation,
                          "export '" + std::string(name) + "' has a type the aot engine cannot call: " + e.sig.to_string());
      }
      funcs_.push_back(Resolved{fn, e.sig.params.size(), e.sig.results.size()});
      return static_cast<ExportIndex>(funcs_.size() - 1);
    }
    return make_error(ErrorCode::kNotFound, "no function export '" + std::string(name) + "'");
  }

  Status call(ExportIndex fn, std::span<const Val> args, std::span<Val> results) override {
    if (fn >= funcs_.size()) return make_error(ErrorCode::kInvalidArgument, "unknown export index");
    const Resolved& r = funcs_[fn];
    if (args.size() != r.params || results.size() < r.results) {
      return make_error(ErrorCode::kInvalidArgument, "wrong number of arguments or results");
    }
    if (const int trap = compiled_->lib->call(box_, r.fn, args.data(), results.data(), stack_limit())) {
      return make_error(ErrorCode::kTrap, take_trap_message(trap));
    }
    return {};
  }

  Result<ExportIndex> find_i64_global(std::string_view name) override {
    const ModuleInfo& info = compiled_->info;
    for (std::size_t i = 0; i < info.exports.size(); ++i) {
      if (info.exports[i].name != name) continue;
      if (info.exports[i].kind != ExternKind::kGlobal || !compiled_->mutable_i64_global[i]) break;
      auto* g = static_cast<std::int64_t*>(compiled_->lib->export_global(box_, static_cast<std::uint32_t>(i)));
      if (!g) break;
      globals_.push_back(g);
      return static_cast<ExportIndex>(globals_.size() - 1);
    }
    return make_error(ErrorCode::kNotFound, "no mutable i64 global export '" + std::string(name) + "'");
  }

  Status set_i64_global(ExportIndex global, std::int64_t value) override {
    if (global >= globals_.size()) return make_error(ErrorCode::kInvalidArgument, "unknown global index");
    *globals_[global] = value;
    return {};
  }

  Result<TypedVal> get_global(std::string_view name) override {
    const ModuleInfo& info = compiled_->info;
    for (std::size_t i = 0; i < info.exports.size(); ++i) {
      if (info.exports[i].name != name) continue;
      const ValType type = compiled_->global_type[i];
      if (info.exports[i].kind != ExternKind::kGlobal || type == ValType::kOther) break;
      const void* g = compiled_->lib->export_global(box_, static_cast<std::uint32_t>(i));
      if (!g) break;
      TypedVal out{type, {}};
      switch (type) {
        case ValType::kI32: std::memcpy(&out.val.i32, g, sizeof out.val.i32); break;
        case ValType::kI64: std::memcpy(&out.val.i64, g, sizeof out.val.i64); break;
        case ValType::kF32: std::memcpy(&out.val.f32, g, sizeof out.val.f32); break;
        case ValType::kF64: std::memcpy(&out.val.f64, g, sizeof out.val.f64); break;
        case ValType::kOther: break;
      }
      return out;
    }
    return make_error(ErrorCode::kNotFound, "no global export '" + std::string(name) + "' of a number type");
  }

  std::span<std::uint8_t> memory() override {
    if (!memory_ || !memory_->data) return {};
    return {memory_->data, memory_->size};
  }

  std::optional<aot::RawCall> raw_call(ExportIndex fn) const {
    if (fn >= funcs_.size()) return std::nullopt;
    aot::RawCall raw;
    raw.call = compiled_->lib->call;
    raw.box = box_;
    raw.trampoline = funcs_[fn].fn;
    raw.stack_limit = stack_limit();
    return raw;
  }

 private:
  struct Resolved {
    Trampoline fn;
    std::size_t params;
    std::size_t results;
  };

  // Called by the glue for every host import; never unwound (the glue traps after it returns).
  static int host_call(void* host, std::uint32_t import, const Val* args, Val* results) noexcept {
    auto* self = static_cast<AotInstance*>(host);
    AotCallerMemory memory(*self);
    try {
      HostOutcome out = self->host_fns_[import].fn(memory, args, results);
      if (!out.trap) return 0;
      self->trap_message_ = std::move(out.message);
    } catch (...) {
      self->trap_message_ = "host function " + self->host_fns_[import].module + "." + self->host_fns_[import].name +
                            " threw an exception";
    }
    return 1;
  }

  std::string take_trap_message(int trap) {
    if (trap != kTrapHost) return trap_text(trap);
    std::string msg = std::move(trap_message_);
    trap_message_.clear();
    return msg;
  }

  std::shared_ptr<const Compiled> compiled_;
  void* box_ = nullptr;
  RtMemory* memory_ = nullptr;
  std::vector<HostFunction> host_fns_;  // by import index
  std::vector<Resolved> funcs_;
  std::vector<std::int64_t*> globals_;
  std::string trap_message_;  // a host trap's message, until the call returns
};

std::span<std::uint8_t> AotCallerMemory::bytes() { return inst_.memory(); }

class AotModule final : public Module {
 public:
  explicit AotModule(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
  const ModuleInfo& info() const override { return compiled_->info; }

  Result<std::unique_ptr<Instance>> instantiate(std::span<const HostFunction> imports) const override {
    auto inst = std::make_unique<AotInstance>(compiled_);
    WACTOR_TRY(inst->init(imports));
    return std::unique_ptr<Instance>(std::move(inst));
  }

  const Compiled& compiled() const { return *compiled_; }

 private:
  std::shared_ptr<const Compiled> compiled_;
};

// Each export's global type (kOther for other exports and for re-exported imported globals).
std::vector<ValType> global_types(const wabt::interp::ModuleDesc& desc) {
  std::size_t imported_globals = 0;
  for (const auto& imp : desc.imports) {
    if (imp.type.type->kind == wabt::ExternalKind::Global) ++imported_globals;
  }
  std::vector<ValType> out;
  for (const auto& e : desc.exports) {
    ValType t = ValType::kOther;
    if (e.type.type->kind == wabt::ExternalKind::Global && e.index >= imported_globals &&
        e.index - imported_globals < desc.globals.size()) {
      t = to_val_type(desc.globals[e.index - imported_globals].type.type);
    }
    out.push_back(t);
  }
  return out;
}

// Whether each export is a mutable i64 global (the fuel counter must be).
std::vector<bool> mutable_i64_globals(const wabt::interp::ModuleDesc& desc) {
  std::size_t imported_globals = 0;
  for (const auto& imp : desc.imports) {
    if (imp.type.type->kind == wabt::ExternalKind::Global) ++imported_globals;
  }
  std::vector<bool> out;
  for (const auto& e : desc.exports) {
    bool ok = false;
    if (e.type.type->kind == wabt::ExternalKind::Global && e.index >= imported_globals &&
        e.index - imported_globals < desc.globals.size()) {
      const auto& g = desc.globals[e.index - imported_globals].type;
      ok = g.type == wabt::Type::I64 && g.mut == wabt::interp::Mutability::Var;
    }
    out.push_back(ok);
  }
  return out;
}

class AotEngine final : public Engine {
 public:
  AotEngine(aot::Toolchain tools, bool fuel_in_register)
      : tools_(std::move(tools)), fuel_in_register_(fuel_in_register) {}
  std::string_view name() const override { return "aot"; }

  Result<std::shared_ptr<const Module>> load(std::span<const std::uint8_t> bytes, std::string_view origin,
                                             const LoadOptions& options) override {
    WACTOR_TRY(check_module_size(bytes, origin, options));
    auto desc = read_module(bytes, origin);
    if (!desc.ok()) return std::move(desc).take_error();
    auto info = describe_module(*desc, origin, options);
    if (!info.ok()) return std::move(info).take_error();
    if (options.check) WACTOR_TRY(options.check(*info));
    if (const auto largest = aot::largest_function_body(bytes); largest > options.max_function_bytes) {
      return make_error(ErrorCode::kResourceExhausted, std::string(origin) + ": a function body of " +
                                                           std::to_string(largest) + " bytes is over the limit of " +
                                                           std::to_string(options.max_function_bytes) +
                                                           " bytes (max_function_bytes)");
    }
    auto compiled = std::make_shared<Compiled>();
    compiled->mutable_i64_global = mutable_i64_globals(*desc);
    compiled->global_type = global_types(*desc);
    compiled->info = std::move(info).value();
    if (options.max_memory_pages) {
      compiled->memory_cap_pages = static_cast<std::uint32_t>(std::min<std::uint64_t>(*options.max_memory_pages, 65535));
    }
    for (const auto& imp : compiled->info.imports) {
      if (imp.kind != ExternKind::kFunc) {
        // Refused at instantiation, as on every engine; nothing to compile.
        compiled->refusal = "import " + imp.module + "." + imp.name + " is a " +
                            std::string(extern_kind_name(imp.kind)) + "; only function imports can be provided";
        return std::shared_ptr<const Module>(std::make_shared<AotModule>(std::move(compiled)));
      }
    }
    bool metered = false;
    // Metered: it imports the fuel refill (other wactor-internal imports, such as the memory
    // guard's, do not stop a loop).
    for (const auto& i : compiled->info.imports) {
      metered = metered || (i.module == instrument::kInternalModule && i.name == instrument::kRefillImport);
    }
    // The fuel counter in r15 while guest code runs (gcc, x86-64, metered module).
    std::string fuel_getter;
    if (fuel_in_register_ && metered) fuel_getter = aot::fuel_export_symbol(compiled->info).value_or("");
    auto glue = aot::generate_glue(compiled->info, origin, !fuel_getter.empty());
    if (!glue.ok()) return std::move(glue).take_error();
    // No guest-chosen name reaches wasm2c (rename.h); the glue binds by import/export index.
    auto renamed = aot::rename_for_wasm2c(bytes);
    if (!renamed.ok()) return make_error(renamed.error().code, std::string(origin) + ": " + renamed.error().message);
    // The generated code takes its tables' maxima from the module: clamp them there.
    const std::vector<std::uint8_t> clamped = sandbox::clamp_table_maximum(*renamed, options.max_table_elements);
    aot::CompileBudget budget;
    budget.timeout = std::chrono::milliseconds(std::max<std::uint64_t>(options.compile_timeout_ms, 1));
    budget.memory_bytes = options.compile_memory_bytes;
    budget.max_frame_bytes = std::min<std::uint64_t>(options.max_frame_bytes, kMaxFrameBytes);
    auto object = aot::obtain_object(tools_, clamped, *glue, origin, metered, budget, fuel_getter);
    if (!object.ok()) return std::move(object).take_error();
    auto lib = Library::open(object->path, object->bytes);
    if (!lib.ok() && object->hit) {
      // A damaged cache entry: compile it again.
      aot::evict(object->path);
      object = aot::obtain_object(tools_, clamped, *glue, origin, metered, budget, fuel_getter);
      if (!object.ok()) return std::move(object).take_error();
      lib = Library::open(object->path, object->bytes);
    }
    if (!lib.ok()) return make_error(lib.error().code, std::string(origin) + ": " + lib.error().message);
    (object->hit ? g_hits : g_compiled).fetch_add(1, std::memory_order_relaxed);
    compiled->lib = std::move(lib).value();
    compiled->report = aot::ObjectReport{object->path, object->hit, !fuel_getter.empty()};
    return std::shared_ptr<const Module>(std::make_shared<AotModule>(std::move(compiled)));
  }

 private:
  aot::Toolchain tools_;
  bool fuel_in_register_;
};

// A global register variable is a gcc extension (clang has none for r15), and r15 is
// x86-64's: elsewhere the counter stays in the instance.
bool fuel_register_supported(const aot::Toolchain& tools) {
#if defined(__x86_64__)
  return !tools.clang;
#else
  (void)tools;
  return false;
#endif
}

}  // namespace

Result<std::unique_ptr<Engine>> make_aot_engine(const aot::EngineOptions& options) {
  auto tools = aot::find_toolchain();
  if (!tools.ok()) return std::move(tools).take_error();
  const bool in_register = options.fuel_in_register && fuel_register_supported(*tools);
  return std::unique_ptr<Engine>(std::make_unique<AotEngine>(std::move(tools).value(), in_register));
}

Result<std::unique_ptr<Engine>> make_aot_engine() {
  aot::EngineOptions options;
  const char* fuel = std::getenv("WACTOR_AOT_FUEL");
  if (fuel && std::string_view(fuel) == "memory") options.fuel_in_register = false;
  return make_aot_engine(options);
}

bool aot_available() { return aot::find_toolchain().ok(); }

namespace aot {

std::optional<ObjectReport> object_report(const Module& module) {
  const auto* m = dynamic_cast<const AotModule*>(&module);
  if (!m || m->compiled().report.path.empty()) return std::nullopt;
  return m->compiled().report;
}

std::optional<RawCall> raw_call(Instance& instance, ExportIndex fn) {
  const auto* inst = dynamic_cast<const AotInstance*>(&instance);
  if (!inst) return std::nullopt;
  return inst->raw_call(fn);
}

CacheCounters cache_counters() {
  return {g_compiled.load(std::memory_order_relaxed), g_hits.load(std::memory_order_relaxed)};
}

}  // namespace aot
}  // namespace wactor::engine
