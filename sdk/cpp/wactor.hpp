// wactor guest SDK for C++ (ABI v1, docs/ABI.md; guide: docs/SDK-CPP.md). Header-only.
//
// Works freestanding (no C++ standard library) and with the wasm32 libc++:
//   clang++ --target=wasm32 -std=c++20 -O2 -nostdlib -ffreestanding -fno-exceptions -fno-rtti
//           -mbulk-memory -fuse-ld=lld -Wl,--no-entry -I sdk/cpp -o x.wasm x.cpp
//   (with libc++: --target=wasm32-wasi -isystem /usr/lib/llvm-16/include/wasm32-wasi/c++/v1
//    instead of -ffreestanding; `str` is then std::string_view and `bytes` std::span)
//
// A component is a default-constructible class with any of these members:
//   int on_init(wactor::str config);            // 0 ok (non-zero: the component fails to start)
//   int on_message(const wactor::Message& m);  // 0 handled (void also allowed)
//   int on_reply(const wactor::Reply& r);      // replies to requests made without a lambda
//   int on_health();  int on_shutdown();        // with WACTOR_WANT_HEALTH / WACTOR_WANT_SHUTDOWN
//   wactor::bytes on_snapshot();  int on_restore(wactor::bytes);  // WACTOR_WANT_SNAPSHOT / _RESTORE
// and one translation unit says WACTOR_COMPONENT(MyComponent); to export the ABI.
//
// Memory: what the host hands a handler (sender, payload, config, reply payloads) and
// wactor::scratch() memory is valid until the handler returns; copy what must last.
#ifndef WACTOR_HPP_
#define WACTOR_HPP_

#if defined(WACTOR_FREESTANDING) || !__has_include(<string_view>) || !__has_include(<span>)
#define WACTOR_HAS_STD 0
#else
#define WACTOR_HAS_STD 1
#include <span>
#include <string_view>
#endif
#if __has_include(<new>) && WACTOR_HAS_STD
#include <new>
#else
inline void* operator new(decltype(sizeof 0), void* p) noexcept { return p; }
#endif

namespace wactor {

constexpr decltype(sizeof 0) cstrlen(const char* s) {
  decltype(sizeof 0) n = 0;
  while (s[n]) ++n;
  return n;
}

using u8 = unsigned char;
using u32 = unsigned int;
using i64 = long long;
using usize = decltype(sizeof 0);
using RequestId = i64;
using TimerId = i64;

// ---------------------------------------------------------------- strings and bytes
#if WACTOR_HAS_STD
using str = std::string_view;
using bytes = std::span<const u8>;
#else
// The subset of std::string_view the SDK and its examples use, for freestanding builds.
class str {
 public:
  constexpr str() = default;
  constexpr str(const char* s) : p_(s), n_(cstrlen(s)) {}  // NOLINT: implicit like string_view
  constexpr str(const char* s, usize n) : p_(s), n_(n) {}
  constexpr const char* data() const { return p_; }
  constexpr usize size() const { return n_; }
  constexpr bool empty() const { return n_ == 0; }
  constexpr const char* begin() const { return p_; }
  constexpr const char* end() const { return p_ + n_; }
  constexpr char operator[](usize i) const { return p_[i]; }
  constexpr str substr(usize pos, usize n = usize(-1)) const {
    if (pos > n_) pos = n_;
    return {p_ + pos, n > n_ - pos ? n_ - pos : n};
  }
  constexpr bool starts_with(str o) const { return n_ >= o.n_ && substr(0, o.n_) == o; }
  constexpr usize find(char c, usize from = 0) const {
    for (usize i = from; i < n_; ++i)
      if (p_[i] == c) return i;
    return npos;
  }
  friend constexpr bool operator==(str a, str b) {
    if (a.n_ != b.n_) return false;
    for (usize i = 0; i < a.n_; ++i)
      if (a.p_[i] != b.p_[i]) return false;
    return true;
  }
  static constexpr usize npos = usize(-1);

