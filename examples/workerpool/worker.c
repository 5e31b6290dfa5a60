/* worker: one job per instance. On "sum <k>" it computes 1 + 2 + ... + k and sends
 * "done <its id> <sum>" to the boss. With config "flaky" the first attempt fails instead:
 * it sends "error <its id> flaky" and the boss retries later. */
#define WACTOR_IMPLEMENTATION
#define WACTOR_WANT_INIT
#include "wactor.h"

static int flaky;
static char id[128];
static int id_len;
static char buf[256];

int wactor_on_init(const char* config, int len) {
  flaky = len == 5 && wactor_memeq(config, "flaky", 5);
  id_len = wactor_self_id(id, sizeof id);
  return id_len > 0 && id_len <= (int)sizeof id ? 0 : 1;
}

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  if (!wactor_starts_with(payload, len, "sum ")) return 0;
  wactor_text t = {buf, 0, sizeof buf};
  if (flaky) {
    flaky = 0;
    wactor_text_str(&t, "error ");
    wactor_text_put(&t, id, id_len);
    wactor_text_str(&t, " flaky");
    return wactor_send("boss", t.buf, t.len) == WACTOR_OK ? 0 : 1;
  }
  const char* p = (const char*)payload + 4;
  int k = (int)wactor_parse_i64(&p, (const char*)payload + len);
  int sum = 0; /* int: a 64-bit sum would need compiler-rt's __multi3, and there is no libc */
  for (int i = 1; i <= k; ++i) sum += i;
  wactor_text_str(&t, "done ");
  wactor_text_put(&t, id, id_len);
  wactor_text_str(&t, " ");
  wactor_text_i64(&t, sum);
  return wactor_send("boss", t.buf, t.len) == WACTOR_OK ? 0 : 1;
}
