/* The upgrade test guests counter_v1 and counter_v2 (COUNTER_V is 1 or 2); every log line
 * starts with "v1 " or "v2 " so a test sees which module handled a message.
 *
 * Messages (payload text); every message but "get" adds one to the count:
 *   get                  logs "vN count=<n>"
 *   hold                 keeps the current request unanswered (its id is part of the state)
 *   release              answers every held request with "vN released"; logs "vN release rc=<rc>" each
 *   ask <target> <text>  request (default timeout); logs "vN ask id=<id>"
 *   anything else        only counted
 * A request not held is answered with the count (after counting it) in decimal.
 * Callbacks log "vN callback id=<id> status=<s> payload=<payload>".
 * init logs "vN init config=<config>". State: snapshot is "<count>" followed by " <id>" per
 * held request; restore reads it (another text: returns 6) and logs "vN restored <count>".
 * v2 only, by config: "v2-init-fail" (init returns 9), "v2-restore-fail" (restore returns 5),
 * "v2-restore-trap" (restore traps), each before changing anything. */
#define WACTOR_IMPLEMENTATION
#define WACTOR_WANT_CALLBACK
#define WACTOR_WANT_INIT
#define WACTOR_WANT_SNAPSHOT
#define WACTOR_WANT_RESTORE
#include "wactor.h"

#if COUNTER_V == 1
#define COUNTER_TAG "v1 "
#else
#define COUNTER_TAG "v2 "
#endif

static wactor_i64 count;
static wactor_i64 held[32];
static int nheld;
static int fail_mode; /* v2: 1 init fails, 2 restore fails, 3 restore traps */
static char line[1024];
static char state_buf[32 * 24 + 24];

static int is(const void* p, int len, const char* s) { return len == wactor_strlen(s) && wactor_memeq(p, s, len); }

static void say(wactor_text* t) { wactor_log_raw(WACTOR_INFO, t->buf, t->len); }

int wactor_on_init(const char* config, int len) {
  wactor_text t = {line, 0, sizeof line};
  wactor_text_str(&t, COUNTER_TAG "init config=");
  wactor_text_put(&t, config, len);
  say(&t);
#if COUNTER_V == 2
  if (is(config, len, "v2-init-fail")) return 9;
  if (is(config, len, "v2-restore-fail")) fail_mode = 2;
  if (is(config, len, "v2-restore-trap")) fail_mode = 3;
#endif
  return 0;
}

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  wactor_i64 req = wactor_current_request();
  wactor_text t = {line, 0, sizeof line};
  if (is(payload, len, "get")) {
    wactor_text_str(&t, COUNTER_TAG "count=");
    wactor_text_i64(&t, count);
    say(&t);
  } else {
    ++count;
  }
  if (is(payload, len, "hold") && req > 0 && nheld < 32) {
    held[nheld++] = req;
    return 0;
  }
  if (is(payload, len, "release")) {
    for (int i = 0; i < nheld; ++i) {
      t.len = 0;
      wactor_text_str(&t, COUNTER_TAG "release rc=");
      wactor_text_i64(&t, wactor_respond(held[i], COUNTER_TAG "released", 11));
      say(&t);
    }
    nheld = 0;
  } else if (wactor_starts_with(payload, len, "ask ")) {
    const char* p = (const char*)payload + 4;
    const char* end = (const char*)payload + len;
    const char* target = p;
    while (p < end && *p != ' ') ++p;
    int tlen = (int)(p - target);
    if (p < end) ++p;
    t.len = 0;
    wactor_text_str(&t, COUNTER_TAG "ask id=");
    wactor_text_i64(&t, wactor_request_raw(target, tlen, p, (int)(end - p), 0));
    say(&t);
  }
  if (req > 0) {
    t.len = 0;
    wactor_text_i64(&t, count);
    wactor_respond(req, t.buf, t.len);
  }
  return 0;
}

int wactor_on_callback(wactor_i64 request_id, int status, const wactor_u8* payload, int len) {
  wactor_text t = {line, 0, sizeof line};
  wactor_text_str(&t, COUNTER_TAG "callback id=");
  wactor_text_i64(&t, request_id);
  wactor_text_str(&t, " status=");
  wactor_text_i64(&t, status);
  wactor_text_str(&t, " payload=");
  wactor_text_put(&t, payload, len);
  say(&t);
  return 0;
}

void wactor_on_snapshot(const void** state, int* len) {
  wactor_text s = {state_buf, 0, sizeof state_buf};
  wactor_text_i64(&s, count);
  for (int i = 0; i < nheld; ++i) {
    wactor_text_str(&s, " ");
    wactor_text_i64(&s, held[i]);
  }
  *state = s.buf;
  *len = s.len;
}

int wactor_on_restore(const wactor_u8* state, int len) {
  if (fail_mode == 2) return 5;
  if (fail_mode == 3) __builtin_trap();
  const char* p = (const char*)state;
  const char* end = p + len;
  if (len > 0 && (*p < '0' || *p > '9')) return 6;
  wactor_i64 c = wactor_parse_i64(&p, end); /* an empty state (no snapshot): 0 */
  int n = 0;
  wactor_i64 ids[32];
  while (p < end && *p == ' ' && n < 32) {
    ++p;
    ids[n++] = wactor_parse_i64(&p, end);
  }
  if (p != end) return 6;
  count = c;
  for (int i = 0; i < n; ++i) held[i] = ids[i];
  nheld = n;
  wactor_text t = {line, 0, sizeof line};
  wactor_text_str(&t, COUNTER_TAG "restored ");
  wactor_text_i64(&t, count);
  say(&t);
  return 0;
}