 private:
  const char* p_ = "";
  usize n_ = 0;
};
// The subset of std::span<const unsigned char> the SDK uses.
class bytes {
 public:
  constexpr bytes() = default;
  constexpr bytes(const u8* p, usize n) : p_(p), n_(n) {}
  constexpr const u8* data() const { return p_; }
  constexpr usize size() const { return n_; }
  constexpr bool empty() const { return n_ == 0; }
  constexpr const u8* begin() const { return p_; }
  constexpr const u8* end() const { return p_ + n_; }
  constexpr u8 operator[](usize i) const { return p_[i]; }

 private:
  const u8* p_ = nullptr;
  usize n_ = 0;
};
#endif

inline str as_str(bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
inline bytes as_bytes(str s) { return {reinterpret_cast<const u8*>(s.data()), s.size()}; }

// A payload: any bytes or text (string literal, str, bytes, Text).
struct Data {
  const void* ptr = nullptr;
  usize len = 0;
  constexpr Data() = default;
  constexpr Data(const void* p, usize n) : ptr(p), len(n) {}
  Data(const char* s) : ptr(s), len(cstrlen(s)) {}  // NOLINT: implicit on purpose
  Data(str s) : ptr(s.data()), len(s.size()) {}              // NOLINT
  Data(bytes b) : ptr(b.data()), len(b.size()) {}            // NOLINT
};

// ---------------------------------------------------------------- statuses
// What an import returns (docs/ABI.md, "Status codes"). Values the SDK does not know
// are kept as they are (never a trap): name() says "unknown".
enum class Status : int {
  ok = 0,
  not_found = -1,
  denied = -2,
  queue_full = -3,
  invalid_argument = -4,
  too_large = -5,
  id_in_use = -6,
  limit_reached = -7,
};
// How a request ended (docs/ABI.md, "Callback statuses").
enum class Outcome : int { ok = 0, error_reply = 1, timeout = 2, cancelled = 3, target_down = 4 };

constexpr const char* name(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::not_found: return "not-found";
    case Status::denied: return "denied";
    case Status::queue_full: return "queue-full";
    case Status::invalid_argument: return "invalid-argument";
    case Status::too_large: return "too-large";
    case Status::id_in_use: return "id-in-use";
    case Status::limit_reached: return "limit-reached";
  }
  return "unknown";
}
constexpr const char* name(Outcome o) {
  switch (o) {
    case Outcome::ok: return "ok";
    case Outcome::error_reply: return "error-reply";
    case Outcome::timeout: return "timeout";
    case Outcome::cancelled: return "cancelled";
    case Outcome::target_down: return "target-down";
  }
  return "unknown";
}
constexpr bool ok(Status s) { return s == Status::ok; }

// A value or the status that prevented it.
template <class T>
class [[nodiscard]] Result {
 public:
  constexpr Result(T v) : value_(v) {}  // NOLINT: implicit from a value
  constexpr Result(Status s) : status_(s == Status::ok ? Status::invalid_argument : s) {}  // NOLINT
  constexpr bool ok() const { return status_ == Status::ok; }
  constexpr explicit operator bool() const { return ok(); }
  constexpr Status status() const { return status_; }
  constexpr T value() const { return value_; }  // T{} when !ok()
  constexpr T value_or(T other) const { return ok() ? value_ : other; }

