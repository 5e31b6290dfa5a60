// worker: one job per instance. On "sum <k>" it computes 1 + 2 + ... + k and sends
// "done <its id> <sum>" to the boss. With config "flaky" the first attempt fails instead:
// it sends "error <its id> flaky" and the boss retries later.
#include "wactor.hpp"

using namespace wactor;

struct Worker {
  bool flaky = false;

  int on_init(str config) {
    flaky = config == str("flaky");
    return self_id().empty() ? 1 : 0;
  }

  int on_message(const Message& m) {
    str rest = m.text();
    if (next_word(rest) != str("sum")) return 0;
    Text<256> t;
    if (flaky) {
      flaky = false;
      t << "error " << self_id() << " flaky";
      return ok(send("boss", t)) ? 0 : 1;
    }
    const i64 k = parse_int(rest);
    int sum = 0;  // int: a 64-bit product would need compiler-rt's __multi3
    for (int i = 1; i <= k; ++i) sum += i;
    t << "done " << self_id() << " " << sum;
    return ok(send("boss", t)) ? 0 : 1;
  }
};

WACTOR_COMPONENT(Worker);
