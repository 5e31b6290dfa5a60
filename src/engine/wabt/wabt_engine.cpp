#include "engine/wabt/wabt_engine.h"

#include "engine/wabt/module_reader.h"
#include "instrument/stack_guard.h"

#include <algorithm>
#include <array>
#include <exception>
#include <new>
#include <optional>

#include "wabt/interp/interp.h"

namespace wactor::engine {
namespace {

namespace wi = wabt::interp;

wabt::Type to_wabt_type(ValType t) {
  switch (t) {
    case ValType::kI32: return wabt::Type::I32;
    case ValType::kI64: return wabt::Type::I64;
    case ValType::kF32: return wabt::Type::F32;
    case ValType::kF64: return wabt::Type::F64;
    case ValType::kOther: break;
  }
  return wabt::Type::Void;
}

wi::ValueTypes to_wabt_types(const std::vector<ValType>& v) {
  wi::ValueTypes out;
  for (auto t : v) out.push_back(to_wabt_type(t));
  return out;
}

wi::Value to_wabt_value(ValType t, Val v) {
  switch (t) {
    case ValType::kI32: return wi::Value::Make(static_cast<wabt::interp::s32>(v.i32));
    case ValType::kI64: return wi::Value::Make(static_cast<wabt::interp::s64>(v.i64));
    case ValType::kF32: return wi::Value::Make(v.f32);
    case ValType::kF64: return wi::Value::Make(v.f64);
    case ValType::kOther: break;
  }
  return wi::Value::Make(static_cast<wabt::interp::s32>(0));
}

Val from_wabt_value(ValType t, const wi::Value& v) {
  Val out{};
  switch (t) {
    case ValType::kI32: out.i32 = v.Get<wi::s32>(); break;
    case ValType::kI64: out.i64 = v.Get<wi::s64>(); break;
    case ValType::kF32: out.f32 = v.Get<wi::f32>(); break;
    case ValType::kF64: out.f64 = v.Get<wi::f64>(); break;
    case ValType::kOther: break;
  }
  return out;
}

class WabtInstance;

class WabtCallerMemory final : public CallerMemory {
 public:
  explicit WabtCallerMemory(WabtInstance& inst) : inst_(inst) {}
  std::span<std::uint8_t> bytes() override;

 private:
  WabtInstance& inst_;
};

// One instance with its own Store (wabt stores are single-threaded; an actor's instance is
// only ever used by one worker at a time, so a Store per instance needs no locking).
class WabtInstance final : public Instance {
 public:
  explicit WabtInstance(std::uint32_t stack_budget_global)
      : thread_(std::make_unique<wi::Thread>(store_)), stack_budget_global_(stack_budget_global) {}

  Status init(const wi::ModuleDesc& desc, const ModuleInfo& info, std::span<const HostFunction> imports) {
    module_ = wi::Module::New(store_, desc);
    wi::RefVec refs;
    host_fns_.reserve(info.imports.size());
    for (const ImportInfo& imp : info.imports) {
      if (imp.kind != ExternKind::kFunc) {
        return make_error(ErrorCode::kAbiViolation, "import " + imp.module + "." + imp.name + " is a " +
                                                        std::string(extern_kind_name(imp.kind)) +
                                                        "; only function imports can be provided");
      }
      auto it = std::find_if(imports.begin(), imports.end(), [&](const HostFunction& h) {
        return h.module == imp.module && h.name == imp.name;
      });
      if (it == imports.end()) {
        return make_error(ErrorCode::kAbiViolation, "unknown import " + imp.module + "." + imp.name);
      }
      if (!(it->sig == imp.sig)) {
        return make_error(ErrorCode::kAbiViolation, "import " + imp.module + "." + imp.name + " has type " +
                                                        imp.sig.to_string() + ", expected " + it->sig.to_string());
      }
      host_fns_.push_back(*it);
      const HostFunction* hf = &host_fns_.back();
      wi::FuncType ft(to_wabt_types(hf->sig.params), to_wabt_types(hf->sig.results));
      auto func = wi::HostFunc::New(
          store_, ft,
          [this, hf](wi::Thread&, const wi::Values& params, wi::Values& results, wi::Trap::Ptr* out_trap) {
            std::array<Val, 8> args{};
            std::array<Val, 2> res{};
            for (std::size_t i = 0; i < params.size() && i < args.size(); ++i) {
              args[i] = from_wabt_value(hf->sig.params[i], params[i]);
            }
            WabtCallerMemory mem(*this);
            // Nothing may unwind through libwabt (it is not exception-safe: it leaks and can
            // leave its thread inconsistent): a throwing host function traps its caller.
            HostOutcome out;
            try {
              out = hf->fn(mem, args.data(), res.data());
            } catch (const std::bad_alloc&) {
              out = HostOutcome::trapped("out of memory (a host function's allocation failed)");
            } catch (const std::exception& e) {
              out = HostOutcome::trapped(std::string("host error: ") + e.what());
            } catch (...) {
              out = HostOutcome::trapped("host error");
            }
            if (out.trap) {
              *out_trap = wi::Trap::New(store_, out.message);
              return wabt::Result::Error;
            }
            // Called from outside (a re-exported import), wabt passes an empty result list.
            results.resize(hf->sig.results.size());
            for (std::size_t i = 0; i < results.size() && i < res.size(); ++i) {
              results[i] = to_wabt_value(hf->sig.results[i], res[i]);
            }
            return wabt::Result::Ok;
          });
      refs.push_back(func.ref());
    }
    wi::Trap::Ptr trap;
    instance_ = wi::Instance::Instantiate(store_, module_.ref(), refs, &trap);
    if (!instance_) {
      return make_error(ErrorCode::kTrap, "instantiation failed: " + (trap ? trap->message() : std::string("unknown")));
    }
    if (!instance_->memories().empty()) {
      memory_ = store_.UnsafeGet<wi::Memory>(instance_->memories()[0]);
    }
    stack_budget_ = store_.UnsafeGet<wi::Global>(instance_->globals().at(stack_budget_global_));
    return {};
  }

