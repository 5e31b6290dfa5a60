/* {{name}}: a wactor component in C (the SDK is sdk/wactor.h; the ABI: docs/ABI.md of wactor).
 * Answers each request with "hello, <payload>" and logs every other message the same way. */
#define WACTOR_IMPLEMENTATION
#define WACTOR_WANT_INIT
#include "wactor.h"

static char buf[512];

int wactor_on_init(const char* config, int len) {
  wactor_log(WACTOR_INFO, "{{name}} started");
  return 0;
}

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  wactor_text t = {buf, 0, sizeof buf};
  wactor_text_str(&t, "hello, ");
  wactor_text_put(&t, payload, len);
  wactor_i64 request = wactor_current_request();
  if (request > 0) return wactor_respond(request, t.buf, t.len) == WACTOR_OK ? 0 : 1;
  wactor_log_raw(WACTOR_INFO, t.buf, t.len);
  return 0;
}
