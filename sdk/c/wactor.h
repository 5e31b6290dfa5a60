/* wactor guest SDK for C — ABI v1. Header-only and freestanding (no libc):
 *   clang --target=wasm32 -nostdlib -Wl,--no-entry -Wl,--export-dynamic -fuse-ld=lld
 *
 * Define WACTOR_IMPLEMENTATION in exactly one translation unit before including this header:
 * it then provides `cabi_realloc` and the exported `handle-message` / `handle-callback` /
 * `init` entry points, which call the functions you write:
 *
 *   int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len);
 *   int wactor_on_callback(wactor_i64 request_id, int status, const wactor_u8* payload, int len); // WACTOR_WANT_CALLBACK
 *   int wactor_on_init(const char* config, int len);                                         // WACTOR_WANT_INIT
 *   int wactor_on_health(void);    // 0 healthy, anything else unhealthy                     // WACTOR_WANT_HEALTH
 *   int wactor_on_shutdown(void);  // before the instance goes away for good or a restart   // WACTOR_WANT_SHUTDOWN
 *   void wactor_on_snapshot(const void** state, int* len); // hot upgrade: the state to carry // WACTOR_WANT_SNAPSHOT
 *   int wactor_on_restore(const wactor_u8* state, int len); // 0 ok, else the upgrade rolls back // WACTOR_WANT_RESTORE
 *
 * Memory: buffers the host hands you (sender, payload, config) and anything from
 * wactor_scratch() live in a scratch arena that is reset after each handler returns.
 * Copy what must outlive the handler into your own static storage.
 * See docs/ABI.md for the normative contract. */
#ifndef WACTOR_H_
#define WACTOR_H_

typedef unsigned char wactor_u8;
typedef unsigned int wactor_u32;
typedef long long wactor_i64;



#define WACTOR_IMPORT(name) __attribute__((import_module("wactor"), import_name(name)))
#define WACTOR_EXPORT(name) __attribute__((export_name(name)))

/* Status codes returned by the imports (docs/ABI.md). */
enum {
  WACTOR_OK = 0,
  WACTOR_NOT_FOUND = -1,
  WACTOR_DENIED = -2,
  WACTOR_QUEUE_FULL = -3,
  WACTOR_INVALID_ARGUMENT = -4,
  WACTOR_TOO_LARGE = -5,
  WACTOR_ID_IN_USE = -6,
  WACTOR_LIMIT_REACHED = -7
};
/* Callback statuses passed to handle-callback. */
enum {
  WACTOR_CB_OK = 0,
  WACTOR_CB_ERROR_REPLY = 1,
  WACTOR_CB_TIMEOUT = 2,
  WACTOR_CB_CANCELLED = 3,
  WACTOR_CB_TARGET_DOWN = 4
};
enum { WACTOR_TRACE = 0, WACTOR_DEBUG = 1, WACTOR_INFO = 2, WACTOR_WARN = 3, WACTOR_ERROR = 4 };

/* Raw imports. */
WACTOR_IMPORT("send") int wactor_send_raw(const char* target, int target_len, const void* payload, int payload_len);
WACTOR_IMPORT("request") wactor_i64 wactor_request_raw(const char* target, int target_len, const void* payload,
                                                       int payload_len, int timeout_ms);
WACTOR_IMPORT("respond") int wactor_respond_raw(wactor_i64 request_id, int is_error, const void* payload,
                                                int payload_len);