 private:
  T value_{};
  Status status_ = Status::ok;
};

// ---------------------------------------------------------------- raw imports
namespace raw {
// C++ linkage (mangled symbols): no clash with libc names such as log.
#define WACTOR_IMPORT_(n) __attribute__((import_module("wactor"), import_name(n)))
WACTOR_IMPORT_("send") int send(const char* t, int tl, const void* p, int pl);
WACTOR_IMPORT_("request") i64 request(const char* t, int tl, const void* p, int pl, int timeout_ms);
WACTOR_IMPORT_("respond") int respond(i64 id, int is_error, const void* p, int pl);
WACTOR_IMPORT_("current-request") i64 current_request();
WACTOR_IMPORT_("cancel") int cancel(i64 id);
WACTOR_IMPORT_("self-id") int self_id(char* buf, int cap);
WACTOR_IMPORT_("log") void log(int level, const char* m, int ml);
WACTOR_IMPORT_("now-ms") i64 now_ms();
WACTOR_IMPORT_("subscribe") int subscribe(const char* p, int pl);
WACTOR_IMPORT_("unsubscribe") int unsubscribe(const char* p, int pl);
WACTOR_IMPORT_("publish") int publish(const char* t, int tl, const void* p, int pl);
WACTOR_IMPORT_("broadcast") int broadcast(const void* p, int pl);
WACTOR_IMPORT_("current-topic") int current_topic(char* buf, int cap);
WACTOR_IMPORT_("spawn") int spawn(const char* m, int ml, const char* id, int il, const char* c, int cl);
WACTOR_IMPORT_("stop") int stop(const char* t, int tl);
WACTOR_IMPORT_("send-after") i64 send_after(const char* t, int tl, const void* p, int pl, int delay_ms);
WACTOR_IMPORT_("cancel-timer") int cancel_timer(i64 id);
WACTOR_IMPORT_("monitor") int monitor(const char* t, int tl);
WACTOR_IMPORT_("demonitor") int demonitor(const char* t, int tl);
WACTOR_IMPORT_("http-info") int http_info(i64 id, int what, const char* n, int nl, char* buf, int cap);
WACTOR_IMPORT_("http-set-status") int http_set_status(i64 id, int status);
WACTOR_IMPORT_("http-set-header") int http_set_header(i64 id, const char* n, int nl, const char* v, int vl);
// Storage (docs/STORAGE.md): the linker drops every import the guest does not call; a
// module importing kv-set/kv-delete has its outputs held until its writes are durable.
WACTOR_IMPORT_("kv-get") int kv_get(const char* k, int kl, void* buf, int cap);
WACTOR_IMPORT_("kv-set") int kv_set(const char* k, int kl, const void* v, int vl);
WACTOR_IMPORT_("kv-delete") int kv_delete(const char* k, int kl);
WACTOR_IMPORT_("kv-list") int kv_list(const char* p, int pl, const char* a, int al, void* buf, int cap);
WACTOR_IMPORT_("kv-usage") i64 kv_usage();
#undef WACTOR_IMPORT_
}  // namespace raw

namespace detail {
inline int len(usize n) { return n > 0x7fffffffu ? 0x7fffffff : static_cast<int>(n); }
inline Status st(int rc) { return static_cast<Status>(rc > 0 ? 0 : rc); }
inline void copy(void* dst, const void* src, usize n) { __builtin_memcpy(dst, src, n); }
}  // namespace detail

// ---------------------------------------------------------------- scratch memory
// A bump arena over the memory after the data (also what cabi_realloc hands the host),
// reset after every export call. nullptr when memory cannot grow.
namespace detail {
extern "C" unsigned char __heap_base;
inline u32 heap_mark, heap_top;
inline void* alloc(u32 size, u32 align) {
  if (heap_mark == 0) heap_mark = heap_top = reinterpret_cast<u32>(&__heap_base);
  if (align == 0 || (align & (align - 1))) align = 1;
  const u32 p = (heap_top + align - 1) & ~(align - 1);
  const u32 end = p + size;
  if (end < p) return nullptr;
  const u32 have = static_cast<u32>(__builtin_wasm_memory_size(0)) * 65536u;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535u) / 65536u) == static_cast<usize>(-1))
    return nullptr;
  heap_top = end;
  return reinterpret_cast<void*>(p);
}
inline void reset_arena() { heap_top = heap_mark; }
}  // namespace detail
inline void* scratch(usize size) { return detail::alloc(static_cast<u32>(size), 8); }

