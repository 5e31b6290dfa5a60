/* relay: keeps messages flowing at a steady rate, for the live dashboard (docs/DASHBOARD.md).
 * Every component of examples/live/app.toml runs it, each with its own config (words):
 *   every=<ms>    after "start" from the host, it ticks every <ms> milliseconds (a send-after
 *                 timer to itself; it never spins): each tick sends burst= messages
 *   burst=<n>     messages per tick (default 1), each to the next target of to= in turn
 *   to=<a,b,..>   its targets (at most 8): each tick's burst goes there, and so does every
 *                 keep=-th message it receives from another component
 *   keep=<k>      forward one message in k received (default 1: each one)
 *   ask=<target>  on each tick, also a request to <target>
 *   wave=<ms>     the burst swells and ebbs between 0.5x and 1.5x over <ms> (a livelier chart)
 * Every request it receives is answered at once; callbacks are only counted. */
#define WACTOR_IMPLEMENTATION
#define WACTOR_WANT_CALLBACK
#define WACTOR_WANT_INIT
#include "wactor.h"

enum { kMaxTargets = 8, kIdCap = 128 };
static char self[kIdCap];
static int self_len;
static char targets[kMaxTargets][kIdCap];
static int target_lens[kMaxTargets];
static int ntargets, next_target;
static char ask[kIdCap];
static int ask_len;
static wactor_i64 every_ms, burst = 1, keep = 1, wave_ms, received;

static int word_is(const char* w, int len, const char* key, const char** value) {
  int n = wactor_strlen(key);
  if (len < n || !wactor_memeq(w, key, n)) return 0;
  *value = w + n;
  return 1;
}

static wactor_i64 number(const char* p, const char* end) { return wactor_parse_i64(&p, end); }

/* Copies the comma-separated ids of [p, end) into targets. */
static int parse_targets(const char* p, const char* end) {
  while (p < end) {
    const char* s = p;
    while (p < end && *p != ',') ++p;
    int n = (int)(p - s);
    if (n <= 0 || n >= kIdCap || ntargets == kMaxTargets) return 1;
    wactor_memcpy(targets[ntargets], s, n);
    target_lens[ntargets++] = n;
    if (p < end) ++p;
  }
  return 0;
}

int wactor_on_init(const char* config, int len) {
  self_len = wactor_self_id(self, kIdCap);
  if (self_len <= 0 || self_len > kIdCap) return 1;
  const char* p = config;
  const char* end = config + len;
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\n')) ++p;
    const char* w = p;
    while (p < end && *p != ' ' && *p != '\n') ++p;
    int n = (int)(p - w);
    const char* v;
    if (n == 0) break;
    if (word_is(w, n, "every=", &v)) every_ms = number(v, p);
    else if (word_is(w, n, "burst=", &v)) burst = number(v, p);
    else if (word_is(w, n, "keep=", &v)) keep = number(v, p);
    else if (word_is(w, n, "wave=", &v)) wave_ms = number(v, p);
    else if (word_is(w, n, "to=", &v)) {
      if (parse_targets(v, p)) return 2;
    } else if (word_is(w, n, "ask=", &v)) {
      ask_len = (int)(p - v);
      if (ask_len <= 0 || ask_len >= kIdCap) return 3;
      wactor_memcpy(ask, v, ask_len);
    } else {
      wactor_log_raw(WACTOR_ERROR, w, n);
      return 4;
    }
  }
  return every_ms >= 0 && burst >= 0 && keep >= 1 && wave_ms >= 0 ? 0 : 5;
}

static void send_next(const wactor_u8* payload, int len) {
  if (ntargets == 0) return;
  int t = next_target;
  next_target = (next_target + 1) % ntargets;
  wactor_send_raw(targets[t], target_lens[t], payload, len);  /* a full mailbox only drops it */
}

static void tick(void) {
  wactor_i64 n = burst;
  if (wave_ms > 0) {  /* a triangle wave: burst/2 .. burst/2 + burst */
    wactor_i64 phase = wactor_now_ms() % wave_ms;
    wactor_i64 rise = phase < wave_ms - phase ? phase : wave_ms - phase;
    n = burst / 2 + burst * 2 * rise / wave_ms;
  }
  for (wactor_i64 i = 0; i < n; ++i) send_next((const wactor_u8*)"job", 3);
  if (ask_len > 0) wactor_request_raw(ask, ask_len, "check", 5, 1000);
  wactor_send_after_raw(self, self_len, "tick", 4, (int)every_ms);
}

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  wactor_i64 req = wactor_current_request();
  if (req > 0) return wactor_respond(req, "ok", 2) == WACTOR_OK ? 0 : 1;
  int from_self = sender_len == self_len && wactor_memeq(sender, self, self_len);
  int from_host = sender_len == 5 && wactor_memeq(sender, "$host", 5);
  if ((from_self && wactor_starts_with(payload, len, "tick")) ||
      (from_host && wactor_starts_with(payload, len, "start"))) {
    if (every_ms > 0) tick();
    return 0;
  }
  if (++received % keep == 0) send_next(payload, len);
  return 0;
}

int wactor_on_callback(wactor_i64 request_id, int status, const wactor_u8* payload, int len) { return 0; }
