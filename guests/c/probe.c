/* A scriptable test guest: each message is a command, and everything it sees is logged, so
 * tests can drive real wasm through the host and check exactly what arrived.
 *
 * Every message is logged first as:  msg from=<sender> req=<id> payload=<payload>
 * Commands (payload text):
 *   send <target> <payload>            send; logs "send rc=<rc>"
 *   request <target> <ms> <payload>    request; logs "request id=<id>"
 *   burst <n> <target> <payload>       n sends; logs "burst sent=<ok> refused=<failed>"
 *   defer                              keep the current request unanswered (answered by flush)
 *   flush <payload>                    respond to every deferred request; logs "flush rc=<rc>"
 *   fail                               return 7 from the handler
 *   trap                               execute `unreachable`
 *   count                              logs "count=<n>" (messages seen by this instance)
 *   data...                            counted in `received`
 *   report                             logs "received=<n>"
 *   cancel <id>                        logs "cancel rc=<rc>"
 *   badptr                             imports called with out-of-bounds pointers; logs their results
 *   whoami                             logs "self=<id> len=<n>"
 *   sub <pattern> / unsub <pattern>    logs "sub rc=<rc>" / "unsub rc=<rc>"
 *   pub <topic> <payload>              logs "pub rc=<n>"
 *   bcast <payload>                    logs "bcast rc=<n>"
 *   request-cancel <target> <payload>  request, then cancel at once; logs "request id=<id> cancel rc=<rc>"
 *   rburst <n> <target> <payload>      n requests; logs "rburst ok=<accepted> refused=<failed>"
 *   loop                               loop forever (stopped by the deadline or fuel)
 *   subn <n>                           subscribe to n topics t.0 .. t.<n-1>; logs "subn ok=<k> last=<rc>"
 *   logbig <n>                         log one line of n bytes ('x'), then "logbig done"
 *   recurse                            recurse forever (stack overflow)
 *   grow <pages>                       memory.grow; logs "grow rc=<old size or -1>"
 *   spin <n>                           busy loop n iterations (a slow handler), then as usual
 *   sick                               health answers 3 from now on
 *   hang-on-shutdown                   shutdown loops forever (stopped by the shutdown deadline)
 *   spawn <module> <id> [config...]    spawn (config: the rest of the line, may be empty); logs "spawn rc=<rc>"
 *   spawnn <module> <prefix> <n> <payload>  spawn <prefix>0 .. <prefix><n-1> (empty config) and
 *                                      send <payload> to each one spawned; logs
 *                                      "spawnn ok=<spawned> last=<last spawn rc> sent=<sends that returned 0>"
 *   stop <id>                          logs "stop rc=<rc>"
 *   sendafter <target> <ms> <payload>  send-after; logs "sendafter id=<timer id or status>"
 *   canceltimer <id>                   logs "canceltimer rc=<rc>"
 *   monitor <id> / demonitor <id>      logs "monitor rc=<rc>" / "demonitor rc=<rc>"
 *   badspawn                           the spawn imports with bad arguments; logs "badspawn" and 16
 *                                      results, each expected -4: spawn with module OOB, id OOB,
 *                                      config OOB, id invalid UTF-8, config invalid UTF-8, empty id;
 *                                      stop OOB, stop invalid UTF-8; send-after payload OOB, delay -1,
 *                                      target invalid UTF-8; monitor OOB, monitor invalid UTF-8;
 *                                      demonitor OOB; cancel-timer 0, cancel-timer -5
 * Down notices arrive as ordinary messages: "msg from=$down req=0 payload=<target-id> <reason>".
 * health answers 0 unless sick; shutdown logs "shutdown seen=<n>" and answers 0.
 * A request that no command answered gets "echo:<payload>".
 * Callbacks are logged as:  callback id=<id> status=<s> payload=<payload>
 * init logs "init config=<config>"; a config "run:<command>" runs that command during init,
 * and a config starting with "fail" makes init return 9; "subfail-after:<ms>" subscribes to
 * t.x, then fails (returns 9) when now-ms >= ms. A hanging shutdown logs "shutdown hanging".
 * Hot upgrade: snapshot is the text "seen=<n> received=<m>"; restore sets both counters from
 * it and logs "restored <text>" (an empty state changes nothing; another text: returns 6).
 * Config "restore-trap" makes restore trap, "restore-fail" makes it return 5 (both before
 * changing anything). */
