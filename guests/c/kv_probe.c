/* A storage test guest: each message (or request) is a command; the result is the reply
 * (requests) and a log line "<command> -> <result>" (both).
 *   set <key> <value>      kv-set: the status
 *   get <key>              kv-get: the value, or "#<status>"
 *   del <key>              kv-delete: the status
 *   incr <key>             add 1 to a decimal counter: the new value
 *   getn <key> <n>         n kv-gets of <key> (a benchmark): the last status or length
 *   incr-burst <key> <to> <n>  add 1, then n sends of 100 bytes to <to>: "<sent> <refused>"
 *   incr2 <k1> <k2>        add 1 to both: k1's new value
 *   incr-trap <key>        add 1, then trap            incr-fail <key>  add 1, then return 3
 *   incr-loop <key>        add 1, then loop forever (fuel or deadline stop)
 *   incr-quiet <key>       add 1 and return 0 without answering the request (it times out)
 *   incr-send <key> <to>   add 1, then send "<key>=<new value>" to <to>
 *   big <key> <n>          set <key> to n bytes 'v': the status
 *   big-send <key> <n> <to>   set <key> to n bytes, then send "<key>" to <to>: the send's status
 *   big-pub <key> <n> <topic> set <key> to n bytes, then publish "<key>" on <topic>: publish's result
 *   big-after <key> <n> <to>  set <key> to n bytes, then send-after "<key>" to <to> in 0 ms: the timer id
 *   after <to> <payload>   send-after <payload> to <to> in 0 ms (no write): the timer id
 *   list <prefix> <after> <cap>  kv-list ("-": empty): "<count>:k1,k2,..." or "#<status>"
 *   usage                  kv-usage
 *   bad                    the imports with bad arguments: "a b c d e f g h" (statuses)
 *   getbuf <key> <cap>     kv-get into a buffer of cap bytes: "<length>:<copied bytes>"
 * init: a config "init-set <key> <value>" sets that key (and fails with "init-fail"). */
#define WACTOR_IMPLEMENTATION
#define WACTOR_WANT_INIT
#include "wactor.h"

static char out_buf[8192];
static char val_buf[4096];
static int quiet; /* set by incr-quiet: the request is left unanswered */

/* The next space-separated word of [*p, end). */
static int word(const char** p, const char* end, const char** w) {
  while (*p < end && **p == ' ') ++*p;
  *w = *p;
  while (*p < end && **p != ' ') ++*p;
  return (int)(*p - *w);
}

/* The next word as a decimal number. */
static int number(const char** p, const char* end) {
  const char* w;
  int n = word(p, end, &w);
  const char* q = w;
  return (int)wactor_parse_i64(&q, w + n);
}

static wactor_i64 incr(const char* k, int klen) {
  char key[1100];
  if (klen > 1099) klen = 1099;
  wactor_memcpy(key, k, klen);
  key[klen] = 0;
  return wactor_kv_add(key, 1);
}