// ---------------------------------------------------------------- text
// A fixed-capacity text builder: Text<64> t; t << "ping " << 3; send("pong", t);
// What does not fit is cut.
template <usize N>
class Text {
 public:
  Text& operator<<(str s) {
    for (char c : s) put(c);
    return *this;
  }
  Text& operator<<(const char* s) { return *this << str(s); }
  Text& operator<<(char c) { return put(c); }
  Text& operator<<(bytes b) { return *this << as_str(b); }
  Text& operator<<(i64 v) {
    if (v < 0) put('-');
    return number(v < 0 ? static_cast<unsigned long long>(-(v + 1)) + 1 : static_cast<unsigned long long>(v));
  }
  // Every integer type: no ambiguous overload for u32, size_t, long or uint64_t.
  Text& operator<<(int v) { return *this << static_cast<i64>(v); }
  Text& operator<<(long v) { return *this << static_cast<i64>(v); }
  Text& operator<<(unsigned v) { return number(v); }
  Text& operator<<(unsigned long v) { return number(v); }
  Text& operator<<(unsigned long long v) { return number(v); }
  Text& operator<<(Status s) { return *this << name(s); }
  Text& operator<<(Outcome o) { return *this << name(o); }
  Text& put(char c) {
    if (n_ < N) buf_[n_++] = c;
    return *this;
  }
  void clear() { n_ = 0; }
  Text& number(unsigned long long u) {
    char tmp[24];
    int n = 0;
    do tmp[n++] = static_cast<char>('0' + u % 10);
    while (u /= 10);
    while (n) put(tmp[--n]);
    return *this;
  }
  const char* data() const { return buf_; }
  usize size() const { return n_; }
  str view() const { return {buf_, n_}; }
  operator str() const { return view(); }                // NOLINT: implicit on purpose
  operator Data() const { return Data(buf_, n_); }       // NOLINT

 private:
  char buf_[N];
  usize n_ = 0;
};

// Parses a decimal integer (optional '-') at the start of `s`, skipping spaces first;
// advances `s` past it. 0 if there is none.
inline i64 parse_int(str& s) {
  usize i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  i64 sign = 1, v = 0;
  if (i < s.size() && s[i] == '-') sign = -1, ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
  s = s.substr(i);
  return sign * v;
}
inline i64 parse_int(str&& s) { return parse_int(s); }
// The next space-separated word of `s`; advances `s` past it.
inline str next_word(str& s) {
  usize i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  usize j = i;
  while (j < s.size() && s[j] != ' ') ++j;
  str w = s.substr(i, j - i);
  s = s.substr(j);
  return w;
}

// ---------------------------------------------------------------- logging
enum class Level : int { trace = 0, debug = 1, info = 2, warn = 3, error = 4 };
inline void log(Level l, str msg) { raw::log(static_cast<int>(l), msg.data(), detail::len(msg.size())); }
inline void trace(str m) { log(Level::trace, m); }
inline void debug(str m) { log(Level::debug, m); }
inline void info(str m) { log(Level::info, m); }
inline void warn(str m) { log(Level::warn, m); }
inline void error(str m) { log(Level::error, m); }

// ---------------------------------------------------------------- messages and replies
// A down notice (docs/ABI.md, "monitor"): `target` went down for `reason`.
struct Down {
  str target;
  str reason;  // "stopped", "escalated", "init-failed" or "owner-stopped"
};

// One message or request being handled (valid until the handler returns).
struct Message {
  str sender;      // a component id, "$host", "$http" or "$down"
  bytes payload;
  RequestId request = 0;  // current-request(): > 0 when this is a request to answer

  str text() const { return as_str(payload); }
  bool is_request() const { return request > 0; }
  // Answers this request (Status::not_found if it is not one, or already answered).
  [[nodiscard]] Status reply(Data d) const {
    if (!is_request()) return Status::not_found;
    return detail::st(raw::respond(request, 0, d.ptr, detail::len(d.len)));
  }
  [[nodiscard]] Status reply_error(Data d) const {
    if (!is_request()) return Status::not_found;
    return detail::st(raw::respond(request, 1, d.ptr, detail::len(d.len)));
  }
  // True and fills `out` for a well-formed $down notice.
  bool down(Down& out) const {
    if (sender != str("$down")) return false;
    const str t = text();
    const usize sp = t.find(' ');
    if (sp == 0 || sp == str::npos || sp + 1 >= t.size()) return false;
    out = {t.substr(0, sp), t.substr(sp + 1)};
    return true;
  }
  // The topic of a published message (empty otherwise); in scratch memory.
  str topic() const {
    char* buf = static_cast<char*>(scratch(256));
    const int n = buf ? raw::current_topic(buf, 256) : 0;
    return n > 0 && n <= 256 ? str(buf, static_cast<usize>(n)) : str();
  }
};

// How a request ended, passed to its lambda (or to the component's on_reply).
struct Reply {
  RequestId id = 0;
  Outcome outcome = Outcome::ok;
  bytes payload;  // the reply, the error text for error_reply, empty otherwise
  bool ok() const { return outcome == Outcome::ok; }
  str text() const { return as_str(payload); }
};

