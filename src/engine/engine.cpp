#include "wactor/engine.h"

#include "engine/wabt/wabt_engine.h"
#include "engine/wasm2c/aot_engine.h"

namespace wactor::engine {

std::string_view val_type_name(ValType t) {
  switch (t) {
    case ValType::kI32: return "i32";
    case ValType::kI64: return "i64";
    case ValType::kF32: return "f32";
    case ValType::kF64: return "f64";
    case ValType::kOther: break;
  }
  return "other";
}

std::string_view extern_kind_name(ExternKind k) {
  switch (k) {
    case ExternKind::kFunc: return "function";
    case ExternKind::kTable: return "table";
    case ExternKind::kMemory: return "memory";
    case ExternKind::kGlobal: return "global";
    case ExternKind::kTag: return "tag";
  }
  return "unknown";
}

std::string Signature::to_string() const {
  auto list = [](const std::vector<ValType>& v) {
    std::string s = "(";
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i) s += ", ";
      s += val_type_name(v[i]);
    }
    return s + ")";
  };
  return list(params) + " -> " + list(results);
}

const ExportInfo* ModuleInfo::find_export(std::string_view name) const {
  for (const auto& e : exports) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

// The fastest engine that works here comes first: aot needs a C compiler and wasm2c.
std::vector<std::string_view> engine_names() {
  if (aot_available()) return {"aot", "interp"};
  return {"interp"};
}

Result<std::unique_ptr<Engine>> make_engine(std::string_view name) {
  if (name == "interp" || name == "wabt") return make_wabt_engine();
  if (name == "aot") return make_aot_engine();
  std::string known;
  for (auto n : engine_names()) known += (known.empty() ? "" : ", ") + std::string(n);
  return make_error(ErrorCode::kInvalidArgument, "unknown engine '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace wactor::engine
