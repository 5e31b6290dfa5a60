#include "abi/abi_v1.h"

#include "instrument/metering.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace wactor::abi {
namespace {

using engine::CallerMemory;
using engine::HostFunction;
using engine::HostOutcome;
using engine::Signature;
using engine::Val;
using engine::ValType;

constexpr ValType I32 = ValType::kI32;
constexpr ValType I64 = ValType::kI64;

struct Named {
  std::string_view name;
  Signature sig;
};

const std::array<Named, 27>& import_table() {
  static const std::array<Named, 27> t = {{
      {"send", {{I32, I32, I32, I32}, {I32}}},
      {"request", {{I32, I32, I32, I32, I32}, {I64}}},
      {"respond", {{I64, I32, I32, I32}, {I32}}},
      {"current-request", {{}, {I64}}},
      {"cancel", {{I64}, {I32}}},
      {"self-id", {{I32, I32}, {I32}}},
      {"log", {{I32, I32, I32}, {}}},
      {"now-ms", {{}, {I64}}},
      {"subscribe", {{I32, I32}, {I32}}},
      {"unsubscribe", {{I32, I32}, {I32}}},
      {"publish", {{I32, I32, I32, I32}, {I32}}},
      {"broadcast", {{I32, I32}, {I32}}},
      {"current-topic", {{I32, I32}, {I32}}},
      {"spawn", {{I32, I32, I32, I32, I32, I32}, {I32}}},
      {"stop", {{I32, I32}, {I32}}},
      {"send-after", {{I32, I32, I32, I32, I32}, {I64}}},
      {"cancel-timer", {{I64}, {I32}}},
      {"monitor", {{I32, I32}, {I32}}},
      {"demonitor", {{I32, I32}, {I32}}},
      {"http-info", {{I64, I32, I32, I32, I32, I32}, {I32}}},
      {"http-set-status", {{I64, I32}, {I32}}},
      {"http-set-header", {{I64, I32, I32, I32, I32}, {I32}}},
      {"kv-get", {{I32, I32, I32, I32}, {I32}}},
      {"kv-set", {{I32, I32, I32, I32}, {I32}}},
      {"kv-delete", {{I32, I32}, {I32}}},
      {"kv-list", {{I32, I32, I32, I32, I32, I32}, {I32}}},
      {"kv-usage", {{}, {I64}}},
  }};
  return t;
}

const Signature kReallocSig{{I32, I32, I32, I32}, {I32}};
const Signature kHandleMessageSig{{I32, I32, I32, I32}, {I32}};
const Signature kHandleCallbackSig{{I64, I32, I32, I32}, {I32}};
const Signature kInitSig{{I32, I32}, {I32}};
const Signature kNoArgStatusSig{{}, {I32}};
const Signature kInboxSig{{}, {I64}};
constexpr std::uint64_t kMaxInbox = 16u << 20;

struct ExportRule {
  std::string_view name;
  const Signature* sig;
  bool required;
};

const Signature kSnapshotSig{{}, {I64}};
const Signature kRestoreSig{{I32, I32}, {I32}};

const std::array<ExportRule, 9>& export_rules() {
  static const std::array<ExportRule, 9> r = {{
      {"cabi_realloc", &kReallocSig, true},
      {"handle-message", &kHandleMessageSig, true},
      {"handle-callback", &kHandleCallbackSig, false},
      {"init", &kInitSig, false},
      {"health", &kNoArgStatusSig, false},
      {"shutdown", &kNoArgStatusSig, false},
      {"inbox", &kInboxSig, false},
      {"snapshot", &kSnapshotSig, false},
      {"restore", &kRestoreSig, false},
  }};
  return r;
}

// The guest region [ptr, ptr+len) of the caller's memory, or empty optional if out of bounds.
std::optional<std::span<std::uint8_t>> region(CallerMemory& mem, std::int32_t ptr, std::int32_t len) {
  auto bytes = mem.bytes();
  const std::uint64_t p = static_cast<std::uint32_t>(ptr);
  const std::uint64_t l = static_cast<std::uint32_t>(len);
  if (p + l > bytes.size()) return std::nullopt;
  return bytes.subspan(p, l);
}

std::string_view as_text(std::span<const std::uint8_t> s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

// Copies at most `cap` bytes of `text` to the guest buffer; returns the full length or -4.
std::int32_t copy_out(CallerMemory& m, std::int32_t ptr, std::int32_t cap, std::string_view text, GuestHost& h,
                      std::string_view import) {
  auto buf = region(m, ptr, cap);
  if (!buf) {
    h.invalid_call(import);
    return kInvalidArgument;
  }
  const std::size_t n = std::min(text.size(), buf->size());
  if (n > 0) std::memcpy(buf->data(), text.data(), n);
  return static_cast<std::int32_t>(text.size());
}

// A template, not a HostCallback: the import's body is called directly from the guard, one
// std::function call per import call instead of two.
template <class Fn>
HostFunction make(std::string_view name, Fn fn) {
  const auto& table = import_table();
  auto it = std::find_if(table.begin(), table.end(), [&](const Named& n) { return n.name == name; });
  // The crash boundary of every import: an exception (an allocation failure, say) traps the
  // calling guest and never unwinds through engine frames (aot's are C without unwind tables).
  auto guarded = [fn = std::move(fn)](CallerMemory& m, const Val* a, Val* r) -> HostOutcome {
    try {
      return fn(m, a, r);
    } catch (const std::exception& e) {
      return HostOutcome::trapped(std::string("wactor: host error: ") + e.what());
    } catch (...) {
      return HostOutcome::trapped("wactor: host error");
    }
  };
  return HostFunction{std::string(kImportModule), std::string(name), it->sig, std::move(guarded)};
}

// A storage key: 1..1024 bytes in bounds.
std::optional<std::string_view> kv_key(CallerMemory& m, std::int32_t ptr, std::int32_t len) {
  if (len <= 0 || static_cast<std::size_t>(len) > kMaxKeyBytes) return std::nullopt;
  auto key = region(m, ptr, len);
  if (!key) return std::nullopt;
  return as_text(*key);
}

HostOutcome kv_result(std::int32_t st, Val* r) {
  if (st == kStorageFailed) return HostOutcome::trapped("wactor: storage failed");
  r[0].i32 = st;
  return HostOutcome::ok();
}

void add_kv_imports(std::vector<HostFunction>& fns, GuestHost& host) {
  GuestHost* h = &host;
  fns.push_back(make("kv-get", [h](CallerMemory& m, const Val* a, Val* r) {
    auto key = kv_key(m, a[0].i32, a[1].i32);
    if (!key || !region(m, a[2].i32, a[3].i32)) {
      h->invalid_call("kv-get");
      return kv_result(kInvalidArgument, r);
    }
    std::string value;
    const std::int32_t st = h->kv_get(*key, value);
    if (st != kOk) return kv_result(st, r);
    return kv_result(copy_out(m, a[2].i32, a[3].i32, value, *h, "kv-get"), r);
  }));
  fns.push_back(make("kv-set", [h](CallerMemory& m, const Val* a, Val* r) {
    auto key = kv_key(m, a[0].i32, a[1].i32);
    auto value = region(m, a[2].i32, a[3].i32);
    if (!key || !value) {
      h->invalid_call("kv-set");
      return kv_result(kInvalidArgument, r);
    }
    return kv_result(h->kv_set(*key, *value), r);
  }));
  fns.push_back(make("kv-delete", [h](CallerMemory& m, const Val* a, Val* r) {
    auto key = kv_key(m, a[0].i32, a[1].i32);
    if (!key) {
      h->invalid_call("kv-delete");
      return kv_result(kInvalidArgument, r);
    }
    return kv_result(h->kv_delete(*key), r);
  }));
  fns.push_back(make("kv-list", [h](CallerMemory& m, const Val* a, Val* r) {
    auto prefix = region(m, a[0].i32, a[1].i32);
    auto after = region(m, a[2].i32, a[3].i32);
    auto buf = region(m, a[4].i32, a[5].i32);
    if (!prefix || !after || !buf || prefix->size() > kMaxKeyBytes || after->size() > kMaxKeyBytes) {
      h->invalid_call("kv-list");
      return kv_result(kInvalidArgument, r);
    }
    std::string out;
    const std::int32_t st = h->kv_list(as_text(*prefix), as_text(*after), buf->size(), out);
    if (st < 0) return kv_result(st, r);
    if (!out.empty()) std::memcpy(buf->data(), out.data(), std::min(out.size(), buf->size()));
    return kv_result(st, r);
  }));
  fns.push_back(make("kv-usage", [h](CallerMemory&, const Val*, Val* r) {
    const std::int64_t u = h->kv_usage();
    if (u == kStorageFailed) return HostOutcome::trapped("wactor: storage failed");
    r[0].i64 = u;
    return HostOutcome::ok();
  }));
}

}  // namespace

bool valid_utf8(std::string_view s) { return valid_utf8_prefix(s) == s.size(); }

std::size_t valid_utf8_prefix(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return i;
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return i;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return i;
}

std::vector<std::string> abi_problems(const engine::ModuleInfo& info) {
  std::vector<std::string> problems;
  for (const auto& imp : info.imports) {
    if (imp.module == instrument::kInternalModule) continue;  // added by metering, never by guests
    const std::string qual = imp.module + "." + imp.name;
    if (imp.module != kImportModule) {
      problems.push_back("unknown import " + qual + " (only module '" + std::string(kImportModule) +
                         "' is provided)");
      continue;
    }
    if (imp.kind != engine::ExternKind::kFunc) {
      problems.push_back("import " + qual + " is a " + std::string(engine::extern_kind_name(imp.kind)) +
                         "; only functions are provided");
      continue;
    }
    const auto& table = import_table();
    auto it = std::find_if(table.begin(), table.end(), [&](const Named& n) { return n.name == imp.name; });
    if (it == table.end()) {
      problems.push_back("unknown import " + qual);
    } else if (!(it->sig == imp.sig)) {
      problems.push_back("import " + qual + " has type " + imp.sig.to_string() + ", expected " + it->sig.to_string());
    }
  }
  const auto* mem = info.find_export("memory");
  if (mem == nullptr) {
    problems.push_back("missing export 'memory'");
  } else if (mem->kind != engine::ExternKind::kMemory) {
    problems.push_back("export 'memory' is a " + std::string(engine::extern_kind_name(mem->kind)) + ", expected a memory");
  }
  for (const auto& rule : export_rules()) {
    const auto* e = info.find_export(rule.name);
    if (e == nullptr) {
      if (rule.required) problems.push_back("missing export '" + std::string(rule.name) + "'");
    } else if (e->kind != engine::ExternKind::kFunc) {
      problems.push_back("export '" + std::string(rule.name) + "' is a " +
                         std::string(engine::extern_kind_name(e->kind)) + ", expected a function");
    } else if (!(e->sig == *rule.sig)) {
      problems.push_back("export '" + std::string(rule.name) + "' has type " + e->sig.to_string() + ", expected " +
                         rule.sig->to_string());
    }
  }
  return problems;
}

Status check_module(const engine::ModuleInfo& info, std::string_view origin) {
  auto problems = abi_problems(info);
  if (problems.empty()) return {};
  std::string msg = std::string(origin) + ": does not satisfy wactor ABI v1: " + problems.front();
  if (problems.size() > 1) msg += " (and " + std::to_string(problems.size() - 1) + " more problems)";
  return make_error(ErrorCode::kAbiViolation, std::move(msg));
}

std::vector<HostFunction> make_imports(GuestHost& host) {
  GuestHost* h = &host;
  std::vector<HostFunction> fns;
  fns.reserve(import_table().size() + 3);  // and the three internal ones the component adds
  fns.push_back(make("send", [h](CallerMemory& m, const Val* a, Val* r) {
    auto target = region(m, a[0].i32, a[1].i32);
    auto payload = region(m, a[2].i32, a[3].i32);
    if (!target || !payload || !valid_utf8(as_text(*target))) {
      r[0].i32 = kInvalidArgument;
      h->invalid_call("send");
    } else {
      r[0].i32 = h->send(as_text(*target), *payload);
    }
    return HostOutcome::ok();
  }));
  fns.push_back(make("request", [h](CallerMemory& m, const Val* a, Val* r) {
    auto target = region(m, a[0].i32, a[1].i32);
    auto payload = region(m, a[2].i32, a[3].i32);
    if (!target || !payload || !valid_utf8(as_text(*target)) || a[4].i32 < 0) {
      r[0].i64 = kInvalidArgument;
      h->invalid_call("request");
    } else {
      r[0].i64 = h->request(as_text(*target), *payload, a[4].i32);
    }
    return HostOutcome::ok();
  }));
  fns.push_back(make("respond", [h](CallerMemory& m, const Val* a, Val* r) {
    auto payload = region(m, a[2].i32, a[3].i32);
    if (!payload || (a[1].i32 != 0 && a[1].i32 != 1) || a[0].i64 <= 0) {
      r[0].i32 = kInvalidArgument;
      h->invalid_call("respond");
    } else {
      r[0].i32 = h->respond(a[0].i64, a[1].i32 == 1, *payload);
    }
    return HostOutcome::ok();
  }));
  fns.push_back(make("current-request", [h](CallerMemory&, const Val*, Val* r) {
    r[0].i64 = h->current_request();
    return HostOutcome::ok();
  }));
  fns.push_back(make("cancel", [h](CallerMemory&, const Val* a, Val* r) {
    if (a[0].i64 <= 0) {
      r[0].i32 = kInvalidArgument;
      h->invalid_call("cancel");
    } else {
      r[0].i32 = h->cancel(a[0].i64);
    }
    return HostOutcome::ok();
  }));
  fns.push_back(make("self-id", [h](CallerMemory& m, const Val* a, Val* r) {
    r[0].i32 = copy_out(m, a[0].i32, a[1].i32, h->self_id(), *h, "self-id");
    return HostOutcome::ok();
  }));
  fns.push_back(make("log", [h](CallerMemory& m, const Val* a, Val*) {
    auto msg = region(m, a[1].i32, a[2].i32);
    if (a[0].i32 < kTrace || a[0].i32 > kError) {
      h->bad_log_call("level " + std::to_string(a[0].i32) + " is not 0..4");
    } else if (!msg) {
      h->bad_log_call("message pointer/length out of bounds");
    } else if (!valid_utf8(as_text(*msg))) {
      h->bad_log_call("message is not valid UTF-8");
    } else {
      h->log(a[0].i32, as_text(*msg));
    }
    return HostOutcome::ok();
  }));
  fns.push_back(make("now-ms", [h](CallerMemory&, const Val*, Val* r) {
    r[0].i64 = h->now_ms();
    return HostOutcome::ok();
  }));
  // subscribe / unsubscribe: (pattern_ptr, pattern_len) -> status
  for (std::string_view name : {std::string_view("subscribe"), std::string_view("unsubscribe")}) {
    const bool sub = name == "subscribe";
    fns.push_back(make(name, [h, sub, name](CallerMemory& m, const Val* a, Val* r) {
      auto pattern = region(m, a[0].i32, a[1].i32);
      if (!pattern || !valid_utf8(as_text(*pattern))) {
        r[0].i32 = kInvalidArgument;
        h->invalid_call(name);
      } else {
        r[0].i32 = sub ? h->subscribe(as_text(*pattern)) : h->unsubscribe(as_text(*pattern));
      }
      return HostOutcome::ok();
    }));
  }
  fns.push_back(make("publish", [h](CallerMemory& m, const Val* a, Val* r) {
    auto topic = region(m, a[0].i32, a[1].i32);
    auto payload = region(m, a[2].i32, a[3].i32);
    if (!topic || !payload || !valid_utf8(as_text(*topic))) {
      r[0].i32 = kInvalidArgument;
      h->invalid_call("publish");
    } else {
      r[0].i32 = h->publish(as_text(*topic), *payload);
    }
    return HostOutcome::ok();
  }));
  fns.push_back(make("broadcast", [h](CallerMemory& m, const Val* a, Val* r) {
    auto payload = region(m, a[0].i32, a[1].i32);
    if (!payload) {
      r[0].i32 = kInvalidArgument;
      h->invalid_call("broadcast");
    } else {
      r[0].i32 = h->broadcast(*payload);
    }
    return HostOutcome::ok();
  }));
  fns.push_back(make("current-topic", [h](CallerMemory& m, const Val* a, Val* r) {
    r[0].i32 = copy_out(m, a[0].i32, a[1].i32, h->current_topic(), *h, "current-topic");
    return HostOutcome::ok();
  }));
  fns.push_back(make("spawn", [h](CallerMemory& m, const Val* a, Val* r) {
    auto module = region(m, a[0].i32, a[1].i32);
    auto id = region(m, a[2].i32, a[3].i32);
    auto config = region(m, a[4].i32, a[5].i32);
    if (!module || !id || !config || !valid_utf8(as_text(*module)) || !valid_utf8(as_text(*id)) ||
        !valid_utf8(as_text(*config))) {
      r[0].i32 = kInvalidArgument;
      h->invalid_call("spawn");
    } else {
      r[0].i32 = h->spawn(as_text(*module), as_text(*id), as_text(*config));
    }
    return HostOutcome::ok();
  }));
  // stop / monitor / demonitor: (target_ptr, target_len) -> status
  for (std::string_view name : {std::string_view("stop"), std::string_view("monitor"), std::string_view("demonitor")}) {
    fns.push_back(make(name, [h, name](CallerMemory& m, const Val* a, Val* r) {
      auto target = region(m, a[0].i32, a[1].i32);
      if (!target || !valid_utf8(as_text(*target))) {
        r[0].i32 = kInvalidArgument;
        h->invalid_call(name);
      } else if (name == "stop") {
        r[0].i32 = h->stop(as_text(*target));
      } else if (name == "monitor") {
        r[0].i32 = h->monitor(as_text(*target));
      } else {
        r[0].i32 = h->demonitor(as_text(*target));
      }
      return HostOutcome::ok();
    }));
  }
  fns.push_back(make("send-after", [h](CallerMemory& m, const Val* a, Val* r) {
    auto target = region(m, a[0].i32, a[1].i32);
    auto payload = region(m, a[2].i32, a[3].i32);
    if (!target || !payload || !valid_utf8(as_text(*target)) || a[4].i32 < 0) {
      r[0].i64 = kInvalidArgument;
      h->invalid_call("send-after");
    } else {
      r[0].i64 = h->send_after(as_text(*target), *payload, a[4].i32);
    }
    return HostOutcome::ok();
  }));
  // HTTP ingress: (request_id, what, name_ptr, name_len, buf_ptr, buf_cap) -> full length or status
  fns.push_back(make("http-info", [h](CallerMemory& m, const Val* a, Val* r) {
    auto name = region(m, a[2].i32, a[3].i32);
    if (a[0].i64 <= 0 || !name || a[1].i32 < 0 || a[1].i32 > kHttpInfoLast || !region(m, a[4].i32, a[5].i32)) {
      r[0].i32 = kInvalidArgument;
      h->invalid_call("http-info");
      return HostOutcome::ok();
    }
    std::string out;
    const std::int32_t st = h->http_info(a[0].i64, a[1].i32, as_text(*name), out);
    r[0].i32 = st == kOk ? copy_out(m, a[4].i32, a[5].i32, out, *h, "http-info") : st;
    return HostOutcome::ok();
  }));
  fns.push_back(make("http-set-status", [h](CallerMemory&, const Val* a, Val* r) {
    if (a[0].i64 <= 0 || a[1].i32 < 200 || a[1].i32 > 599) {
      r[0].i32 = kInvalidArgument;
      h->invalid_call("http-set-status");
    } else {
      r[0].i32 = h->http_set_status(a[0].i64, a[1].i32);
    }
    return HostOutcome::ok();
  }));
  fns.push_back(make("http-set-header", [h](CallerMemory& m, const Val* a, Val* r) {
    auto name = region(m, a[1].i32, a[2].i32);
    auto value = region(m, a[3].i32, a[4].i32);
    if (a[0].i64 <= 0 || !name || !value || !valid_header_name(as_text(*name)) ||
        !valid_header_value(as_text(*value))) {
      r[0].i32 = kInvalidArgument;
      h->invalid_call("http-set-header");
    } else {
      r[0].i32 = h->http_set_header(a[0].i64, as_text(*name), as_text(*value));
    }
    return HostOutcome::ok();
  }));
  fns.push_back(make("cancel-timer", [h](CallerMemory&, const Val* a, Val* r) {
    if (a[0].i64 <= 0) {
      r[0].i32 = kInvalidArgument;
      h->invalid_call("cancel-timer");
    } else {
      r[0].i32 = h->cancel_timer(a[0].i64);
    }
    return HostOutcome::ok();
  }));
  add_kv_imports(fns, host);
  return fns;
}

namespace {
Result<std::optional<engine::ExportIndex>> optional_export(engine::Instance& inst, std::string_view name,
                                                           const Signature& sig) {
  auto r = inst.find_function(name, sig);
  if (r.ok()) return std::optional<engine::ExportIndex>(*r);
  if (r.error().code == ErrorCode::kNotFound) return std::optional<engine::ExportIndex>();
  return std::move(r).take_error();
}

Result<std::int32_t> call_status(engine::Instance& inst, engine::ExportIndex fn, std::span<const Val> args) {
  Val result{};
  WACTOR_TRY(inst.call(fn, args, std::span<Val>(&result, 1)));
  return result.i32;
}
}  // namespace

Result<GuestExports> GuestExports::resolve(engine::Instance& instance) {
  GuestExports g;
  auto realloc_fn = instance.find_function("cabi_realloc", kReallocSig);
  if (!realloc_fn.ok()) return std::move(realloc_fn).take_error();
  g.realloc_ = *realloc_fn;
  auto hm = instance.find_function("handle-message", kHandleMessageSig);
  if (!hm.ok()) return std::move(hm).take_error();
  g.handle_message_ = *hm;
  auto hc = optional_export(instance, "handle-callback", kHandleCallbackSig);
  if (!hc.ok()) return std::move(hc).take_error();
  g.handle_callback_ = *hc;
  auto in = optional_export(instance, "init", kInitSig);
  if (!in.ok()) return std::move(in).take_error();
  g.init_ = *in;
  auto he = optional_export(instance, "health", kNoArgStatusSig);
  if (!he.ok()) return std::move(he).take_error();
  g.health_ = *he;
  auto sh = optional_export(instance, "shutdown", kNoArgStatusSig);
  if (!sh.ok()) return std::move(sh).take_error();
  g.shutdown_ = *sh;
  auto sn = optional_export(instance, "snapshot", kSnapshotSig);
  if (!sn.ok()) return std::move(sn).take_error();
  g.snapshot_ = *sn;
  auto rs = optional_export(instance, "restore", kRestoreSig);
  if (!rs.ok()) return std::move(rs).take_error();
  g.restore_ = *rs;
  auto ib = optional_export(instance, "inbox", kInboxSig);
  if (!ib.ok()) return std::move(ib).take_error();
  if (*ib) {
    Val packed{};
    WACTOR_TRY(instance.call(**ib, {}, std::span<Val>(&packed, 1)));
    const auto bits = static_cast<std::uint64_t>(packed.i64);
    const std::uint64_t ptr = bits & 0xffffffffu, cap = bits >> 32;
    const std::uint64_t mem = instance.memory().size();
    if (cap > kMaxInbox || (cap > 0 && (ptr == 0 || ptr + cap > mem))) {
      return make_error(ErrorCode::kAbiViolation, "inbox() returned buffer " + std::to_string(ptr) + " of " +
                                                      std::to_string(cap) + " bytes: outside memory (" +
                                                      std::to_string(mem) + " bytes) or larger than 16 MiB");
    }
    g.inbox_ptr_ = static_cast<std::uint32_t>(ptr);
    g.inbox_cap_ = static_cast<std::uint32_t>(cap);
  }
  return g;
}

Result<std::int32_t> GuestExports::place(engine::Instance& instance, std::span<const std::uint8_t> bytes) {
  return place(instance, bytes, {});
}

Result<std::int32_t> GuestExports::place(engine::Instance& instance, std::span<const std::uint8_t> bytes,
                                         std::span<const std::uint8_t> second) {
  const std::size_t total = bytes.size() + second.size();
  if (total == 0) return 0;
  if (total > static_cast<std::size_t>(INT32_MAX)) {
    return make_error(ErrorCode::kInvalidArgument, std::to_string(total) + " bytes do not fit a guest buffer");
  }
  if (total <= inbox_cap_) {  // fits the guest's inbox: no allocation call
    auto mem = instance.memory();
    if (inbox_ptr_ + total <= mem.size()) {
      if (!bytes.empty()) std::memcpy(mem.data() + inbox_ptr_, bytes.data(), bytes.size());
      if (!second.empty()) std::memcpy(mem.data() + inbox_ptr_ + bytes.size(), second.data(), second.size());
      return static_cast<std::int32_t>(inbox_ptr_);
    }
  }
  std::array<Val, 4> args{};
  args[2].i32 = 1;
  args[3].i32 = static_cast<std::int32_t>(total);
  auto ptr = call_status(instance, realloc_, args);
  if (!ptr.ok()) return ptr;
  auto mem = instance.memory();
  const std::uint64_t p = static_cast<std::uint32_t>(*ptr);
  if (p == 0) {
    return make_error(ErrorCode::kResourceExhausted,
                      "cabi_realloc returned 0 for " + std::to_string(total) + " bytes (guest out of memory)");
  }
  if (p + total > mem.size()) {
    return make_error(ErrorCode::kGuestError, "cabi_realloc returned " + std::to_string(p) +
                                                  ", out of bounds for " + std::to_string(total) + " bytes");
  }
  if (!bytes.empty()) std::memcpy(mem.data() + p, bytes.data(), bytes.size());
  if (!second.empty()) std::memcpy(mem.data() + p + bytes.size(), second.data(), second.size());
  return *ptr;
}

Result<std::int32_t> GuestExports::init(engine::Instance& instance, std::span<const std::uint8_t> config) {
  if (!init_) return 0;
  auto ptr = place(instance, config);
  if (!ptr.ok()) return ptr;
  std::array<Val, 2> args{};
  args[0].i32 = *ptr;
  args[1].i32 = static_cast<std::int32_t>(config.size());
  return call_status(instance, *init_, args);
}

Result<std::int32_t> GuestExports::handle_message(engine::Instance& instance, std::string_view sender,
                                                  std::span<const std::uint8_t> payload) {
  // One buffer: the sender's id, then the payload.
  auto sp = place(instance, {reinterpret_cast<const std::uint8_t*>(sender.data()), sender.size()}, payload);
  if (!sp.ok()) return sp;
  std::array<Val, 4> args{};
  args[0].i32 = sender.empty() ? 0 : *sp;
  args[1].i32 = static_cast<std::int32_t>(sender.size());
  args[2].i32 = payload.empty() ? 0
                                : static_cast<std::int32_t>(static_cast<std::uint32_t>(*sp) +
                                                            static_cast<std::uint32_t>(sender.size()));
  args[3].i32 = static_cast<std::int32_t>(payload.size());
  return call_status(instance, handle_message_, args);
}

Result<std::int32_t> GuestExports::handle_callback(engine::Instance& instance, std::int64_t request_id,
                                                   std::int32_t status, std::span<const std::uint8_t> payload) {
  if (!handle_callback_) {
    return make_error(ErrorCode::kFailedPrecondition, "component does not export handle-callback");
  }
  auto pp = place(instance, payload);
  if (!pp.ok()) return pp;
  std::array<Val, 4> args{};
  args[0].i64 = request_id;
  args[1].i32 = status;
  args[2].i32 = *pp;
  args[3].i32 = static_cast<std::int32_t>(payload.size());
  return call_status(instance, *handle_callback_, args);
}

Result<std::int32_t> GuestExports::shutdown(engine::Instance& instance) {
  if (!shutdown_) return 0;
  return call_status(instance, *shutdown_, {});
}

Result<std::int32_t> GuestExports::health(engine::Instance& instance) {
  if (!health_) return 0;
  return call_status(instance, *health_, {});
}

Result<std::string> GuestExports::snapshot(engine::Instance& instance) {
  if (!snapshot_) return std::string();
  Val packed{};
  WACTOR_TRY(instance.call(*snapshot_, {}, std::span<Val>(&packed, 1)));
  const auto bits = static_cast<std::uint64_t>(packed.i64);
  const std::uint64_t ptr = bits & 0xffffffffu, len = bits >> 32;
  auto mem = instance.memory();
  if (ptr + len > mem.size()) {
    return make_error(ErrorCode::kGuestError, "snapshot() returned " + std::to_string(len) + " bytes at " +
                                                  std::to_string(ptr) + ": outside memory (" +
                                                  std::to_string(mem.size()) + " bytes)");
  }
  return std::string(reinterpret_cast<const char*>(mem.data()) + ptr, len);
}

Result<std::int32_t> GuestExports::restore(engine::Instance& instance, std::span<const std::uint8_t> state) {
  if (!restore_) return 0;
  auto ptr = place(instance, state);
  if (!ptr.ok()) return ptr;
  std::array<Val, 2> args{};
  args[0].i32 = *ptr;
  args[1].i32 = static_cast<std::int32_t>(state.size());
  return call_status(instance, *restore_, args);
}

std::string_view guest_status_name(std::int32_t status) {
  switch (status) {
    case kOk: return "ok";
    case kNotFound: return "not found";
    case kDenied: return "denied";
    case kQueueFull: return "queue full";
    case kInvalidArgument: return "invalid argument";
    case kTooLarge: return "too large";
    case kInUse: return "id in use";
    case kLimitReached: return "limit reached";
    default: return "unknown status";
  }
}

std::string_view callback_status_name(std::int32_t status) {
  switch (status) {
    case kCallbackOk: return "ok";
    case kCallbackErrorReply: return "error reply";
    case kCallbackTimeout: return "timeout";
    case kCallbackCancelled: return "cancelled";
    case kCallbackTargetDown: return "target down";
    default: return "unknown";
  }
}

std::string_view log_level_name(std::int32_t level) {
  switch (level) {
    case kTrace: return "TRACE";
    case kDebug: return "DEBUG";
    case kInfo: return "INFO";
    case kWarn: return "WARN";
    case kError: return "ERROR";
    default: return "?";
  }
}

}  // namespace wactor::abi

namespace wactor::abi {

bool valid_header_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  std::string lower;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    const bool tchar = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!tchar) return false;
    lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  }
  // Framing and connection management belong to the server.
  for (std::string_view owned : {"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te",
                                 "trailer", "proxy-connection", "date", "server"}) {
    if (lower == owned) return false;
  }
  return true;
}

bool valid_header_value(std::string_view value) {
  if (value.size() > 8192) return false;
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\r' || c == '\n' || c == 0 || (c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

}  // namespace wactor::abi
