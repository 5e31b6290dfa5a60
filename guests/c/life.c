/* The benchmark guest of actors that come and go (bench/living_bench.cpp).
 * Commands (payload text, from the host):
 *   spawnloop <n> <module>   spawn c0..c<n-1> one at a time: an empty TRACE line right before
 *                            each spawn; each child's init logs an empty DEBUG line and sends
 *                            "up" back; on "up" the next is spawned (the children stay)
 *   churn <n> <module>       spawn "w", stop it when it is up, spawn it again once its $down
 *                            arrived (the id is reused), n times; then logs "churn done" (INFO)
 *   timers <n> <ms> <spread> <target>  n send-after timers to <target>, timer i of
 *                            <ms> + i * <spread> / n ms, an empty TRACE line before each; a
 *                            component receiving a timer ("t") logs an empty DEBUG line
 *   state <bytes>            the size of the state snapshot returns (up to 4 MiB)
 * init with config "up <id>": log an empty DEBUG line, send "up" to <id>. */
#define WACTOR_IMPLEMENTATION
#define WACTOR_WANT_INIT
#define WACTOR_WANT_SNAPSHOT
#define WACTOR_WANT_RESTORE
#include "wactor.h"

static char module_name[64];
static int module_len;
static char self[128];
static int self_len;
static wactor_i64 left;
static wactor_i64 next_child;
static char* state;  /* grown on demand: children stay small */
static int state_cap;
static int state_len;

static void word(const char** p, const char* end, const char** w, int* wlen) {
  while (*p < end && **p == ' ') ++*p;
  *w = *p;
  while (*p < end && **p != ' ') ++*p;
  *wlen = (int)(*p - *w);
}

static wactor_i64 number(const char** p, const char* end) {
  while (*p < end && **p == ' ') ++*p;
  return wactor_parse_i64(p, end);
}

static int spawn_child(const char* id, int id_len) {
  char config[160];
  int n = 0;
  config[n++] = 'u';
  config[n++] = 'p';
  config[n++] = ' ';
  for (int i = 0; i < self_len && n < (int)sizeof config; ++i) config[n++] = self[i];
  return wactor_spawn_raw(module_name, module_len, id, id_len, config, n);
}

static int spawn_next(void) {
  char id[32];
  wactor_text t = {id, 0, sizeof id};
  wactor_text_str(&t, "c");
  wactor_text_i64(&t, next_child++);
  wactor_log_raw(WACTOR_TRACE, "", 0);
  return spawn_child(t.buf, t.len);
}

int wactor_on_init(const char* config, int len) {
  self_len = wactor_self_id(self, sizeof self);
  if (len > 3 && wactor_starts_with(config, len, "up ")) {
    wactor_log_raw(WACTOR_DEBUG, "", 0);
    wactor_send_raw(config + 3, len - 3, "up", 2);
  }
  return 0;
}

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  const char* p = (const char*)payload;
  const char* end = p + len;
  if (sender_len == 5 && wactor_starts_with(sender, sender_len, "$down")) {
    if (left > 0 && wactor_starts_with(p, len, "w ")) {
      --left;
      if (left == 0) {
        wactor_log(WACTOR_INFO, "churn done");
        return 0;
      }
      return spawn_child("w", 1) == 0 ? 0 : 3;
    }
    return 0;
  }
  if (len == 2 && wactor_starts_with(p, len, "up")) {
    if (sender_len == 1 && sender[0] == 'w') {  /* churn: the next spawn waits for its $down */
      wactor_stop_raw(sender, sender_len);
      return 0;
    }
    if (left > 0) {
      --left;
      return spawn_next() == 0 ? 0 : 3;
    }
    return 0;
  }
  if (len == 1 && p[0] == 't') {
    wactor_log_raw(WACTOR_DEBUG, "", 0);
    return 0;
  }
  if (!(sender_len == 5 && wactor_starts_with(sender, sender_len, "$host"))) return 0;
  const char* cmd;
  int cmdlen;
  word(&p, end, &cmd, &cmdlen);
  if ((cmdlen == 9 && wactor_starts_with(cmd, cmdlen, "spawnloop")) || (cmdlen == 5 && wactor_starts_with(cmd, cmdlen, "churn"))) {
    const int churn = cmdlen == 5;
    left = number(&p, end);
    const char* m;
    word(&p, end, &m, &module_len);
    if (module_len > (int)sizeof module_name) return 1;
    for (int i = 0; i < module_len; ++i) module_name[i] = m[i];
    if (left <= 0) return 0;
    if (churn) return spawn_child("w", 1) == 0 ? 0 : 3;
    --left;
    return spawn_next() == 0 ? 0 : 3;
  }
  if (cmdlen == 6 && wactor_starts_with(cmd, cmdlen, "timers")) {
    wactor_i64 n = number(&p, end);
    wactor_i64 ms = number(&p, end);
    wactor_i64 spread = number(&p, end);
    const char* target;
    int tlen;
    word(&p, end, &target, &tlen);
    for (wactor_i64 i = 0; i < n; ++i) {
      wactor_log_raw(WACTOR_TRACE, "", 0);
      if (wactor_send_after_raw(target, tlen, "t", 1, (int)(ms + i * spread / n)) <= 0) return 2;
    }
    return 0;
  }
  if (cmdlen == 5 && wactor_starts_with(cmd, cmdlen, "state")) {
    wactor_i64 n = number(&p, end);
    if (n < 0 || n > (4 << 20)) return 1;
    if (n > state_cap) {
      const int pages = (int)((n + 65535) / 65536);
      const int at = __builtin_wasm_memory_grow(0, pages);
      if (at < 0) return 4;
      state = (char*)((unsigned long)at * 65536);
      state_cap = pages * 65536;
    }
    state_len = (int)n;
    for (int i = 0; i < state_len; i += 4096) state[i] = (char)i;
    return 0;
  }
  return 0;
}

void wactor_on_snapshot(const void** out, int* len) {
  *out = state;
  *len = state_len;
}

int wactor_on_restore(const wactor_u8* in, int len) {
  if (len > state_cap) {
    const int pages = (int)((len + 65535) / 65536);
    const int at = __builtin_wasm_memory_grow(0, pages);
    if (at < 0) return 1;
    state = (char*)((unsigned long)at * 65536);
    state_cap = pages * 65536;
  }
  wactor_memcpy(state, in, len);
  state_len = len;
  return 0;
}