  Result<ExportIndex> find_function(std::string_view name, const Signature& sig) override {
    const auto& exports = module_->desc().exports;
    for (std::size_t i = 0; i < exports.size(); ++i) {
      if (exports[i].type.name != name) continue;
      if (exports[i].type.type->kind != wabt::ExternalKind::Func) break;
      auto func = store_.UnsafeGet<wi::Func>(instance_->exports()[i]);
      Signature actual = to_signature(func->type());
      if (!(actual == sig)) {
        return make_error(ErrorCode::kAbiViolation, "export '" + std::string(name) + "' has type " +
                                                        actual.to_string() + ", expected " + sig.to_string());
      }
      funcs_.push_back(Resolved{std::move(func), std::move(actual)});
      return static_cast<ExportIndex>(funcs_.size() - 1);
    }
    return make_error(ErrorCode::kNotFound, "no function export '" + std::string(name) + "'");
  }

  Status call(ExportIndex fn, std::span<const Val> args, std::span<Val> results) override {
    Resolved& r = funcs_.at(fn);
    params_.clear();
    for (std::size_t i = 0; i < args.size(); ++i) params_.push_back(to_wabt_value(r.sig.params[i], args[i]));
    results_.clear();
    wi::Trap::Ptr trap;
    wabt::Result called = wabt::Result::Error;
    std::optional<std::string> thrown;
    try {
      called = r.func->Call(*thread_, params_, results_, &trap);
    } catch (const std::exception& e) {  // std::bad_alloc from a grow or the value stack
      thrown = e.what();
    }
    if (thrown || wabt::Failed(called)) {
      // A failed call leaves dead frames on the thread: start over with a fresh one.
      thread_ = std::make_unique<wi::Thread>(store_);
      std::string msg = thrown ? "out of memory (" + *thrown + ")" : trap ? trap->message() : std::string("unknown trap");
      trap.reset();
      // The stack guard traps with its budget below zero; frames it could not unwind still
      // hold their share: start over with the whole budget.
      if (stack_budget_->Get().Get<wi::s32>() < 0) msg = "call stack exhausted";
      stack_budget_->UnsafeSet(wi::Value::Make(static_cast<wi::s32>(instrument::kStackBudget)));
      store_.Collect();
      return make_error(ErrorCode::kTrap, std::move(msg));
    }
    for (std::size_t i = 0; i < results.size() && i < results_.size(); ++i) {
      results[i] = from_wabt_value(r.sig.results[i], results_[i]);
    }
    return {};
  }