#define WACTOR_IMPLEMENTATION
#define WACTOR_WANT_CALLBACK
#define WACTOR_WANT_INIT
#define WACTOR_WANT_HEALTH
#define WACTOR_WANT_SHUTDOWN
#define WACTOR_WANT_SNAPSHOT
#define WACTOR_WANT_RESTORE
#include "wactor.h"

static int sick;
static int restore_mode; /* 0 normal, 1 trap, 2 fail */
static char snapshot_buf[64];
static int hang_on_shutdown;

static int seen;
static volatile wactor_i64 spin_sink;
static int received;
static wactor_i64 deferred[64];
static int ndeferred;

static char line_buf[4096];

static void logline(wactor_text* t) { wactor_log_raw(WACTOR_INFO, t->buf, t->len); }

/* Next space-separated word of [*p, end). */
static void word(const char** p, const char* end, const char** w, int* wlen) {
  while (*p < end && **p == ' ') ++*p;
  *w = *p;
  while (*p < end && **p != ' ') ++*p;
  *wlen = (int)(*p - *w);
  if (*p < end) ++*p; /* one separator */
}

static int recurse(int n) {
  spin_sink += n;
  if (spin_sink == -1) return 0; /* never: keeps the compiler from calling this infinite */
  return recurse(n + 1) + (int)spin_sink;
}

static int command(const char* sender, int sender_len, const wactor_u8* payload, int len);
static int lifecycle_command(const char* cmd, int cmdlen, const char* q, const char* end, wactor_text* t);

int wactor_on_init(const char* config, int len) {
  wactor_text t = {line_buf, 0, sizeof line_buf};
  wactor_text_str(&t, "init config=");
  wactor_text_put(&t, config, len);
  logline(&t);
  if (len == 12 && wactor_starts_with(config, len, "restore-trap")) restore_mode = 1;
  if (len == 12 && wactor_starts_with(config, len, "restore-fail")) restore_mode = 2;
  if (wactor_starts_with(config, len, "run:")) return command("$init", 5, (const wactor_u8*)config + 4, len - 4);
  if (wactor_starts_with(config, len, "fail")) return 9;
  if (wactor_starts_with(config, len, "subfail-after:")) {
    const char* q = config + 14;
    wactor_i64 ms = wactor_parse_i64(&q, config + len);
    wactor_subscribe_raw("t.x", 3);
    return wactor_now_ms() >= ms ? 9 : 0;
  }
  return 0;
}

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  return command(sender, sender_len, payload, len);
}