static int run(const char* p, const char* end, wactor_text* t) {
  const char *cmd, *a, *b;
  int n = word(&p, end, &cmd);
  if (n == 3 && wactor_memeq(cmd, "set", 3)) {
    int al = word(&p, end, &a);
    int bl = word(&p, end, &b);
    wactor_text_i64(t, wactor_kv_set_raw(a, al, b, bl));
  } else if (n == 3 && wactor_memeq(cmd, "get", 3)) {
    int al = word(&p, end, &a);
    int rc = wactor_kv_get_raw(a, al, val_buf, sizeof val_buf);
    if (rc < 0) {
      wactor_text_str(t, "#");
      wactor_text_i64(t, rc);
    } else {
      wactor_text_put(t, val_buf, rc < (int)sizeof val_buf ? rc : (int)sizeof val_buf);
    }
  } else if (n == 6 && wactor_memeq(cmd, "getbuf", 6)) {
    int al = word(&p, end, &a);
    int cap = number(&p, end);
    for (int i = 0; i < 16; ++i) val_buf[i] = '.';
    int rc = wactor_kv_get_raw(a, al, val_buf, cap);
    wactor_text_i64(t, rc);
    wactor_text_str(t, ":");
    wactor_text_put(t, val_buf, 16);
  } else if (n == 3 && wactor_memeq(cmd, "del", 3)) {
    int al = word(&p, end, &a);
    wactor_text_i64(t, wactor_kv_delete_raw(a, al));
  } else if (n == 4 && wactor_memeq(cmd, "incr", 4)) {
    int al = word(&p, end, &a);
    wactor_text_i64(t, incr(a, al));
  } else if (n == 4 && wactor_memeq(cmd, "getn", 4)) {
    int al = word(&p, end, &a);
    int count = number(&p, end);
    int last = 0;
    for (int i = 0; i < count; ++i) last = wactor_kv_get_raw(a, al, val_buf, sizeof val_buf);
    wactor_text_i64(t, last);
  } else if (n == 10 && wactor_memeq(cmd, "incr-burst", 10)) {
    int al = word(&p, end, &a);
    int bl = word(&p, end, &b);
    int count = number(&p, end);
    incr(a, al);
    static char payload[100];
    int ok = 0, refused = 0;
    for (int i = 0; i < count; ++i) {
      if (wactor_send_raw(b, bl, payload, sizeof payload) == 0) ++ok;
      else ++refused;
    }
    wactor_text_i64(t, ok);
    wactor_text_str(t, " ");
    wactor_text_i64(t, refused);
  } else if (n == 5 && wactor_memeq(cmd, "incr2", 5)) {
    int al = word(&p, end, &a);
    int bl = word(&p, end, &b);
    wactor_i64 v = incr(a, al);
    incr(b, bl);
    wactor_text_i64(t, v);
  } else if (n == 9 && wactor_memeq(cmd, "incr-trap", 9)) {
    int al = word(&p, end, &a);
    incr(a, al);
    __builtin_trap();
  } else if (n == 9 && wactor_memeq(cmd, "incr-fail", 9)) {
    int al = word(&p, end, &a);
    incr(a, al);
    return 3;
  } else if (n == 10 && wactor_memeq(cmd, "incr-quiet", 10)) {
    int al = word(&p, end, &a);
    incr(a, al);
    quiet = 1;
  } else if (n == 9 && wactor_memeq(cmd, "incr-loop", 9)) {
    int al = word(&p, end, &a);
    incr(a, al);
    for (volatile int i = 0;; ++i) {
    }
  } else if (n == 9 && wactor_memeq(cmd, "incr-send", 9)) {
    int al = word(&p, end, &a);
    int bl = word(&p, end, &b);
    wactor_i64 v = incr(a, al);
    char msg[1200];
    wactor_text m = {msg, 0, sizeof msg};
    wactor_text_put(&m, a, al);
    wactor_text_str(&m, "=");
    wactor_text_i64(&m, v);
    char to[200];
    if (bl > 199) bl = 199;
    wactor_memcpy(to, b, bl);
    to[bl] = 0;
    wactor_text_i64(t, wactor_send(to, msg, m.len));
  } else if (n == 3 && wactor_memeq(cmd, "big", 3)) {
    int al = word(&p, end, &a);
    int size = number(&p, end);
    char* v = (char*)wactor_scratch(size > 0 ? size : 1);
    for (int i = 0; i < size; ++i) v[i] = 'v';
    wactor_text_i64(t, wactor_kv_set_raw(a, al, v, size));
  } else if ((n == 8 && wactor_memeq(cmd, "big-send", 8)) || (n == 7 && wactor_memeq(cmd, "big-pub", 7))) {
    int al = word(&p, end, &a);
    int size = number(&p, end);
    int bl = word(&p, end, &b);
    char* v = (char*)wactor_scratch(size > 0 ? size : 1);
    for (int i = 0; i < size; ++i) v[i] = 'v';
    int rc = wactor_kv_set_raw(a, al, v, size);
    if (rc == 0) rc = n == 8 ? wactor_send_raw(b, bl, a, al) : wactor_publish_raw(b, bl, a, al);
    wactor_text_i64(t, rc);
  } else if (n == 9 && wactor_memeq(cmd, "big-after", 9)) {
    int al = word(&p, end, &a);
    int size = number(&p, end);
    int bl = word(&p, end, &b);
    char* v = (char*)wactor_scratch(size > 0 ? size : 1);
    for (int i = 0; i < size; ++i) v[i] = 'v';
    int rc = wactor_kv_set_raw(a, al, v, size);
    wactor_text_i64(t, rc == 0 ? wactor_send_after_raw(b, bl, a, al, 0) : rc);
  } else if (n == 5 && wactor_memeq(cmd, "after", 5)) {
    int al = word(&p, end, &a);
    int bl = word(&p, end, &b);
    wactor_text_i64(t, wactor_send_after_raw(a, al, b, bl, 0));
  } else if (n == 4 && wactor_memeq(cmd, "list", 4)) {
    int al = word(&p, end, &a);
    int bl = word(&p, end, &b);
    if (al == 1 && a[0] == '-') al = 0; /* "-": no prefix */
    if (bl == 1 && b[0] == '-') bl = 0; /* "-": no `after` */
    int cap = number(&p, end);
    char* buf = (char*)wactor_scratch(cap > 0 ? cap : 1);
    int rc = wactor_kv_list_raw(a, al, b, bl, buf, cap);
    if (rc < 0) {
      wactor_text_str(t, "#");
      wactor_text_i64(t, rc);
      return 0;
    }
    wactor_text_i64(t, rc);
    wactor_text_str(t, ":");
    int off = 0;
    for (int i = 0; i < rc; ++i) {
      int len = (unsigned char)buf[off] | ((unsigned char)buf[off + 1] << 8) | ((unsigned char)buf[off + 2] << 16) |
                ((unsigned char)buf[off + 3] << 24);
      if (i) wactor_text_str(t, ",");
      wactor_text_put(t, buf + off + 4, len);
      off += 4 + len;
    }
  } else if (n == 5 && wactor_memeq(cmd, "usage", 5)) {
    wactor_text_i64(t, wactor_kv_usage());
  } else if (n == 3 && wactor_memeq(cmd, "bad", 3)) {
    static char key2k[2000];
    int r[8] = {
        wactor_kv_set_raw("", 0, "v", 1),               /* empty key */
        wactor_kv_set_raw(key2k, 1025, "v", 1),         /* key over 1 KiB */
        wactor_kv_get_raw((void*)0x7ffffff0, 64, 0, 0), /* key out of bounds */
        wactor_kv_get_raw("k", 1, (void*)0x7ffffff0, 64), /* buffer out of bounds */
        wactor_kv_set_raw("k", 1, (void*)0x7ffffff0, 64), /* value out of bounds */
        wactor_kv_delete_raw("", 0),
        wactor_kv_list_raw("", 0, "", 0, (void*)0x7ffffff0, 64),
        wactor_kv_set_raw(key2k, 1024, "v", 1), /* exactly 1 KiB: fine */
    };
    for (int i = 0; i < 8; ++i) {
      if (i) wactor_text_str(t, " ");
      wactor_text_i64(t, r[i]);
    }
  } else {
    wactor_text_str(t, "unknown");
  }
  return 0;
}

