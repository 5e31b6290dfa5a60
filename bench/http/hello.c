/* The wactor side of bench/http-bench.sh: answers every routed request with "hello", as
 * the native baseline (bench/http/native_hello.cpp) does. */
#define WACTOR_IMPLEMENTATION
#include "wactor.h"

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  (void)sender;
  (void)sender_len;
  (void)payload;
  (void)len;
  wactor_i64 req = wactor_current_request();
  if (req <= 0) return 0;
  return wactor_respond(req, "hello", 5) == WACTOR_OK ? 0 : 1;
}