static int command(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  const char* p = (const char*)payload;
  const char* end = p + len;
  wactor_i64 req = wactor_current_request();
  int answered = 0;
  ++seen;
  wactor_text t = {line_buf, 0, sizeof line_buf};
  wactor_text_str(&t, "msg from=");
  wactor_text_put(&t, sender, sender_len);
  wactor_text_str(&t, " req=");
  wactor_text_i64(&t, req);
  wactor_text_str(&t, " payload=");
  wactor_text_put(&t, payload, len);
  char topic[128];
  int tn = wactor_current_topic(topic, sizeof topic);
  if (tn > 0) {
    wactor_text_str(&t, " topic=");
    wactor_text_put(&t, topic, tn < 128 ? tn : 128);
  }
  logline(&t);
  t.len = 0;

  const char* cmd;
  int cmdlen;
  const char* q = p;
  word(&q, end, &cmd, &cmdlen);
  if (wactor_starts_with(cmd, cmdlen, "send") && cmdlen == 4) {
    const char* target;
    int tlen;
    word(&q, end, &target, &tlen);
    int rc = wactor_send_raw(target, tlen, q, (int)(end - q));
    wactor_text_str(&t, "send rc=");
    wactor_text_i64(&t, rc);
    logline(&t);
  } else if (cmdlen == 7 && wactor_starts_with(cmd, cmdlen, "request")) {
    const char* target;
    int tlen;
    word(&q, end, &target, &tlen);
    wactor_i64 ms = wactor_parse_i64(&q, end);
    if (q < end) ++q;
    wactor_i64 id = wactor_request_raw(target, tlen, q, (int)(end - q), (int)ms);
    wactor_text_str(&t, "request id=");
    wactor_text_i64(&t, id);
    logline(&t);
  } else if (cmdlen == 5 && wactor_starts_with(cmd, cmdlen, "burst")) {
    wactor_i64 n = wactor_parse_i64(&q, end);
    if (q < end) ++q;
    const char* target;
    int tlen;
    word(&q, end, &target, &tlen);
    int ok = 0, bad = 0;
    for (wactor_i64 i = 0; i < n; ++i) {
      if (wactor_send_raw(target, tlen, q, (int)(end - q)) == 0) ++ok; else ++bad;
    }
    wactor_text_str(&t, "burst sent=");
    wactor_text_i64(&t, ok);
    wactor_text_str(&t, " refused=");
    wactor_text_i64(&t, bad);
    logline(&t);
  } else if (cmdlen == 6 && wactor_starts_with(cmd, cmdlen, "rburst")) {
    wactor_i64 n = wactor_parse_i64(&q, end);
    if (q < end) ++q;
    const char* target;
    int tlen;
    word(&q, end, &target, &tlen);
    int ok = 0, bad = 0;
    for (wactor_i64 i = 0; i < n; ++i) {
      if (wactor_request_raw(target, tlen, q, (int)(end - q), 0) > 0) ++ok; else ++bad;
    }
    wactor_text_str(&t, "rburst ok=");
    wactor_text_i64(&t, ok);
    wactor_text_str(&t, " refused=");
    wactor_text_i64(&t, bad);
    logline(&t);
  } else if (cmdlen == 5 && wactor_starts_with(cmd, cmdlen, "defer")) {
    if (req > 0 && ndeferred < 64) deferred[ndeferred++] = req;
    answered = 1;
  } else if (cmdlen == 5 && wactor_starts_with(cmd, cmdlen, "flush")) {
    for (int i = 0; i < ndeferred; ++i) {
      int rc = wactor_respond(deferred[i], q, (int)(end - q));
      t.len = 0;
      wactor_text_str(&t, "flush id=");
      wactor_text_i64(&t, deferred[i]);
      wactor_text_str(&t, " rc=");
      wactor_text_i64(&t, rc);
      logline(&t);
    }
    ndeferred = 0;
  } else if (cmdlen == 4 && wactor_starts_with(cmd, cmdlen, "fail")) {
    return 7;
  } else if (cmdlen == 4 && wactor_starts_with(cmd, cmdlen, "sick")) {
    sick = 1;
  } else if (cmdlen == 16 && wactor_starts_with(cmd, cmdlen, "hang-on-shutdown")) {
    hang_on_shutdown = 1;
  } else if (cmdlen == 4 && wactor_starts_with(cmd, cmdlen, "trap")) {
    __builtin_trap();
  } else if (cmdlen == 5 && wactor_starts_with(cmd, cmdlen, "count")) {
    wactor_text_str(&t, "count=");
    wactor_text_i64(&t, seen);
    logline(&t);
  } else if (wactor_starts_with(cmd, cmdlen, "data")) {
    ++received;
  } else if (cmdlen == 6 && wactor_starts_with(cmd, cmdlen, "report")) {
    wactor_text_str(&t, "received=");
    wactor_text_i64(&t, received);
    logline(&t);
  } else if (cmdlen == 6 && wactor_starts_with(cmd, cmdlen, "cancel")) {
    wactor_i64 id = wactor_parse_i64(&q, end);
    int rc = wactor_cancel(id);
    wactor_text_str(&t, "cancel rc=");
    wactor_text_i64(&t, rc);
    logline(&t);
  } else if (cmdlen == 6 && wactor_starts_with(cmd, cmdlen, "badptr")) {
    const char* huge = (const char*)0xFFFFFF00;
    int a = wactor_send_raw(huge, 200, "x", 1);
    int b = wactor_send_raw("probe", 5, (const char*)0x7FFFFFFF, 0x7FFFFFFF);
    wactor_i64 c = wactor_request_raw("probe", 5, huge, 1000, 0);
    int d = wactor_self_id((char*)0xFFFFFFF0, 64);
    int e = wactor_send_raw("\xff\xfe", 2, "x", 1);
    int f = wactor_respond_raw(req > 0 ? req : 1, 5, "x", 1);
    wactor_log_raw(WACTOR_INFO, huge, 1000); /* reported by the host, no status */
    wactor_text_str(&t, "badptr");
    wactor_i64 r[6] = {a, b, c, d, e, f};
    for (int i = 0; i < 6; ++i) {
      wactor_text_str(&t, " ");
      wactor_text_i64(&t, r[i]);
    }
    logline(&t);
  } else if ((cmdlen == 3 && wactor_starts_with(cmd, cmdlen, "sub")) ||
             (cmdlen == 5 && wactor_starts_with(cmd, cmdlen, "unsub"))) {
    const char* pat;
    int plen;
    word(&q, end, &pat, &plen);
    int rc = cmdlen == 3 ? wactor_subscribe_raw(pat, plen) : wactor_unsubscribe_raw(pat, plen);
    wactor_text_put(&t, cmd, cmdlen);
    wactor_text_str(&t, " rc=");
    wactor_text_i64(&t, rc);
    logline(&t);
  } else if (cmdlen == 3 && wactor_starts_with(cmd, cmdlen, "pub")) {
    const char* topic_w;
    int twlen;
    word(&q, end, &topic_w, &twlen);
    int rc = wactor_publish_raw(topic_w, twlen, q, (int)(end - q));
    wactor_text_str(&t, "pub rc=");
    wactor_text_i64(&t, rc);
    logline(&t);
  } else if (cmdlen == 5 && wactor_starts_with(cmd, cmdlen, "bcast")) {
    int rc = wactor_broadcast(q, (int)(end - q));
    wactor_text_str(&t, "bcast rc=");
    wactor_text_i64(&t, rc);
    logline(&t);
  } else if (cmdlen == 14 && wactor_starts_with(cmd, cmdlen, "request-cancel")) {
    const char* target;
    int tlen;
    word(&q, end, &target, &tlen);
    wactor_i64 id = wactor_request_raw(target, tlen, q, (int)(end - q), 0);
    int rc = wactor_cancel(id);
    wactor_text_str(&t, "request id=");
    wactor_text_i64(&t, id);
    wactor_text_str(&t, " cancel rc=");
    wactor_text_i64(&t, rc);
    logline(&t);
  } else if (cmdlen == 4 && wactor_starts_with(cmd, cmdlen, "subn")) {
    wactor_i64 n = wactor_parse_i64(&q, end);
    int ok = 0, last = 0;
    for (wactor_i64 i = 0; i < n; ++i) {
      char pbuf[32];
      wactor_text pt = {pbuf, 0, sizeof pbuf};
      wactor_text_str(&pt, "t.");
      wactor_text_i64(&pt, i);
      last = wactor_subscribe_raw(pt.buf, pt.len);
      if (last == 0) ++ok;
    }
    wactor_text_str(&t, "subn ok=");
    wactor_text_i64(&t, ok);
    wactor_text_str(&t, " last=");
    wactor_text_i64(&t, last);
    logline(&t);
  } else if (cmdlen == 6 && wactor_starts_with(cmd, cmdlen, "logbig")) {
    wactor_i64 n = wactor_parse_i64(&q, end);
    unsigned long pages = (unsigned long)(n / 65536 + 1);
    char* big = (char*)(__builtin_wasm_memory_size(0) * 65536);
    if (__builtin_wasm_memory_grow(0, pages) != (unsigned long)-1) {
      for (wactor_i64 i = 0; i < n; ++i) big[i] = 'x';
      wactor_log_raw(WACTOR_INFO, big, (int)n);
    }
    wactor_text_str(&t, "logbig done");
    logline(&t);
  } else if (cmdlen == 4 && wactor_starts_with(cmd, cmdlen, "loop")) {
    for (;;) spin_sink += 1;
  } else if (cmdlen == 7 && wactor_starts_with(cmd, cmdlen, "recurse")) {
    return recurse(1);
  } else if (cmdlen == 4 && wactor_starts_with(cmd, cmdlen, "grow")) {
    wactor_i64 n = wactor_parse_i64(&q, end);
    int rc = (int)__builtin_wasm_memory_grow(0, (unsigned long)n);
    wactor_text_str(&t, "grow rc=");
    wactor_text_i64(&t, rc);
    logline(&t);
  } else if (cmdlen == 4 && wactor_starts_with(cmd, cmdlen, "spin")) {
    wactor_i64 n = wactor_parse_i64(&q, end);
    for (wactor_i64 i = 0; i < n; ++i) spin_sink += i;
  } else if (cmdlen == 6 && wactor_starts_with(cmd, cmdlen, "whoami")) {
    char buf[4];
    int n = wactor_self_id(buf, sizeof buf);
    char full[128];
    int m = wactor_self_id(full, sizeof full);
    wactor_text_str(&t, "self=");
    wactor_text_put(&t, full, m < 128 ? m : 128);
    wactor_text_str(&t, " len=");
    wactor_text_i64(&t, n);
    wactor_text_str(&t, " prefix=");
    wactor_text_put(&t, buf, n < 4 ? n : 4);
    logline(&t);
  } else {
    lifecycle_command(cmd, cmdlen, q, end, &t);
  }
  if (req > 0 && !answered) {
    /* Answer unless a command already did (flush answers others, not this one). */
    char* out = (char*)wactor_scratch(len + 5);
    wactor_memcpy(out, "echo:", 5);
    wactor_memcpy(out + 5, payload, len);
    wactor_respond(req, out, len + 5);
  }
  return 0;
}

