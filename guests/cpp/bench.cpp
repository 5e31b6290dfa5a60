// The benchmark guest in C++ (same commands and exports as guests/c/bench.c; bench/).
//   blast <n> <size> <target>        send n messages of <size> bytes to <target>
//   ping <n> <target>                n sequential requests; every reply logs an empty DEBUG line
//   pend <n> <timeout_ms> <target>   n requests left unanswered ("hold"), each after an empty TRACE line
// From another component: a request is answered at once with an empty reply, unless its
// payload is "hold"; anything else is only counted.
#include "wactor.hpp"

using namespace wactor;

struct Bench {
  static inline u8 blast_buf[65536];
  i64 ping_left = 0;
  char ping_target[128] = {};
  usize ping_target_len = 0;
  i64 received = 0;

  str target() const { return {ping_target, ping_target_len}; }

  int on_message(const Message& m) {
    if (m.sender != str("$host")) {
      ++received;
      if (m.request != 0 && m.text() != str("hold")) (void)m.reply(Data());
      return 0;
    }
    str rest = m.text();
    const str cmd = next_word(rest);
    if (cmd == str("blast")) {
      const i64 n = parse_int(rest);
      const i64 size = parse_int(rest);
      const str to = next_word(rest);
      if (size < 0 || size > static_cast<i64>(sizeof blast_buf)) return 1;
      for (i64 i = 0; i < n; ++i)
        if (!ok(send(to, Data(blast_buf, static_cast<usize>(size))))) return 2;
    } else if (cmd == str("ping")) {
      ping_left = parse_int(rest);
      const str to = next_word(rest);
      if (to.size() > sizeof ping_target) return 1;
      __builtin_memcpy(ping_target, to.data(), to.size());
      ping_target_len = to.size();
      if (ping_left-- > 0) (void)request(target(), Data(), 0);
    } else if (cmd == str("pend")) {
      const i64 n = parse_int(rest);
      const i64 ms = parse_int(rest);
      const str to = next_word(rest);
      for (i64 i = 0; i < n; ++i) {
        trace("");  // the harness timestamps each request
        if (!request(to, "hold", static_cast<int>(ms))) return 2;
      }
    }
    return 0;
  }

  int on_reply(const Reply&) {
    debug("");
    if (ping_left > 0) {
      --ping_left;
      (void)request(target(), Data(), 0);
    }
    return 0;
  }
};

WACTOR_COMPONENT(Bench);
