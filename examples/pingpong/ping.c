/* ping: on "start", asks pong N times (N from its config) and counts the replies.
 * When every reply is in, it logs a summary and tells pong it is done. */
#define WACTOR_IMPLEMENTATION
#define WACTOR_WANT_CALLBACK
#define WACTOR_WANT_INIT
#include "wactor.h"

static int rounds = 3;
static int replies;
static char buf[256];

int wactor_on_init(const char* config, int len) {
  const char* p = config;
  if (len > 0) rounds = (int)wactor_parse_i64(&p, config + len);
  return rounds > 0 ? 0 : 1;
}

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  if (!wactor_starts_with(payload, len, "start")) return 0;
  for (int i = 1; i <= rounds; ++i) {
    wactor_text t = {buf, 0, sizeof buf};
    wactor_text_str(&t, "ping ");
    wactor_text_i64(&t, i);
    wactor_i64 id = wactor_request("pong", t.buf, t.len, 1000);
    if (id < 0) {
      wactor_log(WACTOR_ERROR, "request to pong failed");
      return 1;
    }
  }
  return 0;
}

int wactor_on_callback(wactor_i64 request_id, int status, const wactor_u8* payload, int len) {
  wactor_text t = {buf, 0, sizeof buf};
  wactor_text_str(&t, "reply to request ");
  wactor_text_i64(&t, request_id);
  wactor_text_str(&t, status == WACTOR_CB_OK ? ": " : ": failed: ");
  wactor_text_put(&t, payload, len);
  wactor_log_raw(WACTOR_INFO, t.buf, t.len);
  if (++replies == rounds) {
    t.len = 0;
    wactor_text_str(&t, "all ");
    wactor_text_i64(&t, replies);
    wactor_text_str(&t, " replies received");
    wactor_log_raw(WACTOR_INFO, t.buf, t.len);
    wactor_send("pong", "done", 4);
  }
  return 0;
}