int wactor_on_callback(wactor_i64 request_id, int status, const wactor_u8* payload, int len) {
  wactor_text t = {line_buf, 0, sizeof line_buf};
  wactor_text_str(&t, "callback id=");
  wactor_text_i64(&t, request_id);
  wactor_text_str(&t, " status=");
  wactor_text_i64(&t, status);
  wactor_text_str(&t, " payload=");
  wactor_text_put(&t, payload, len);
  logline(&t);
  return 0;
}

int wactor_on_health(void) { return sick ? 3 : 0; }

int wactor_on_shutdown(void) {
  if (hang_on_shutdown) {
    wactor_text h = {line_buf, 0, sizeof line_buf};
    wactor_text_str(&h, "shutdown hanging");
    logline(&h);
  }
  while (hang_on_shutdown) spin_sink = spin_sink + 1;
  wactor_text t = {line_buf, 0, sizeof line_buf};
  wactor_text_str(&t, "shutdown seen=");
  wactor_text_i64(&t, seen);
  logline(&t);
  return 0;
}

/* ---- spawn, stop, timers, monitors ---- */

static int is_cmd(const char* cmd, int cmdlen, const char* name) {
  return cmdlen == wactor_strlen(name) && wactor_memeq(cmd, name, cmdlen);
}

static void log_value(wactor_text* t, const char* what, wactor_i64 v) {
  t->len = 0;
  wactor_text_str(t, what);
  wactor_text_i64(t, v);
  logline(t);
}