  Result<ExportIndex> find_i64_global(std::string_view name) override {
    const auto& exports = module_->desc().exports;
    for (std::size_t i = 0; i < exports.size(); ++i) {
      if (exports[i].type.name != name) continue;
      if (exports[i].type.type->kind != wabt::ExternalKind::Global) break;
      auto g = store_.UnsafeGet<wi::Global>(instance_->exports()[i]);
      if (g->type().type != wabt::Type::I64 || g->type().mut != wi::Mutability::Var) break;
      globals_.push_back(std::move(g));
      return static_cast<ExportIndex>(globals_.size() - 1);
    }
    return make_error(ErrorCode::kNotFound, "no mutable i64 global export '" + std::string(name) + "'");
  }

  Status set_i64_global(ExportIndex global, std::int64_t value) override {
    globals_.at(global)->UnsafeSet(wi::Value::Make(static_cast<wi::s64>(value)));
    return {};
  }

  Result<TypedVal> get_global(std::string_view name) override {
    const auto& exports = module_->desc().exports;
    for (std::size_t i = 0; i < exports.size(); ++i) {
      if (exports[i].type.name != name) continue;
      if (exports[i].type.type->kind != wabt::ExternalKind::Global) break;
      auto g = store_.UnsafeGet<wi::Global>(instance_->exports()[i]);
      const ValType type = to_val_type(g->type().type);
      if (type == ValType::kOther) break;
      return TypedVal{type, from_wabt_value(type, g->Get())};
    }
    return make_error(ErrorCode::kNotFound, "no global export '" + std::string(name) + "' of a number type");
  }

  std::span<std::uint8_t> memory() override {
    if (!memory_) return {};
    return {memory_->UnsafeData(), static_cast<std::size_t>(memory_->ByteSize())};
  }

 private:
  struct Resolved {
    wi::Func::Ptr func;
    Signature sig;
  };
  wi::Store store_;
  std::unique_ptr<wi::Thread> thread_;
  wi::Module::Ptr module_;
  wi::Instance::Ptr instance_;
  wi::Memory::Ptr memory_;
  std::uint32_t stack_budget_global_;
  wi::Global::Ptr stack_budget_;
  std::vector<HostFunction> host_fns_;  // reserved up front: lambdas point into it
  std::vector<Resolved> funcs_;
  std::vector<wi::Global::Ptr> globals_;
  wi::Values params_;
  wi::Values results_;
};

std::span<std::uint8_t> WabtCallerMemory::bytes() { return inst_.memory(); }

class WabtModule final : public Module {
 public:
  WabtModule(wi::ModuleDesc desc, ModuleInfo info, std::uint32_t stack_budget_global)
      : desc_(std::move(desc)), info_(std::move(info)), stack_budget_global_(stack_budget_global) {}
  const ModuleInfo& info() const override { return info_; }

  Result<std::unique_ptr<Instance>> instantiate(std::span<const HostFunction> imports) const override {
    auto inst = std::make_unique<WabtInstance>(stack_budget_global_);
    try {
      WACTOR_TRY(inst->init(desc_, info_, imports));
    } catch (const std::exception& e) {  // an allocation failure fails this instance only
      return make_error(ErrorCode::kResourceExhausted, std::string("instantiation failed: out of memory (") + e.what() + ")");
    }
    return std::unique_ptr<Instance>(std::move(inst));
  }

 private:
  wi::ModuleDesc desc_;
  ModuleInfo info_;
  std::uint32_t stack_budget_global_;
};

class WabtEngine final : public Engine {
 public:
  std::string_view name() const override { return "interp"; }

  Result<std::shared_ptr<const Module>> load(std::span<const std::uint8_t> bytes, std::string_view origin,
                                             const LoadOptions& options) override {
    WACTOR_TRY(check_module_size(bytes, origin, options));
    // Every module, metered or not, gets the call-depth guard (instrument/stack_guard.h):
    // libwabt's own call stack limit is not safe to reach.
    auto guarded = instrument::add_stack_guard(bytes, origin);
    if (!guarded.ok()) return std::move(guarded).take_error();
    auto desc = read_module(guarded->wasm, origin);
    if (!desc.ok()) return std::move(desc).take_error();
    auto info = describe_module(*desc, origin, options);
    if (!info.ok()) return std::move(info).take_error();
    if (options.check) WACTOR_TRY(options.check(*info));
    return std::shared_ptr<const Module>(std::make_shared<WabtModule>(std::move(desc).value(), std::move(info).value(),
                                                                      guarded->budget_global));
  }
};

}  // namespace

std::unique_ptr<Engine> make_wabt_engine() { return std::make_unique<WabtEngine>(); }

}  // namespace wactor::engine
