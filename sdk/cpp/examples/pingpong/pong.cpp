// pong: answers every request with "pong" + what it was sent; logs fire-and-forget messages.
#include "wactor.hpp"

using namespace wactor;

struct Pong {
  int on_message(const Message& m) {
    Text<256> t;
    if (m.is_request()) {
      str rest = m.text();
      next_word(rest);  // "ping"
      t << "pong" << rest;
      return m.reply(t) == Status::ok ? 0 : 1;
    }
    t << "message from " << m.sender << ": " << m.text();
    info(t);
    return 0;
  }
};

WACTOR_COMPONENT(Pong);