/* Handles the commands of this section; 0 if cmd is none of them. */
static int lifecycle_command(const char* cmd, int cmdlen, const char* q, const char* end, wactor_text* t) {
  const char* a;
  int alen;
  if (is_cmd(cmd, cmdlen, "spawn")) {
    const char* id;
    int idlen;
    word(&q, end, &a, &alen);
    word(&q, end, &id, &idlen);
    log_value(t, "spawn rc=", wactor_spawn_raw(a, alen, id, idlen, q, (int)(end - q)));
  } else if (is_cmd(cmd, cmdlen, "spawnn")) {
    const char* prefix;
    int plen;
    word(&q, end, &a, &alen);
    word(&q, end, &prefix, &plen);
    wactor_i64 n = wactor_parse_i64(&q, end);
    if (q < end) ++q;
    if (plen > 100) plen = 100;
    int ok = 0, last = 0, sent = 0;
    for (wactor_i64 i = 0; i < n; ++i) {
      char ibuf[128];
      wactor_text it = {ibuf, 0, sizeof ibuf};
      wactor_text_put(&it, prefix, plen);
      wactor_text_i64(&it, i);
      last = wactor_spawn_raw(a, alen, it.buf, it.len, "", 0);
      if (last != 0) continue;
      ++ok;
      if (wactor_send_raw(it.buf, it.len, q, (int)(end - q)) == 0) ++sent;
    }
    t->len = 0;
    wactor_text_str(t, "spawnn ok=");
    wactor_text_i64(t, ok);
    wactor_text_str(t, " last=");
    wactor_text_i64(t, last);
    wactor_text_str(t, " sent=");
    wactor_text_i64(t, sent);
    logline(t);
  } else if (is_cmd(cmd, cmdlen, "stop")) {
    word(&q, end, &a, &alen);
    log_value(t, "stop rc=", wactor_stop_raw(a, alen));
  } else if (is_cmd(cmd, cmdlen, "sendafter")) {
    word(&q, end, &a, &alen);
    wactor_i64 ms = wactor_parse_i64(&q, end);
    if (q < end) ++q;
    log_value(t, "sendafter id=", wactor_send_after_raw(a, alen, q, (int)(end - q), (int)ms));
  } else if (is_cmd(cmd, cmdlen, "canceltimer")) {
    log_value(t, "canceltimer rc=", wactor_cancel_timer(wactor_parse_i64(&q, end)));
  } else if (is_cmd(cmd, cmdlen, "monitor")) {
    word(&q, end, &a, &alen);
    log_value(t, "monitor rc=", wactor_monitor_raw(a, alen));
  } else if (is_cmd(cmd, cmdlen, "demonitor")) {
    word(&q, end, &a, &alen);
    log_value(t, "demonitor rc=", wactor_demonitor_raw(a, alen));
  } else if (is_cmd(cmd, cmdlen, "badspawn")) {
    const char* huge = (const char*)0xFFFFFF00;
    const char* edge = (const char*)0x7FFFFFFF;
    wactor_i64 r[16] = {
        wactor_spawn_raw(huge, 200, "x", 1, "", 0),
        wactor_spawn_raw("probe", 5, huge, 200, "", 0),
        wactor_spawn_raw("probe", 5, "x", 1, huge, 1000),
        wactor_spawn_raw("probe", 5, "\xff\xfe", 2, "", 0),
        wactor_spawn_raw("probe", 5, "x", 1, "\xff\xfe", 2),
        wactor_spawn_raw("probe", 5, "", 0, "", 0),
        wactor_stop_raw(huge, 200),
        wactor_stop_raw("\xff\xfe", 2),
        wactor_send_after_raw("probe", 5, edge, 0x7FFFFFFF, 10),
        wactor_send_after_raw("probe", 5, "x", 1, -1),
        wactor_send_after_raw("\xff\xfe", 2, "x", 1, 10),
        wactor_monitor_raw(huge, 200),
        wactor_monitor_raw("\xff\xfe", 2),
        wactor_demonitor_raw(huge, 200),
        wactor_cancel_timer(0),
        wactor_cancel_timer(-5),
    };
    t->len = 0;
    wactor_text_str(t, "badspawn");
    for (int i = 0; i < 16; ++i) {
      wactor_text_str(t, " ");
      wactor_text_i64(t, r[i]);
    }
    logline(t);
  } else {
    return 0;
  }
  return 1;
}

void wactor_on_snapshot(const void** state, int* len) {
  wactor_text s = {snapshot_buf, 0, sizeof snapshot_buf};
  wactor_text_str(&s, "seen=");
  wactor_text_i64(&s, seen);
  wactor_text_str(&s, " received=");
  wactor_text_i64(&s, received);
  *state = s.buf;
  *len = s.len;
}

int wactor_on_restore(const wactor_u8* state, int len) {
  if (restore_mode == 1) __builtin_trap();
  if (restore_mode == 2) return 5;
  if (len > 0) { /* empty: no state (the old module had no snapshot), the counters stay */
    const char* p = (const char*)state;
    const char* end = p + len;
    if (!wactor_starts_with(p, len, "seen=")) return 6;
    p += 5;
    wactor_i64 s = wactor_parse_i64(&p, end);
    if (!wactor_starts_with(p, (int)(end - p), " received=")) return 6;
    p += 10;
    received = (int)wactor_parse_i64(&p, end);
    seen = (int)s;
  }
  wactor_text t = {line_buf, 0, sizeof line_buf};
  wactor_text_str(&t, "restored ");
  wactor_text_put(&t, state, len);
  logline(&t);
  return 0;
}