// ---------------------------------------------------------------- calls
inline Status send(str target, Data payload) {
  return detail::st(raw::send(target.data(), detail::len(target.size()), payload.ptr, detail::len(payload.len)));
}
inline Status respond(RequestId id, Data payload) {
  return detail::st(raw::respond(id, 0, payload.ptr, detail::len(payload.len)));
}
inline Status respond_error(RequestId id, Data payload) {
  return detail::st(raw::respond(id, 1, payload.ptr, detail::len(payload.len)));
}
inline RequestId current_request() { return raw::current_request(); }
inline Status cancel(RequestId id) { return detail::st(raw::cancel(id)); }
inline i64 now_ms() { return raw::now_ms(); }
// This component's id (kept after the first call).
inline str self_id() {
  static char buf[128];
  static int n;
  if (n <= 0) n = raw::self_id(buf, sizeof buf);
  return n > 0 && n <= 128 ? str(buf, static_cast<usize>(n)) : str();
}
inline Status subscribe(str pattern) { return detail::st(raw::subscribe(pattern.data(), detail::len(pattern.size()))); }
inline Status unsubscribe(str pattern) {
  return detail::st(raw::unsubscribe(pattern.data(), detail::len(pattern.size())));
}
// How many components it was queued for.
inline Result<int> publish(str topic, Data payload) {
  const int rc = raw::publish(topic.data(), detail::len(topic.size()), payload.ptr, detail::len(payload.len));
  if (rc < 0) return static_cast<Status>(rc);
  return rc;
}
inline Result<int> broadcast(Data payload) {
  const int rc = raw::broadcast(payload.ptr, detail::len(payload.len));
  if (rc < 0) return static_cast<Status>(rc);
  return rc;
}
// An empty config: the module's own.
inline Status spawn(str module, str id, str config = {}) {
  return detail::st(raw::spawn(module.data(), detail::len(module.size()), id.data(), detail::len(id.size()),
                               config.data(), detail::len(config.size())));
}
inline Status stop(str target) { return detail::st(raw::stop(target.data(), detail::len(target.size()))); }
inline Result<TimerId> send_after(str target, Data payload, int delay_ms) {
  const i64 rc = raw::send_after(target.data(), detail::len(target.size()), payload.ptr, detail::len(payload.len),
                                 delay_ms);
  if (rc <= 0) return static_cast<Status>(static_cast<int>(rc));
  return rc;
}
inline Status cancel_timer(TimerId id) { return detail::st(raw::cancel_timer(id)); }
inline Status monitor(str target) { return detail::st(raw::monitor(target.data(), detail::len(target.size()))); }
inline Status demonitor(str target) { return detail::st(raw::demonitor(target.data(), detail::len(target.size()))); }

// ---------------------------------------------------------------- HTTP (docs/ABI.md, "HTTP")
enum class HttpPart : int { method = 0, path = 1, query = 2, header = 3, header_list = 4 };
// One part of the request head, in scratch memory (Status::not_found: not an open HTTP
// request, or no such header).
inline Result<str> http_info(RequestId id, HttpPart what, str name = {}) {
  int cap = 256;
  for (int attempt = 0; attempt < 2; ++attempt) {
    char* buf = static_cast<char*>(scratch(static_cast<usize>(cap)));
    if (!buf) return Status::limit_reached;
    const int n = raw::http_info(id, static_cast<int>(what), name.data(), detail::len(name.size()), buf, cap);
    if (n < 0) return static_cast<Status>(n);
    if (n <= cap) return str(buf, static_cast<usize>(n));
    cap = n;
  }
  return Status::invalid_argument;
}
inline Status http_set_status(RequestId id, int status) { return detail::st(raw::http_set_status(id, status)); }
inline Status http_set_header(RequestId id, str name, str value) {
  return detail::st(raw::http_set_header(id, name.data(), detail::len(name.size()), value.data(),
                                         detail::len(value.size())));
}