int wactor_on_init(const char* config, int len) {
  const char* p = config;
  const char* end = config + len;
  const char* w;
  int n = word(&p, end, &w);
  if (n == 8 && wactor_memeq(w, "init-set", 8)) {
    const char *a, *b;
    int al = word(&p, end, &a);
    int bl = word(&p, end, &b);
    return wactor_kv_set_raw(a, al, b, bl) == 0 ? 0 : 8;
  }
  if (n == 9 && wactor_memeq(w, "init-fail", 9)) {
    const char *a, *b;
    int al = word(&p, end, &a);
    int bl = word(&p, end, &b);
    wactor_kv_set_raw(a, al, b, bl);
    return 9;
  }
  return 0;
}

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  (void)sender;
  (void)sender_len;
  wactor_text t = {out_buf, 0, sizeof out_buf};
  quiet = 0;
  int rc = run((const char*)payload, (const char*)payload + len, &t);
  wactor_i64 req = wactor_current_request();
  if (req > 0 && !quiet) wactor_respond(req, t.buf, t.len);
  char line[9000];
  wactor_text l = {line, 0, sizeof line};
  wactor_text_put(&l, payload, len);
  wactor_text_str(&l, " -> ");
  wactor_text_put(&l, t.buf, t.len);
  wactor_log_raw(WACTOR_INFO, l.buf, l.len);
  return rc;
}
