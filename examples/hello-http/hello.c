/* hello: answers HTTP requests routed to it ([[route]] in app.toml).
 *   GET  /hello            -> 200 "hello from wactor: GET /hello"
 *   GET  /hello/<name>     -> 200 "hello, <name>"
 *   POST /echo             -> 200 with the body echoed and its Content-Type kept
 *   anything else routed   -> 404 set by the guest
 *   a request not from HTTP -> "hello from wactor: <payload>" 
 * Counts the requests it answered (X-Wactor-Count header). */
#define WACTOR_IMPLEMENTATION
#include "wactor.h"

static char out[4096];
static char path[512];
static char method[16];
static char type[256];
static int served;

static void put_number(wactor_text* t, int n) {
  char digits[12];
  int k = 0;
  do {
    digits[k++] = (char)('0' + n % 10);
    n /= 10;
  } while (n && k < 11);
  while (k) wactor_text_put(t, &digits[--k], 1);
}

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  wactor_i64 req = wactor_current_request();
  if (req <= 0) return 0;
  (void)sender;
  (void)sender_len;
  int plen = wactor_http_path(path, sizeof path);
  int mlen = wactor_http_method(method, sizeof method);
  wactor_text t = {out, 0, sizeof out};
  if (plen < 0 || mlen < 0) {
    /* Not from HTTP (wactor ctl request, another component): greet the payload. */
    wactor_text_str(&t, "hello from wactor: ");
    wactor_text_put(&t, payload, len);
    return wactor_respond(req, t.buf, t.len) == WACTOR_OK ? 0 : 1;
  }
  if (plen > (int)sizeof path) plen = sizeof path;
  if (mlen > (int)sizeof method) mlen = sizeof method;
  served++;
  wactor_text_str(&t, "");
  char count[12];
  wactor_text c = {count, 0, sizeof count - 1};
  put_number(&c, served);
  count[c.len] = 0;
  wactor_http_set_header("X-Wactor-Count", count);
  if (plen == 6 && wactor_memeq(path, "/hello", 6)) {
    wactor_text_str(&t, "hello from wactor: ");
    wactor_text_put(&t, method, mlen);
    wactor_text_str(&t, " /hello\n");
  } else if (plen > 7 && wactor_memeq(path, "/hello/", 7)) {
    wactor_text_str(&t, "hello, ");
    wactor_text_put(&t, path + 7, plen - 7);
    wactor_text_str(&t, "\n");
  } else if (plen == 5 && wactor_memeq(path, "/echo", 5)) {
    int tlen = wactor_http_header("Content-Type", type, sizeof type - 1);
    if (tlen > 0 && tlen < (int)sizeof type) {
      type[tlen] = 0;
      wactor_http_set_header("Content-Type", type);
    }
    return wactor_respond(req, payload, len) == WACTOR_OK ? 0 : 1;
  } else {
    wactor_http_set_status(404);
    wactor_text_str(&t, "nothing here\n");
  }
  return wactor_respond(req, t.buf, t.len) == WACTOR_OK ? 0 : 1;
}