// ---------------------------------------------------------------- storage (issue 13)
// The value's full length, copying at most buf_cap bytes (Status::not_found: no such key).
inline Result<int> kv_get(str key, void* buf, usize cap) {
  const int rc = raw::kv_get(key.data(), detail::len(key.size()), buf, detail::len(cap));
  if (rc < 0) return static_cast<Status>(rc);
  return rc;
}
// The whole value, in scratch memory.
inline Result<bytes> kv_get(str key) {
  int cap = 256;
  for (int attempt = 0; attempt < 3; ++attempt) {
    u8* buf = static_cast<u8*>(scratch(static_cast<usize>(cap)));
    if (!buf) return Status::limit_reached;
    const int n = raw::kv_get(key.data(), detail::len(key.size()), buf, cap);
    if (n < 0) return static_cast<Status>(n);
    if (n <= cap) return bytes(buf, static_cast<usize>(n));
    cap = n;  // it grew or was bigger: once more with its size
  }
  return Status::limit_reached;
}
inline Status kv_set(str key, Data value) {
  return detail::st(raw::kv_set(key.data(), detail::len(key.size()), value.ptr, detail::len(value.len)));
}
inline Status kv_delete(str key) { return detail::st(raw::kv_delete(key.data(), detail::len(key.size()))); }
// The bytes (keys + values) the component holds, this call's writes included.
inline Result<i64> kv_usage() {
  const i64 n = raw::kv_usage();
  if (n < 0) return static_cast<Status>(static_cast<int>(n));
  return n;
}
// One page of kv-list: how many keys (each a 4-byte little-endian length, then the bytes)
// were written to buf; 0: no more. Prefer kv_keys.
inline Result<int> kv_list(str prefix, str after, void* buf, usize cap) {
  const int rc = raw::kv_list(prefix.data(), detail::len(prefix.size()), after.data(), detail::len(after.size()), buf,
                              detail::len(cap));
  if (rc < 0) return static_cast<Status>(rc);
  return rc;
}
// Calls f(str key) for every key starting with prefix (empty: all), ascending, fetched a
// 4 KiB page at a time into scratch memory (two pages, reused: a key stays valid while the
// next page is read, then is overwritten; copy what you keep). f returns void, or bool
// (false stops).
// Status::ok, or the status that ended the listing (Status::denied: storage is off).
template <class F>
Status kv_keys(str prefix, F&& f) {
  constexpr int kPage = 4096;  // always holds one key (4 + 1024 bytes)
  u8* pages[2] = {static_cast<u8*>(scratch(kPage)), static_cast<u8*>(scratch(kPage))};
  if (!pages[0] || !pages[1]) return Status::limit_reached;
  str after;  // the last key, in the other page
  for (int page = 0;; page ^= 1) {
    u8* buf = pages[page];
    const int n = raw::kv_list(prefix.data(), detail::len(prefix.size()), after.data(), detail::len(after.size()),
                               buf, kPage);
    if (n < 0) return static_cast<Status>(n);
    if (n == 0) return Status::ok;
    int at = 0;
    for (int i = 0; i < n; ++i) {
      if (at + 4 > kPage) return Status::invalid_argument;  // a host that broke the format
      const int len = buf[at] | buf[at + 1] << 8 | buf[at + 2] << 16 | buf[at + 3] << 24;
      if (len < 0 || len > kPage - at - 4) return Status::invalid_argument;
      after = str(reinterpret_cast<const char*>(buf + at + 4), static_cast<usize>(len));
      at += 4 + len;
      if constexpr (requires { static_cast<bool>(f(after)); }) {
        if (!static_cast<bool>(f(after))) return Status::ok;
      } else {
        f(after);
      }
    }
  }
}

