// {{name}}: a wactor component in C++ (docs/SDK-CPP.md). Logs every message; answers every
// request with "hello, " + what it was sent.
#include "wactor.hpp"

using namespace wactor;

struct Component {
  int handled = 0;

  int on_init(str config) {
    Text<160> t;
    t << "{{name}} starting, config '" << config << "'";
    info(t);
    return 0;
  }

  int on_message(const Message& m) {
    ++handled;
    Text<512> t;
    t << "hello, " << m.text();
    if (m.is_request()) return ok(m.reply(t)) ? 0 : 1;
    t << " (message " << handled << " from " << m.sender << ")";
    info(t);
    return 0;
  }
};

WACTOR_COMPONENT(Component);
