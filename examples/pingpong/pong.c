/* pong: answers every request with "pong" + what it was sent; logs fire-and-forget messages. */
#define WACTOR_IMPLEMENTATION
#include "wactor.h"

static char buf[256];

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  wactor_i64 req = wactor_current_request();
  wactor_text t = {buf, 0, sizeof buf};
  if (req > 0) {
    wactor_text_str(&t, "pong ");
    wactor_text_put(&t, payload + 5 <= payload + len ? payload + 5 : payload, len > 5 ? len - 5 : 0);
    return wactor_respond(req, t.buf, t.len) == WACTOR_OK ? 0 : 1;
  }
  wactor_text_str(&t, "message from ");
  wactor_text_put(&t, sender, sender_len);
  wactor_text_str(&t, ": ");
  wactor_text_put(&t, payload, len);
  wactor_log_raw(WACTOR_INFO, t.buf, t.len);
  return 0;
}
