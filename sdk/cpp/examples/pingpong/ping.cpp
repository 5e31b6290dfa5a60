// ping: on "start", asks pong N times (N from its config; "N target" to ask another
// component) and counts the replies; each reply runs the lambda given to the request.
// When every reply is in, it logs a summary and tells pong it is done.
#include "wactor.hpp"

using namespace wactor;

struct Ping {
  int rounds = 3;
  int replies = 0;
  Text<128> target;

  int on_init(str config) {
    if (!config.empty()) rounds = static_cast<int>(parse_int(config));
    const str other = next_word(config);
    target << (other.empty() ? str("pong") : other);
    return rounds > 0 ? 0 : 1;
  }

  int on_message(const Message& m) {
    if (!m.text().starts_with("start")) return 0;
    for (int i = 1; i <= rounds; ++i) {
      Text<32> t;
      t << "ping " << i;
      auto id = request(target, t, 1000, [this](const Reply& r) { on_pong(r); });
      if (!id) {
        Text<64> e;
        e << "request to " << target.view() << " failed: " << id.status();
        error(e);
        return 1;
      }
    }
    return 0;
  }

  void on_pong(const Reply& r) {
    Text<256> t;
    t << "reply to request " << r.id << (r.ok() ? ": " : ": failed: ") << r.text();
    info(t);
    if (++replies == rounds) {
      t.clear();
      t << "all " << replies << " replies received";
      info(t);
      (void)send(target, "done");
    }
  }
};

WACTOR_COMPONENT(Ping);