// ---------------------------------------------------------------- requests with lambdas
// Up to WACTOR_MAX_CALLBACKS requests may wait with a lambda at a time, each lambda at most
// WACTOR_CALLBACK_BYTES of captures, trivially copyable (ints, pointers, str, ...).
#ifndef WACTOR_MAX_CALLBACKS
#define WACTOR_MAX_CALLBACKS 64
#endif
#ifndef WACTOR_CALLBACK_BYTES
#define WACTOR_CALLBACK_BYTES 32
#endif
namespace detail {
struct Slot {
  RequestId id = 0;  // 0: free
  void (*run)(void* fn, const Reply& r) = nullptr;
  alignas(8) u8 fn[WACTOR_CALLBACK_BYTES];
};
inline Slot slots[WACTOR_MAX_CALLBACKS];
inline int slots_used;  // replies skip the search when no lambda waits
inline Slot* free_slot() {
  for (auto& s : slots)
    if (s.id == 0) return &s;
  return nullptr;
}
// Runs the lambda kept for the request; false if there is none.
inline bool run_callback(const Reply& r) {
  if (slots_used == 0) return false;
  for (auto& s : slots) {
    if (s.id != r.id) continue;
    Slot copy = s;  // the lambda may make requests that reuse this slot
    s.id = 0;
    --slots_used;
    copy.run(copy.fn, r);
    return true;
  }
  return false;
}
}  // namespace detail

// A request whose outcome goes to the component's on_reply.
inline Result<RequestId> request(str target, Data payload, int timeout_ms = 0) {
  const i64 rc = raw::request(target.data(), detail::len(target.size()), payload.ptr, detail::len(payload.len),
                              timeout_ms);
  if (rc <= 0) return static_cast<Status>(static_cast<int>(rc));
  return rc;
}
// A request whose outcome runs `on_reply(const Reply&)`, exactly once, whatever it is.
// Status::limit_reached (nothing sent) when WACTOR_MAX_CALLBACKS lambdas already wait.
template <class F>
Result<RequestId> request(str target, Data payload, int timeout_ms, F on_reply) {
  static_assert(sizeof(F) <= WACTOR_CALLBACK_BYTES, "lambda captures too big: raise WACTOR_CALLBACK_BYTES");
  static_assert(alignof(F) <= 8, "lambda captures over-aligned");
  static_assert(__is_trivially_copyable(F) && __is_trivially_destructible(F),
                "capture only trivially copyable values (ints, pointers, str)");
  detail::Slot* s = detail::free_slot();
  if (!s) return Status::limit_reached;
  const Result<RequestId> id = request(target, payload, timeout_ms);
  if (!id) return id;
  s->id = id.value();
  ++detail::slots_used;
  s->run = [](void* fn, const Reply& r) { (*static_cast<F*>(fn))(r); };
  ::new (static_cast<void*>(s->fn)) F(on_reply);
  return id;
}

// ---------------------------------------------------------------- exports
namespace detail {
template <class C>
C& component() {
  alignas(C) static u8 storage[sizeof(C)];
  static bool made;
  if (!made) {
    ::new (static_cast<void*>(storage)) C();
    made = true;
  }
  return *reinterpret_cast<C*>(storage);
}
// Calls a handler that returns int (its result) or void (0).
template <class F>
int call(F f) {
  if constexpr (requires { static_cast<int>(f()); }) return static_cast<int>(f());
  else return f(), 0;
}
template <class C>
int handle_message(const char* s, int sl, const u8* p, int pl) {
  const Message m{str(s, static_cast<usize>(sl)), bytes(p, static_cast<usize>(pl)), raw::current_request()};
  int rc = 0;
  if constexpr (requires(C& c, const Message& x) { c.on_message(x); })
    rc = call([&] { return component<C>().on_message(m); });
  reset_arena();
  return rc;
}
template <class C>
int handle_callback(i64 id, int status, const u8* p, int pl) {
  const Reply r{id, static_cast<Outcome>(status), bytes(p, static_cast<usize>(pl))};
  int rc = 0;
  if (!run_callback(r)) {
    if constexpr (requires(C& c, const Reply& x) { c.on_reply(x); })
      rc = call([&] { return component<C>().on_reply(r); });
  }
  reset_arena();
  return rc;
}
template <class C>
int init(const char* c, int cl) {
  const str config(c, static_cast<usize>(cl));
  int rc = 0;
  if constexpr (requires(C& x, str y) { x.on_init(y); })
    rc = call([&] { return component<C>().on_init(config); });
  else
    component<C>();
  reset_arena();
  return rc;
}
template <class C, class F>
int plain(F f) {
  const int rc = f(component<C>());
  reset_arena();
  return rc;
}
#ifndef WACTOR_INBOX_SIZE
#define WACTOR_INBOX_SIZE 4096
#endif
alignas(16) inline u8 inbox_buf[WACTOR_INBOX_SIZE > 0 ? WACTOR_INBOX_SIZE : 1];
}  // namespace detail
}  // namespace wactor

