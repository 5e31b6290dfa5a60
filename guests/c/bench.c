/* The benchmark guest (bench/): a sender, a sink and a pinger in one module.
 * Commands (payload text, from the host):
 *   blast <n> <size> <target>        send n messages of <size> bytes to <target>
 *   blastc <n> <size> <target> <chunk>  the same in handlers of <chunk> sends each: after each
 *                                    chunk it sends itself "more" and returns, so that other
 *                                    components (its sink, on one worker) run in between
 *   fill <n> <size> <target>         the same, then an empty INFO line (the harness measures
 *                                    the heap there, with everything still queued)
 *   ping <n> <target>                n sequential requests to <target>; every callback logs an
 *                                    empty DEBUG line (the harness timestamps it), then the
 *                                    next request goes out
 *   pend <n> <timeout_ms> <target>   n requests to <target> with that timeout, left unanswered
 *                                    by the target ("hold"); each request is preceded by an
 *                                    empty TRACE line, callbacks are logged as above
 * From another component: a request is answered at once with an empty reply, unless its
 * payload is "hold"; anything else is only counted. */
#define WACTOR_IMPLEMENTATION
#define WACTOR_WANT_CALLBACK
#include "wactor.h"

static wactor_u8 blast_buf[65536];
static wactor_i64 ping_left;
static char ping_target[128];
static int ping_target_len;
static wactor_i64 received;
static wactor_i64 chunk_left, chunk_size, chunk_len;
static char chunk_target[128];
static int chunk_target_len;
static char self_id[128];
static int self_len = -1;

/* One chunk of a blastc; then "more" to itself while messages are left. */
static int blast_chunk(void) {
  wactor_i64 k = chunk_left < chunk_len ? chunk_left : chunk_len;
  for (wactor_i64 i = 0; i < k; ++i) {
    if (wactor_send_raw(chunk_target, chunk_target_len, blast_buf, (int)chunk_size) != 0) return 2;
  }
  chunk_left -= k;
  if (chunk_left > 0 && wactor_send_raw(self_id, self_len, "more", 4) != 0) return 2;
  return 0;
}

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

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  const char* p = (const char*)payload;
  const char* end = p + len;
  if (self_len < 0) self_len = wactor_self_id(self_id, (int)sizeof self_id);
  if (self_len > 0 && self_len <= (int)sizeof self_id && sender_len == self_len && len == 4 &&
      wactor_memeq(p, "more", 4) && wactor_memeq(sender, self_id, self_len)) {
    return blast_chunk();
  }
  if (!(sender_len == 5 && wactor_starts_with(sender, sender_len, "$host"))) {
    ++received;
    wactor_i64 req = wactor_current_request();
    if (req != 0 && !(len == 4 && wactor_starts_with(p, len, "hold"))) wactor_respond_raw(req, 0, 0, 0);
    return 0;
  }
  const char* cmd;
  int cmdlen;
  word(&p, end, &cmd, &cmdlen);
  const char* target;
  int tlen;
  int fill = cmdlen == 4 && wactor_starts_with(cmd, cmdlen, "fill");
  if (fill || (cmdlen == 5 && wactor_starts_with(cmd, cmdlen, "blast"))) {
    wactor_i64 n = number(&p, end);
    wactor_i64 size = number(&p, end);
    word(&p, end, &target, &tlen);
    if (size < 0 || size > (wactor_i64)sizeof blast_buf) return 1;
    for (wactor_i64 i = 0; i < n; ++i) {
      if (wactor_send_raw(target, tlen, blast_buf, (int)size) != 0) return 2;
    }
    if (fill) wactor_log_raw(WACTOR_INFO, "", 0);
  } else if (cmdlen == 6 && wactor_starts_with(cmd, cmdlen, "blastc")) {
    chunk_left = number(&p, end);
    chunk_size = number(&p, end);
    word(&p, end, &target, &tlen);
    chunk_len = number(&p, end);
    if (chunk_size < 0 || chunk_size > (wactor_i64)sizeof blast_buf || chunk_len <= 0) return 1;
    if (tlen > (int)sizeof chunk_target || self_len <= 0 || self_len > (int)sizeof self_id) return 1;
    for (int i = 0; i < tlen; ++i) chunk_target[i] = target[i];
    chunk_target_len = tlen;
    return blast_chunk();
  } else if (cmdlen == 4 && wactor_starts_with(cmd, cmdlen, "ping")) {
    ping_left = number(&p, end);
    word(&p, end, &target, &tlen);
    if (tlen > (int)sizeof ping_target) return 1;
    for (int i = 0; i < tlen; ++i) ping_target[i] = target[i];
    ping_target_len = tlen;
    if (ping_left-- > 0) wactor_request_raw(ping_target, ping_target_len, 0, 0, 0);
  } else if (cmdlen == 4 && wactor_starts_with(cmd, cmdlen, "pend")) {
    wactor_i64 n = number(&p, end);
    wactor_i64 ms = number(&p, end);
    word(&p, end, &target, &tlen);
    for (wactor_i64 i = 0; i < n; ++i) {
      wactor_log_raw(WACTOR_TRACE, "", 0); /* the harness timestamps each request */
      if (wactor_request_raw(target, tlen, "hold", 4, (int)ms) <= 0) return 2;
    }
  }
  return 0;
}

int wactor_on_callback(wactor_i64 request_id, int status, const wactor_u8* payload, int len) {
  wactor_log_raw(WACTOR_DEBUG, "", 0);
  if (ping_left > 0) {
    --ping_left;
    wactor_request_raw(ping_target, ping_target_len, 0, 0, 0);
  }
  return 0;
}
