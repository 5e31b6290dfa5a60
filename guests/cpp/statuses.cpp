// Drives every status the ABI can return through the C++ SDK and checks how it maps them
// (tests/sdk_test.cpp, manifest tests/sdk/statuses.toml). Config "driver": on "go" it makes
// every import fail once in each way and logs "check <what> ok|FAIL ...", then, once every
// request has ended, "statuses all ok" or "statuses FAILED". Config "sink": answers
// "answer" with a reply, "fail" with an error reply, keeps "hold" requests open.
#include "wactor.hpp"

using namespace wactor;

struct Statuses {
  bool driver = false;
  int failures = 0;
  int outcomes_left = 0;

  int on_init(str config) {
    driver = config == str("driver");
    return 0;
  }

  void check(str what, bool good, int got) {
    Text<128> t;
    t << "check " << what << (good ? " ok" : " FAIL got ");
    if (!good) t << got;
    info(t);
    if (!good) ++failures;
  }
  void expect(str what, Status got, Status want) { check(what, got == want, static_cast<int>(got)); }
  template <class T>
  void expect(str what, const Result<T>& got, Status want) {
    check(what, got.status() == want, static_cast<int>(got.status()));
  }

  // A request whose lambda checks how it ended; the last one ends the run.
  void started(str what, Result<RequestId> id) {
    check(what, id.ok(), static_cast<int>(id.status()));
    if (id.ok()) ++outcomes_left;
  }

  void outcome(const char* what, const Reply& r, Outcome want) {
    check(what, r.outcome == want, static_cast<int>(r.outcome));
    if (--outcomes_left == 0) info(failures == 0 ? "statuses all ok" : "statuses FAILED");
  }

  int drive() {
    static char big[2000];
    expect("send-not-found", send("nobody", "x"), Status::not_found);
    expect("request-not-found", request("nobody", "x", 100, [](const Reply&) {}), Status::not_found);
    expect("send-denied", send("secret", "x"), Status::denied);
    expect("request-denied", request("secret", "x", 100, [](const Reply&) {}), Status::denied);
    expect("send-first-to-tiny", send("tiny", "1"), Status::ok);
    expect("send-queue-full", send("tiny", "2"), Status::queue_full);
    expect("send-too-large", send("sink", Data(big, sizeof big)), Status::too_large);
    expect("request-too-large", request("sink", Data(big, sizeof big), 100), Status::too_large);
    expect("send-invalid-target", send("bad/id", "x"), Status::invalid_argument);
    expect("request-negative-timeout", request("sink", "x", -1), Status::invalid_argument);
    expect("spawn-id-in-use", spawn("victim", "sink"), Status::id_in_use);
    expect("spawn-unknown-module", spawn("nothing", "x"), Status::not_found);
    expect("stop-not-owner", stop("sink"), Status::denied);
    expect("cancel-unknown", cancel(999999), Status::not_found);
    expect("cancel-timer-unknown", cancel_timer(999999), Status::not_found);
    expect("respond-unknown", respond(999999, "x"), Status::not_found);
    expect("publish-denied", publish("news.x", "x"), Status::denied);
    expect("subscribe-invalid", subscribe("a*"), Status::invalid_argument);
    expect("unsubscribe-not-found", unsubscribe("news.x"), Status::not_found);
    expect("http-info-not-found", http_info(999999, HttpPart::method), Status::not_found);
    expect("send-after-negative-delay", send_after("sink", "x", -5), Status::invalid_argument);
    expect("demonitor-not-found", demonitor("sink"), Status::not_found);

    // Requests and how each ends (max_pending_requests = 5: the sixth is refused).
    started("request-ok", request("sink", "answer", 5000, [this](const Reply& r) {
      check("reply-text", r.text() == str("fine"), 0);
      outcome("outcome-ok", r, Outcome::ok);
    }));
    started("request-error", request("sink", "fail", 5000, [this](const Reply& r) {
      check("error-text", r.text() == str("no"), 0);
      outcome("outcome-error-reply", r, Outcome::error_reply);
    }));
    started("request-timeout", request("sink", "hold", 50, [this](const Reply& r) {
      outcome("outcome-timeout", r, Outcome::timeout);
    }));
    expect("spawn-victim", spawn("victim", "victim.1"), Status::ok);
    started("request-down", request("victim.1", "hold", 5000, [this](const Reply& r) {
      outcome("outcome-target-down", r, Outcome::target_down);
    }));
    const auto held = request("sink", "hold", 5000, [this](const Reply& r) {
      outcome("outcome-cancelled", r, Outcome::cancelled);
    });
    started("request-to-cancel", held);
    expect("request-limit-reached", request("sink", "x", 100, [](const Reply&) {}), Status::limit_reached);
    expect("cancel", cancel(held.value()), Status::ok);
    expect("cancel-again", cancel(held.value()), Status::not_found);
    expect("stop-victim", stop("victim.1"), Status::ok);
    expect("stop-victim-again", stop("victim.1"), Status::not_found);
    check("unknown-status-name", str(name(static_cast<Status>(-99))) == str("unknown"), 0);
    {  // Text takes every integer type (u32, size_t, long and uint64_t were ambiguous overloads)
      Text<80> t;
      t << u32(4000000000u) << ' ' << 18446744073709551615ull << ' ' << usize(7) << ' ' << long(-8) << ' '
        << (-9223372036854775807LL - 1);
      check("text-integers", t.view() == str("4000000000 18446744073709551615 7 -8 -9223372036854775808"), 0);
    }

    // And the calls that succeed: ids, clock, monitors, timers, publish/subscribe.
    check("self-id", self_id() == str("driver"), 0);
    check("now-ms", now_ms() >= 0, 0);
    expect("monitor", monitor("sink"), Status::ok);
    expect("demonitor", demonitor("sink"), Status::ok);
    const auto timer = send_after("sink", "later", 60000);
    check("send-after", timer.ok() && timer.value() > 0, static_cast<int>(timer.status()));
    expect("cancel-timer", cancel_timer(timer.value()), Status::ok);
    expect("subscribe", subscribe("own.*"), Status::ok);
    const auto got = publish("own.x", "news");
    check("publish", got.ok() && got.value() == 1, got.value());
    if (got.ok()) ++outcomes_left;  // the published message, below
    return 0;
  }

  void published(const Message& m) {
    check("topic", m.topic() == str("own.x"), 0);
    check("published-text", m.text() == str("news") && m.sender == str("driver"), 0);
    expect("unsubscribe", unsubscribe("own.*"), Status::ok);
    if (--outcomes_left == 0) info(failures == 0 ? "statuses all ok" : "statuses FAILED");
  }

  int on_message(const Message& m) {
    if (driver && m.text() == str("go")) {  // a plain message: nothing to answer
      expect("reply-plain-not-found", m.reply("x"), Status::not_found);
      expect("reply-error-plain-not-found", m.reply_error("x"), Status::not_found);
      return drive();
    }
    if (driver && m.text() == str("news")) published(m);
    if (driver) return 0;
    if (!m.is_request() || m.text() == str("hold")) return 0;
    if (m.text() == str("fail")) return ok(m.reply_error("no")) ? 0 : 1;
    return ok(m.reply("fine")) ? 0 : 1;
  }
};

WACTOR_COMPONENT(Statuses);