#define WACTOR_EXPORT_(n) __attribute__((export_name(n)))
#ifdef WACTOR_WANT_HEALTH
#define WACTOR_HEALTH_(C) \
  extern "C" WACTOR_EXPORT_("health") int wactor_health_() { return ::wactor::detail::plain<C>([](C& c) { return static_cast<int>(c.on_health()); }); }
#else
#define WACTOR_HEALTH_(C)
#endif
#ifdef WACTOR_WANT_SHUTDOWN
#define WACTOR_SHUTDOWN_(C) \
  extern "C" WACTOR_EXPORT_("shutdown") int wactor_shutdown_() { return ::wactor::detail::plain<C>([](C& c) { return static_cast<int>(c.on_shutdown()); }); }
#else
#define WACTOR_SHUTDOWN_(C)
#endif
#ifdef WACTOR_WANT_SNAPSHOT
// on_snapshot's bytes must stay valid until the export returns (members, statics or scratch).
#define WACTOR_SNAPSHOT_(C)                                                                   \
  extern "C" WACTOR_EXPORT_("snapshot") ::wactor::i64 wactor_snapshot_() {                    \
    const ::wactor::bytes b = ::wactor::detail::component<C>().on_snapshot();                  \
    return static_cast<::wactor::i64>((static_cast<unsigned long long>(b.size()) << 32) |       \
                                      reinterpret_cast<::wactor::u32>(b.data()));              \
  }
#else
#define WACTOR_SNAPSHOT_(C)
#endif
#ifdef WACTOR_WANT_RESTORE
#define WACTOR_RESTORE_(C)                                                                      \
  extern "C" WACTOR_EXPORT_("restore") int wactor_restore_(const ::wactor::u8* p, int n) {        \
    return ::wactor::detail::plain<C>(                                                           \
        [=](C& c) { return static_cast<int>(c.on_restore(::wactor::bytes(p, static_cast<::wactor::usize>(n)))); }); \
  }
#else
#define WACTOR_RESTORE_(C)
#endif

// Exports the ABI for component class C (once per module).
#define WACTOR_COMPONENT(C)                                                                             \
  extern "C" WACTOR_EXPORT_("cabi_realloc") void* cabi_realloc(void* old, int old_size, int align, int size) { \
    void* p = ::wactor::detail::alloc(static_cast<::wactor::u32>(size), static_cast<::wactor::u32>(align));   \
    if (p && old) ::wactor::detail::copy(p, old, static_cast<::wactor::usize>(old_size < size ? old_size : size)); \
    return p;                                                                                           \
  }                                                                                                     \
  extern "C" WACTOR_EXPORT_("inbox") ::wactor::i64 wactor_inbox_() {                                    \
    return WACTOR_INBOX_SIZE > 0                                                                        \
               ? static_cast<::wactor::i64>((static_cast<unsigned long long>(WACTOR_INBOX_SIZE) << 32) | \
                                            reinterpret_cast<::wactor::u32>(::wactor::detail::inbox_buf)) \
               : 0;                                                                                     \
  }                                                                                                     \
  extern "C" WACTOR_EXPORT_("init") int wactor_init_(const char* c, int n) { return ::wactor::detail::init<C>(c, n); } \
  extern "C" WACTOR_EXPORT_("handle-message") int wactor_handle_message_(const char* s, int sl, const ::wactor::u8* p, int pl) { \
    return ::wactor::detail::handle_message<C>(s, sl, p, pl);                                          \
  }                                                                                                     \
  extern "C" WACTOR_EXPORT_("handle-callback") int wactor_handle_callback_(::wactor::i64 id, int st, const ::wactor::u8* p, int pl) { \
    return ::wactor::detail::handle_callback<C>(id, st, p, pl);                                        \
  }                                                                                                     \
  WACTOR_HEALTH_(C) WACTOR_SHUTDOWN_(C) WACTOR_SNAPSHOT_(C) WACTOR_RESTORE_(C)                          \
  static_assert(true, "")

#endif  // WACTOR_HPP_