WACTOR_IMPORT("current-request") wactor_i64 wactor_current_request(void);
WACTOR_IMPORT("cancel") int wactor_cancel(wactor_i64 request_id);
WACTOR_IMPORT("self-id") int wactor_self_id(char* buf, int cap);
WACTOR_IMPORT("log") void wactor_log_raw(int level, const char* msg, int len);
WACTOR_IMPORT("now-ms") wactor_i64 wactor_now_ms(void);
WACTOR_IMPORT("subscribe") int wactor_subscribe_raw(const char* pattern, int len);
WACTOR_IMPORT("unsubscribe") int wactor_unsubscribe_raw(const char* pattern, int len);
WACTOR_IMPORT("publish") int wactor_publish_raw(const char* topic, int topic_len, const void* payload, int payload_len);
WACTOR_IMPORT("broadcast") int wactor_broadcast(const void* payload, int payload_len);
WACTOR_IMPORT("current-topic") int wactor_current_topic(char* buf, int cap);
/* Actors that come and go (docs/ABI.md, "Spawn, stop, timers and monitors"). */
WACTOR_IMPORT("spawn") int wactor_spawn_raw(const char* module, int module_len, const char* id, int id_len,
                                            const char* config, int config_len);
WACTOR_IMPORT("stop") int wactor_stop_raw(const char* target, int target_len);
WACTOR_IMPORT("send-after") wactor_i64 wactor_send_after_raw(const char* target, int target_len, const void* payload,
                                                             int payload_len, int delay_ms);
WACTOR_IMPORT("cancel-timer") int wactor_cancel_timer(wactor_i64 timer_id);
WACTOR_IMPORT("monitor") int wactor_monitor_raw(const char* target, int target_len);
WACTOR_IMPORT("demonitor") int wactor_demonitor_raw(const char* target, int target_len);
/* HTTP ingress (docs/ABI.md, "HTTP"): while a request from sender "$http" is open. */
WACTOR_IMPORT("http-info") int wactor_http_info(wactor_i64 request_id, int what, const char* name, int name_len,
                                                char* buf, int cap);
WACTOR_IMPORT("http-set-status") int wactor_http_set_status_raw(wactor_i64 request_id, int status);
/* Key-value storage (docs/STORAGE.md): the component's own keys, committed with the handler
 * (return 0: committed; a trap, a stop or another return: discarded). */
WACTOR_IMPORT("kv-get") int wactor_kv_get_raw(const void* key, int key_len, void* buf, int cap);
WACTOR_IMPORT("kv-set") int wactor_kv_set_raw(const void* key, int key_len, const void* value, int value_len);
WACTOR_IMPORT("kv-delete") int wactor_kv_delete_raw(const void* key, int key_len);
WACTOR_IMPORT("kv-list") int wactor_kv_list_raw(const void* prefix, int prefix_len, const void* after, int after_len,
                                                void* buf, int cap);
WACTOR_IMPORT("kv-usage") wactor_i64 wactor_kv_usage(void);
WACTOR_IMPORT("http-set-header") int wactor_http_set_header_raw(wactor_i64 request_id, const char* name, int name_len,
                                                                const char* value, int value_len);

/* ---- small freestanding helpers ---- */
static inline int wactor_strlen(const char* s) {
  int n = 0;
  while (s[n]) ++n;
  return n;
}
static inline void wactor_memcpy(void* dst, const void* src, int n) {
  wactor_u8* d = (wactor_u8*)dst;
  const wactor_u8* s = (const wactor_u8*)src;
  for (int i = 0; i < n; ++i) d[i] = s[i];
}
static inline int wactor_memeq(const void* a, const void* b, int n) {
  const wactor_u8* x = (const wactor_u8*)a;
  const wactor_u8* y = (const wactor_u8*)b;
  for (int i = 0; i < n; ++i)
    if (x[i] != y[i]) return 0;
  return 1;
}
/* Does [p, p+len) start with the NUL-terminated prefix? */
static inline int wactor_starts_with(const void* p, int len, const char* prefix) {
  int n = wactor_strlen(prefix);
  return len >= n && wactor_memeq(p, prefix, n);
}

