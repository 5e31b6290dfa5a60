/* http_probe: the HTTP ingress tests' guest (tests/e2e_http_test.cpp). What it does depends
 * on the request's path; requests that are not HTTP ("<id>" from a peer) try to read the
 * HTTP request <id> of someone else and answer the status they got. */
#define WACTOR_WANT_CALLBACK
#define WACTOR_IMPLEMENTATION
#include "wactor.h"

static char out[8192];
static char path[512];
static char method[16];
static char query[512];
static char value[4096];
static wactor_i64 kept;      /* "/later": answered by "/release" */
static wactor_i64 waiting;   /* "/deny": the HTTP request answered from the peer's callback */

static int is(const char* p, int n, const char* s) { return n == wactor_strlen(s) && wactor_memeq(p, s, n); }

static wactor_i64 parse_i64(const wactor_u8* p, int n) {
  wactor_i64 v = 0;
  for (int i = 0; i < n && p[i] >= '0' && p[i] <= '9'; ++i) v = v * 10 + (p[i] - '0');
  return v;
}

static int answer(wactor_i64 req, wactor_text* t) { return wactor_respond(req, t->buf, t->len) == WACTOR_OK ? 0 : 1; }

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  wactor_i64 req = wactor_current_request();
  wactor_text t = {out, 0, sizeof out};
  if (req <= 0) return 0;
  int plen = wactor_http_path(path, sizeof path);
  if (plen < 0) {
    /* Not HTTP: a peer asks us to read its HTTP request <payload>. */
    wactor_text_str(&t, "not-http=");
    wactor_text_i64(&t, plen);
    wactor_text_str(&t, " peer=");
    wactor_text_i64(&t, wactor_http_info(parse_i64(payload, len), WACTOR_HTTP_METHOD, "", 0, value, sizeof value));
    (void)sender;
    (void)sender_len;
    return answer(req, &t);
  }
  if (plen > (int)sizeof path) plen = sizeof path;
  int mlen = wactor_http_method(method, sizeof method);
  int qlen = wactor_http_query(query, sizeof query);
  if (qlen > (int)sizeof query) qlen = sizeof query;
  if (is(path, plen, "/hello")) {
    wactor_text_str(&t, "hello ");
    wactor_text_put(&t, method, mlen);
    wactor_text_str(&t, " ");
    wactor_text_put(&t, path, plen);
    wactor_text_str(&t, "?");
    wactor_text_put(&t, query, qlen);
    return answer(req, &t);
  }
  if (plen == 11 && wactor_memeq(path, "/status/", 8)) {
    wactor_i64 code = parse_i64((const wactor_u8*)path + 8, 3);
    wactor_text_str(&t, "set=");
    wactor_text_i64(&t, wactor_http_set_status((int)code));
    return answer(req, &t);
  }
  if (is(path, plen, "/error")) return wactor_respond_error(req, "secret detail", 13) == WACTOR_OK ? 0 : 1;
  if (is(path, plen, "/error-status")) {
    wactor_http_set_status(422);
    return wactor_respond_error(req, "bad input", 9) == WACTOR_OK ? 0 : 1;
  }
  if (is(path, plen, "/silent")) return 0;
  if (is(path, plen, "/trap-after-status")) {
    wactor_http_set_status(201);
    wactor_http_set_header("X-Guest", "1");
    __builtin_trap();
  }
  if (is(path, plen, "/fail-after-status")) {
    wactor_http_set_status(201);
    return 7;
  }
  if (plen == 10 && wactor_memeq(path, "/forge/", 7)) {
    /* a bodiless status with a body that looks like a second response */
    wactor_http_set_status((int)parse_i64((const wactor_u8*)path + 7, 3));
    wactor_text_str(&t, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\n<script>");
    return answer(req, &t);
  }
  if (is(path, plen, "/trap")) __builtin_trap();
  if (is(path, plen, "/spin")) {
    for (volatile int i = 0;; ++i) {
    }
  }
  if (is(path, plen, "/echo")) return wactor_respond(req, payload, len) == WACTOR_OK ? 0 : 1;
  if (is(path, plen, "/header")) {
    /* query: the header's name */
    query[qlen < (int)sizeof query ? qlen : (int)sizeof query - 1] = 0;
    int n = wactor_http_header(query, value, sizeof value);
    if (n < 0) {
      wactor_text_str(&t, "absent=");
      wactor_text_i64(&t, n);
    } else {
      wactor_text_put(&t, value, n < (int)sizeof value ? n : (int)sizeof value);
    }
    return answer(req, &t);
  }
  if (is(path, plen, "/headers")) {
    int n = wactor_http_info(req, WACTOR_HTTP_HEADER_LIST, "", 0, value, sizeof value);
    wactor_text_put(&t, value, n < (int)sizeof value ? n : (int)sizeof value);
    return answer(req, &t);
  }
  if (is(path, plen, "/many")) {
    int ok = 0, then = 0;
    char name[8] = {'X', '-', 'H', 'a', 'a', 0};
    for (int i = 0; i < 40; ++i) {
      name[3] = (char)('a' + i / 26);
      name[4] = (char)('a' + i % 26);
      int rc = wactor_http_set_header(name, "v");
      if (rc == 0) ++ok;
      else if (!then) then = rc;
    }
    wactor_text_str(&t, "ok=");
    wactor_text_i64(&t, ok);
    wactor_text_str(&t, " then=");
    wactor_text_i64(&t, then);
    return answer(req, &t);
  }
  if (is(path, plen, "/bad")) {
    wactor_text_str(&t, "cl=");
    wactor_text_i64(&t, wactor_http_set_header("Content-Length", "5"));
    wactor_text_str(&t, " crlf=");
    wactor_text_i64(&t, wactor_http_set_header("X-A", "a\r\nInjected: 1"));
    wactor_text_str(&t, " name=");
    wactor_text_i64(&t, wactor_http_set_header("X A", "v"));
    wactor_text_str(&t, " s99=");
    wactor_text_i64(&t, wactor_http_set_status(99));
    wactor_text_str(&t, " s600=");
    wactor_text_i64(&t, wactor_http_set_status(600));
    wactor_text_str(&t, " what=");
    wactor_text_i64(&t, wactor_http_info(req, 9, "", 0, value, sizeof value));
    wactor_text_str(&t, " other=");
    wactor_text_i64(&t, wactor_http_info(req + 1000, WACTOR_HTTP_METHOD, "", 0, value, sizeof value));
    wactor_text_str(&t, " ptr=");
    wactor_text_i64(&t, wactor_http_info(req, WACTOR_HTTP_METHOD, "", 0, (char*)0x7ffffff0, 64));
    return answer(req, &t);
  }
  if (is(path, plen, "/later")) {
    kept = req;
    wactor_http_set_status(201);
    return 0;
  }
  if (is(path, plen, "/release")) {
    wactor_text_str(&t, "released");
    int rc = wactor_respond(kept, t.buf, t.len);
    t.len = 0;
    wactor_text_str(&t, "release=");
    wactor_text_i64(&t, rc);
    wactor_text_str(&t, " after=");
    wactor_text_i64(&t, wactor_http_info(kept, WACTOR_HTTP_METHOD, "", 0, value, sizeof value));
    return answer(req, &t);
  }
  if (is(path, plen, "/deny")) {
    char id[24];
    wactor_text d = {id, 0, sizeof id};
    wactor_text_i64(&d, req);
    waiting = req;
    wactor_i64 r = wactor_request("peer", d.buf, d.len, 5000);
    if (r <= 0) return 1;
    return 0;
  }
  wactor_http_set_status(404);
  wactor_text_str(&t, "no such path");
  return answer(req, &t);
}

int wactor_on_callback(wactor_i64 request_id, int status, const wactor_u8* payload, int len) {
  (void)request_id;
  (void)status;
  return wactor_respond(waiting, payload, len) == WACTOR_OK ? 0 : 1;
}
