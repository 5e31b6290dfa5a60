/* Counts visits across restarts of `wactor run`: the count lives in the component's
 * key-value storage (docs/STORAGE.md), committed when the handler returns 0. */
#define WACTOR_IMPLEMENTATION
#include "wactor.h"

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  (void)sender;
  (void)sender_len;
  (void)payload;
  (void)len;
  wactor_i64 n = wactor_kv_add("visits", 1);
  if (n < 0) return 1; /* storage refused (quota, off): nothing is committed */
  char line[64];
  wactor_text t = {line, 0, (int)sizeof line};
  wactor_text_str(&t, "visit number ");
  wactor_text_i64(&t, n);
  wactor_log_raw(WACTOR_INFO, t.buf, t.len);
  wactor_i64 req = wactor_current_request();
  if (req > 0) wactor_respond(req, t.buf, t.len); /* HTTP: the reply leaves once the count is durable */
  return 0;
}