/* Convenience wrappers taking NUL-terminated strings. */
static inline int wactor_send(const char* target, const void* payload, int len) {
  return wactor_send_raw(target, wactor_strlen(target), payload, len);
}
static inline wactor_i64 wactor_request(const char* target, const void* payload, int len, int timeout_ms) {
  return wactor_request_raw(target, wactor_strlen(target), payload, len, timeout_ms);
}
static inline int wactor_respond(wactor_i64 request_id, const void* payload, int len) {
  return wactor_respond_raw(request_id, 0, payload, len);
}
static inline int wactor_respond_error(wactor_i64 request_id, const void* payload, int len) {
  return wactor_respond_raw(request_id, 1, payload, len);
}
static inline void wactor_log(int level, const char* msg) { wactor_log_raw(level, msg, wactor_strlen(msg)); }
static inline int wactor_subscribe(const char* pattern) { return wactor_subscribe_raw(pattern, wactor_strlen(pattern)); }
static inline int wactor_unsubscribe(const char* pattern) {
  return wactor_unsubscribe_raw(pattern, wactor_strlen(pattern));
}
static inline int wactor_publish(const char* topic, const void* payload, int len) {
  return wactor_publish_raw(topic, wactor_strlen(topic), payload, len);
}
/* config may be 0 (empty). */
static inline int wactor_spawn(const char* module, const char* id, const char* config) {
  return wactor_spawn_raw(module, wactor_strlen(module), id, wactor_strlen(id), config ? config : "",
                          config ? wactor_strlen(config) : 0);
}
static inline int wactor_stop(const char* target) { return wactor_stop_raw(target, wactor_strlen(target)); }
static inline wactor_i64 wactor_send_after(const char* target, const void* payload, int len, int delay_ms) {
  return wactor_send_after_raw(target, wactor_strlen(target), payload, len, delay_ms);
}
static inline int wactor_monitor(const char* target) { return wactor_monitor_raw(target, wactor_strlen(target)); }
static inline int wactor_demonitor(const char* target) {
  return wactor_demonitor_raw(target, wactor_strlen(target));
}

/* HTTP helpers for the request being handled (wactor_current_request()). Each returns the
 * full length (copying at most cap bytes) or a negative status: -1 not an open HTTP request
 * (or no such header). */
enum { WACTOR_HTTP_METHOD = 0, WACTOR_HTTP_PATH = 1, WACTOR_HTTP_QUERY = 2, WACTOR_HTTP_HEADER = 3,
       WACTOR_HTTP_HEADER_LIST = 4 };
static inline int wactor_http_method(char* buf, int cap) {
  return wactor_http_info(wactor_current_request(), WACTOR_HTTP_METHOD, "", 0, buf, cap);
}
static inline int wactor_http_path(char* buf, int cap) {
  return wactor_http_info(wactor_current_request(), WACTOR_HTTP_PATH, "", 0, buf, cap);
}
static inline int wactor_http_query(char* buf, int cap) {
  return wactor_http_info(wactor_current_request(), WACTOR_HTTP_QUERY, "", 0, buf, cap);
}
static inline int wactor_http_header(const char* name, char* buf, int cap) {
  return wactor_http_info(wactor_current_request(), WACTOR_HTTP_HEADER, name, wactor_strlen(name), buf, cap);
}
/* 200..599; -4 otherwise. Applies to the reply given later too. */
/* kv-get: the value's full length (at most cap bytes copied), -1 no such key. */
static inline int wactor_kv_get(const char* key, void* buf, int cap) {
  return wactor_kv_get_raw(key, wactor_strlen(key), buf, cap);
}
static inline int wactor_kv_set(const char* key, const void* value, int len) {
  return wactor_kv_set_raw(key, wactor_strlen(key), value, len);
}
static inline int wactor_kv_delete(const char* key) { return wactor_kv_delete_raw(key, wactor_strlen(key)); }
static inline int wactor_http_set_status(int status) {
  return wactor_http_set_status_raw(wactor_current_request(), status);
}
static inline int wactor_http_set_header(const char* name, const char* value) {
  return wactor_http_set_header_raw(wactor_current_request(), name, wactor_strlen(name), value, wactor_strlen(value));
}

/* A down notice: a message from sender "$down" with payload "<target-id> <reason>",
 * reason one of "stopped", "escalated", "init-failed", "owner-stopped". */
typedef struct {
  const char* target; /* points into the payload: valid during the handler only */
  int target_len;
  const char* reason;
  int reason_len;
} wactor_down;

