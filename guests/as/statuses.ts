// Drives every status the ABI can return through the AssemblyScript SDK and checks how it
// maps them (tests/sdk_test.cpp, manifest tests/sdk/statuses.toml). Config "driver": on
// "go" it makes every import fail once in each way and logs "check <what> ok|FAIL ...",
// then, once every request has ended, "statuses all ok" or "statuses FAILED". Config
// "sink": answers "answer" with a reply, "fail" with an error reply, keeps "hold" open.
import {
  Component, Message, Reply, Status, Outcome, register, info, send, request, spawn, stop, cancel, cancelTimer,
  respond, publish, subscribe, unsubscribe, httpInfo, HttpPart, sendAfter, demonitor, statusName, lastStatus,
  selfId, nowMs, monitor,
} from "../../sdk/assemblyscript/assembly/index";

let driver = false;
let failures = 0;
let outcomesLeft = 0;

function check(what: string, good: bool, got: i64): void {
  info("check " + what + (good ? " ok" : " FAIL got " + got.toString()));
  if (!good) ++failures;
}
function expect(what: string, got: i64, want: i32): void { check(what, got == <i64>want, got); }
function started(what: string, id: i64): void {
  check(what, id > 0, id);
  if (id > 0) ++outcomesLeft;
}
// Replies carry what they expect in their context: the Outcome wanted.
function outcome(r: Reply): void {
  check("outcome-" + statusNameOfOutcome(<i32>r.context), r.outcome == <i32>r.context, r.outcome);
  if (r.context == Outcome.Ok) check("reply-text", r.text == "fine", 0);
  if (r.context == Outcome.ErrorReply) check("error-text", r.text == "no", 0);
  if (--outcomesLeft == 0) info(failures == 0 ? "statuses all ok" : "statuses FAILED");
}
function statusNameOfOutcome(o: i32): string {
  return o == Outcome.Ok ? "ok" : o == Outcome.ErrorReply ? "error-reply" : o == Outcome.Timeout ? "timeout"
    : o == Outcome.Cancelled ? "cancelled" : o == Outcome.TargetDown ? "target-down" : "unknown";
}
function ignore(r: Reply): void {}

function drive(): i32 {
  const big = new Uint8Array(2000);
  expect("send-not-found", send("nobody", "x"), Status.NotFound);
  expect("request-not-found", request("nobody", "x", 100, ignore), Status.NotFound);
  expect("send-denied", send("secret", "x"), Status.Denied);
  expect("request-denied", request("secret", "x", 100, ignore), Status.Denied);
  expect("send-first-to-tiny", send("tiny", "1"), Status.Ok);
  expect("send-queue-full", send("tiny", "2"), Status.QueueFull);
  expect("send-too-large", send("sink", big), Status.TooLarge);
  expect("request-too-large", request("sink", big.buffer, 100), Status.TooLarge);
  expect("send-invalid-target", send("bad/id", "x"), Status.InvalidArgument);
  expect("request-negative-timeout", request("sink", "x", -1), Status.InvalidArgument);
  expect("spawn-id-in-use", spawn("victim", "sink"), Status.IdInUse);
  expect("spawn-unknown-module", spawn("nothing", "x"), Status.NotFound);
  expect("stop-not-owner", stop("sink"), Status.Denied);
  expect("cancel-unknown", cancel(999999), Status.NotFound);
  expect("cancel-timer-unknown", cancelTimer(999999), Status.NotFound);
  expect("respond-unknown", respond(999999, "x"), Status.NotFound);
  expect("publish-denied", publish("news.x", "x"), Status.Denied);
  expect("subscribe-invalid", subscribe("a*"), Status.InvalidArgument);
  expect("unsubscribe-not-found", unsubscribe("news.x"), Status.NotFound);
  check("http-info-not-found", httpInfo(999999, HttpPart.Method) == null && lastStatus == Status.NotFound, lastStatus);
  expect("send-after-negative-delay", sendAfter("sink", "x", -5), Status.InvalidArgument);
  expect("demonitor-not-found", demonitor("sink"), Status.NotFound);

  // Requests and how each ends (max_pending_requests = 5: the sixth is refused).
  started("request-ok", request("sink", "answer", 5000, outcome, Outcome.Ok));
  started("request-error", request("sink", "fail", 5000, outcome, Outcome.ErrorReply));
  started("request-timeout", request("sink", "hold", 50, outcome, Outcome.Timeout));
  expect("spawn-victim", spawn("victim", "victim.1"), Status.Ok);
  started("request-down", request("victim.1", "hold", 5000, outcome, Outcome.TargetDown));
  const held = request("sink", "hold", 5000, outcome, Outcome.Cancelled);
  started("request-to-cancel", held);
  expect("request-limit-reached", request("sink", "x", 100, ignore), Status.LimitReached);
  expect("cancel", cancel(held), Status.Ok);
  expect("cancel-again", cancel(held), Status.NotFound);
  expect("stop-victim", stop("victim.1"), Status.Ok);
  expect("stop-victim-again", stop("victim.1"), Status.NotFound);
  check("unknown-status-name", statusName(-99) == "unknown", 0);

  // And the calls that succeed: ids, clock, monitors, timers, publish/subscribe.
  check("self-id", selfId() == "driver", 0);
  check("now-ms", nowMs() >= 0, 0);
  expect("monitor", monitor("sink"), Status.Ok);
  expect("demonitor", demonitor("sink"), Status.Ok);
  const timer = sendAfter("sink", "later", 60000);
  check("send-after", timer > 0, timer);
  expect("cancel-timer", cancelTimer(timer), Status.Ok);
  expect("subscribe", subscribe("own.*"), Status.Ok);
  const got = publish("own.x", "news");
  check("publish", got == 1, got);
  if (got == 1) ++outcomesLeft;  // the published message, below
  return 0;
}

function published(m: Message): void {
  check("topic", m.topic == "own.x", 0);
  check("published-text", m.text == "news" && m.sender == "driver", 0);
  expect("unsubscribe", unsubscribe("own.*"), Status.Ok);
  if (--outcomesLeft == 0) info(failures == 0 ? "statuses all ok" : "statuses FAILED");
}

class Statuses extends Component {
  onInit(config: string): i32 {
    driver = config == "driver";
    return 0;
  }
  onMessage(m: Message): i32 {
    const text = m.text;
    if (driver && text == "go") {  // a plain message: nothing to answer
      expect("reply-plain-not-found", m.reply("x"), Status.NotFound);
      expect("reply-error-plain-not-found", m.replyError("x"), Status.NotFound);
      return drive();
    }
    if (driver && text == "news") published(m);
    if (driver) return 0;
    if (!m.isRequest || text == "hold") return 0;
    if (text == "fail") return m.replyError("no") == Status.Ok ? 0 : 1;
    return m.reply("fine") == Status.Ok ? 0 : 1;
  }
}

register(new Statuses());
export { cabi_realloc, inbox, init, handle_message, handle_callback } from "../../sdk/assemblyscript/assembly/exports";
