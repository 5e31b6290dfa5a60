// An HTTP handler through the C++ SDK (tests/sdk_test.cpp, SdkHttp): reads the request head
// (a header longer than the SDK's first buffer included), sets the status and a header, and
// checks that a header the server owns is refused.
#include "wactor.hpp"

using namespace wactor;

struct Web {
  int on_message(const Message& m) {
    if (!m.is_request()) return 0;
    const auto method = http_info(m.request, HttpPart::method);
    const auto path = http_info(m.request, HttpPart::path);
    const auto query = http_info(m.request, HttpPart::query);
    const auto test = http_info(m.request, HttpPart::header, "X-Test");
    const auto absent = http_info(m.request, HttpPart::header, "X-Absent");
    const auto long_header = http_info(m.request, HttpPart::header, "X-Long");
    Text<512> t;
    t << method.value() << " " << path.value() << "?" << query.value() << " x-test=" << test.value()
      << " absent=" << absent.status() << " long=" << long_header.value().size()
      << " owned=" << http_set_header(m.request, "Content-Length", "1");
    if (!ok(http_set_status(m.request, 201)) || !ok(http_set_header(m.request, "X-Sdk", "cpp"))) return 1;
    return ok(m.reply(t)) ? 0 : 1;
  }
};

WACTOR_COMPONENT(Web);