/* 1 and fills *out if (sender, payload) is a well-formed down notice, else 0. */
static inline int wactor_parse_down(const char* sender, int sender_len, const wactor_u8* payload, int len,
                                    wactor_down* out) {
  if (sender_len != 5 || !wactor_memeq(sender, "$down", 5)) return 0;
  int sp = 0;
  while (sp < len && payload[sp] != ' ') ++sp;
  if (sp == 0 || sp + 1 >= len) return 0;
  out->target = (const char*)payload;
  out->target_len = sp;
  out->reason = (const char*)payload + sp + 1;
  out->reason_len = len - sp - 1;
  return 1;
}
/* Is the notice's reason exactly `reason` (NUL-terminated)? */
static inline int wactor_down_reason_is(const wactor_down* d, const char* reason) {
  int n = wactor_strlen(reason);
  return d->reason_len == n && wactor_memeq(d->reason, reason, n);
}

/* A tiny text builder for log lines and payloads (no printf without libc). */
typedef struct {
  char* buf;
  int len;
  int cap;
} wactor_text;

static inline void wactor_text_put(wactor_text* t, const void* p, int n) {
  if (n > t->cap - t->len) n = t->cap - t->len;
  wactor_memcpy(t->buf + t->len, p, n);
  t->len += n;
}
static inline void wactor_text_str(wactor_text* t, const char* s) { wactor_text_put(t, s, wactor_strlen(s)); }
static inline void wactor_text_i64(wactor_text* t, wactor_i64 v) {
  char tmp[24];
  int n = 0;
  unsigned long long u = v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) tmp[n++] = '-';
  while (n) wactor_text_put(t, &tmp[--n], 1);
}
/* Parses a decimal integer (optional '-') at *p within end; advances *p. */
static inline wactor_i64 wactor_parse_i64(const char** p, const char* end) {
  wactor_i64 sign = 1, v = 0;
  if (*p < end && **p == '-') {
    sign = -1;
    ++*p;
  }
  while (*p < end && **p >= '0' && **p <= '9') {
    v = v * 10 + (**p - '0');
    ++*p;
  }
  return sign * v;
}

/* A counter kept in storage: the stored decimal value plus `by` (a missing key counts as 0),
 * stored back; the new value, or a negative status (-7 quota, ...). */
static inline wactor_i64 wactor_kv_add(const char* key, wactor_i64 by) {
  char buf[24];
  int n = wactor_kv_get(key, buf, (int)sizeof buf);
  wactor_i64 v = 0;
  if (n > (int)sizeof buf) return -5;
  if (n >= 0) {
    const char* p = buf;
    v = wactor_parse_i64(&p, buf + n);
  } else if (n != -1) {
    return n;
  }
  v += by;
  char out[24];
  wactor_text t = {out, 0, (int)sizeof out};
  wactor_text_i64(&t, v);
  int rc = wactor_kv_set(key, out, t.len);
  return rc < 0 ? rc : v;
}
/* Scratch memory valid until the current handler returns. */
void* wactor_scratch(int size);

#ifdef WACTOR_IMPLEMENTATION

extern unsigned char __heap_base;
static wactor_u32 wactor_heap_top_;  /* next free byte */
static wactor_u32 wactor_heap_mark_; /* where the arena restarts after each handler */

static wactor_u32 wactor_align_(wactor_u32 v, wactor_u32 a) { return (v + a - 1) & ~(a - 1); }

static void* wactor_alloc_(wactor_u32 size, wactor_u32 align) {
  if (wactor_heap_mark_ == 0) wactor_heap_mark_ = wactor_heap_top_ = (wactor_u32)&__heap_base;
  if (align == 0 || (align & (align - 1))) align = 1;
  wactor_u32 p = wactor_align_(wactor_heap_top_, align);
  wactor_u32 end = p + size;
  if (end < p) return 0;
  wactor_u32 have = (wactor_u32)__builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    wactor_u32 pages = (end - have + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) == (unsigned long)-1) return 0;
  }
  wactor_heap_top_ = end;
  return (void*)p;
}

void* wactor_scratch(int size) { return wactor_alloc_((wactor_u32)size, 8); }

static void wactor_reset_arena_(void) { wactor_heap_top_ = wactor_heap_mark_; }

WACTOR_EXPORT("cabi_realloc")
void* cabi_realloc(void* old_ptr, int old_size, int align, int new_size) {
  void* p = wactor_alloc_((wactor_u32)new_size, (wactor_u32)align);
  if (p && old_ptr) wactor_memcpy(p, old_ptr, old_size < new_size ? old_size : new_size);
  return p;
}

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len);

WACTOR_EXPORT("handle-message")
int wactor_handle_message_(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  int rc = wactor_on_message(sender, sender_len, payload, len);
  wactor_reset_arena_();
  return rc;
}

#ifdef WACTOR_WANT_CALLBACK
int wactor_on_callback(wactor_i64 request_id, int status, const wactor_u8* payload, int len);
WACTOR_EXPORT("handle-callback")
int wactor_handle_callback_(wactor_i64 request_id, int status, const wactor_u8* payload, int len) {
  int rc = wactor_on_callback(request_id, status, payload, len);
  wactor_reset_arena_();
  return rc;
}
#endif

#ifdef WACTOR_WANT_INIT
int wactor_on_init(const char* config, int len);
WACTOR_EXPORT("init")
int wactor_init_(const char* config, int len) {
  int rc = wactor_on_init(config, len);
  wactor_reset_arena_();
  return rc;
}
#endif

/* The inbox: where the host copies small deliveries (sender + payload, a callback's
 * payload, the config) without calling cabi_realloc. WACTOR_INBOX_SIZE 0 turns it off. */
#ifndef WACTOR_INBOX_SIZE
#define WACTOR_INBOX_SIZE 4096
#endif
#if WACTOR_INBOX_SIZE > 0
static wactor_u8 wactor_inbox_buf_[WACTOR_INBOX_SIZE] __attribute__((aligned(16)));
WACTOR_EXPORT("inbox")
wactor_i64 wactor_inbox_(void) {
  return (wactor_i64)(((unsigned long long)WACTOR_INBOX_SIZE << 32) | (unsigned long)wactor_inbox_buf_);
}
#endif

#ifdef WACTOR_WANT_HEALTH
int wactor_on_health(void);
WACTOR_EXPORT("health")
int wactor_health_(void) {
  int rc = wactor_on_health();
  wactor_reset_arena_();
  return rc;
}
#endif

#ifdef WACTOR_WANT_SHUTDOWN
int wactor_on_shutdown(void);
WACTOR_EXPORT("shutdown")
int wactor_shutdown_(void) {
  int rc = wactor_on_shutdown();
  wactor_reset_arena_();
  return rc;
}
#endif

/* Hot upgrade (docs/ABI.md): the old instance's state is read with `snapshot` and handed
 * to the new instance's `restore` after its init. The bytes wactor_on_snapshot points to
 * must stay valid until the export returns: static storage or wactor_scratch() (the
 * arena is not reset by this export, the next handler resets it). */
#ifdef WACTOR_WANT_SNAPSHOT
void wactor_on_snapshot(const void** state, int* len);
WACTOR_EXPORT("snapshot")
wactor_i64 wactor_snapshot_(void) {
  const void* state = 0;
  int len = 0;
  wactor_on_snapshot(&state, &len);
  if (!state || len < 0) len = 0;
  return (wactor_i64)(((unsigned long long)(wactor_u32)len << 32) | (unsigned long)state);
}
#endif

#ifdef WACTOR_WANT_RESTORE
int wactor_on_restore(const wactor_u8* state, int len);
WACTOR_EXPORT("restore")
int wactor_restore_(const wactor_u8* state, int len) {
  int rc = wactor_on_restore(state, len);
  wactor_reset_arena_();
  return rc;
}
#endif

#endif /* WACTOR_IMPLEMENTATION */
#endif /* WACTOR_H_ */
