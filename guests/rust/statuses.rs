//! Drives every status the ABI can return through the Rust SDK and checks how it maps
//! (tests/sdk_rust_test.cpp). Config "driver <sink>": the driver; anything else: a target.
//! Driver: its init sends to <sink> (mailbox capacity 1) twice before any worker runs (queue
//! full); on "run" it checks the synchronous statuses, then makes requests whose callbacks
//! must come with each outcome. It logs "check <name> ok" or "check <name> FAIL: ...", and
//! "statuses done ok=<n> fail=<m>" once every callback is in.
//! Target: a request "hold" is kept unanswered, "fail" gets an error reply "nope", anything
//! else is echoed; a message "crash" panics (a trap).
use wactor::{Component, Error, Message, Outcome, Reply, RequestId, Result, TimerId};

#[derive(Default)]
struct Statuses {
    driver: bool,
    ok: u32,
    failed: u32,
    waiting: u32,
}

const ASYNC_CHECKS: u32 = 5;

impl Statuses {
    fn check<T: core::fmt::Debug + PartialEq>(&mut self, name: &str, got: T, want: T) {
        if got == want {
            self.ok += 1;
            wactor::info(&format!("check {} ok", name));
        } else {
            self.failed += 1;
            wactor::info(&format!("check {} FAIL: got {:?}, want {:?}", name, got, want));
        }
    }

    fn expect(&mut self, name: &'static str, want: Outcome, want_payload: &'static [u8]) -> impl for<'a> FnOnce(&mut Statuses, Reply<'a>) -> Result<()> {
        self.waiting += 1;
        move |me: &mut Statuses, reply: Reply| {
            me.check(name, (reply.outcome, reply.payload), (want, want_payload));
            me.waiting -= 1;
            if me.waiting == 0 {
                wactor::info(&format!("statuses done ok={} fail={}", me.ok, me.failed));
            }
            Ok(())
        }
    }

    fn run(&mut self) -> Result<()> {
        self.check("not-found", wactor::send("nobody", b"x"), Err(Error::NotFound));
        self.check("invalid-argument", wactor::send("bad id!", b"x"), Err(Error::InvalidArgument));
        self.check("denied", wactor::send("secret", b"x"), Err(Error::Denied));
        self.check("request-denied", wactor::request("secret", b"x", 0).id(), Err(Error::Denied));
        self.check("too-large", wactor::send("holder", &vec![7u8; 4096]), Err(Error::TooLarge));
        self.check("negative-timeout", wactor::request("holder", b"x", u32::MAX).id(), Err(Error::InvalidArgument));
        self.check("cancel-unknown", wactor::cancel(RequestId(999_999)), Err(Error::NotFound));
        self.check("respond-unknown", wactor::respond(RequestId(999_999), b""), Err(Error::NotFound));
        self.check("cancel-timer-unknown", wactor::cancel_timer(TimerId(999_999)), Err(Error::NotFound));
        self.check("stop-not-owner", wactor::stop("holder"), Err(Error::Denied));
        self.check("spawn-unknown-module", wactor::spawn("nomodule", "kid", ""), Err(Error::NotFound));
        self.check("reply-to-message", wactor::respond_error(RequestId(0), b""), Err(Error::InvalidArgument));

        let f = self.expect("reply", Outcome::Ok, b"echo");
        wactor::request("holder", b"echo", 0).then_with(f)?;
        let f = self.expect("error-reply", Outcome::ErrorReply, b"nope");
        wactor::request("holder", b"fail", 0).then_with(f)?;
        let f = self.expect("timeout", Outcome::Timeout, b"");
        wactor::request("holder", b"hold", 30).then_with(f)?;
        let f = self.expect("cancelled", Outcome::Cancelled, b"");
        let id = wactor::request("holder", b"hold", 0).then_with(f)?;
        let cancelled = wactor::cancel(id);
        self.check("cancel", cancelled, Ok(()));
        let f = self.expect("target-down", Outcome::TargetDown, b"");
        wactor::request("crasher", b"hold", 0).then_with(f)?;
        wactor::send("crasher", b"crash")?;
        debug_assert_eq!(self.waiting, ASYNC_CHECKS);
        Ok(())
    }

    // "more": publish/subscribe, timers, self id and the clock through the SDK. Logs
    // "more: ..." lines; the published copy and the timer's message come back as messages.
    fn more(&mut self) -> Result<()> {
        wactor::subscribe("news.*")?;
        let queued = wactor::publish("news.rust", b"extra")?;
        let timer = wactor::send_after(&wactor::self_id(), b"tick", 10)?;
        let dropped = wactor::send_after(&wactor::self_id(), b"never", 60_000)?;
        let cancelled = wactor::cancel_timer(dropped);
        let twice = wactor::cancel_timer(dropped);
        wactor::info(&format!(
            "more: published to {} self={} timer>0={} cancel={:?} again={:?} clock>=0={}",
            queued,
            wactor::self_id(),
            timer.0 > 0,
            cancelled,
            twice,
            wactor::now_ms() >= 0
        ));
        Ok(())
    }
}

impl Component for Statuses {
    fn init(&mut self, config: &[u8]) -> Result<()> {
        let config = core::str::from_utf8(config).unwrap_or("");
        if let Some(sink) = config.strip_prefix("driver ") {
            self.driver = true;
            // Before any worker runs: the first fills the sink's mailbox of one.
            self.check("queue-empty", wactor::send(sink, b"1"), Ok(()));
            self.check("queue-full", wactor::send(sink, b"2"), Err(Error::QueueFull));
        }
        Ok(())
    }

    fn on_message(&mut self, msg: &Message) -> Result<()> {
        if self.driver {
            if let Some(topic) = msg.topic() {
                wactor::info(&format!("more: topic {} from {}: {}", topic, msg.sender(), msg.text().unwrap_or("")));
                return Ok(());
            }
            return match msg.payload() {
                b"run" => self.run(),
                b"more" => self.more(),
                b"tick" => {
                    wactor::info(&format!("more: tick from {}", msg.sender()));
                    Ok(())
                }
                _ => Ok(()),
            };
        }
        if msg.is_http() {
            return http(msg);
        }
        match (msg.request_id(), msg.payload()) {
            (Some(_), b"hold") => Ok(()),
            (Some(_), b"fail") => msg.reply_error(b"nope"),
            (Some(_), p) => msg.reply(p),
            (None, b"crash") => panic!("crash requested"),
            (None, _) => Ok(()),
        }
    }

    fn snapshot(&mut self) -> Vec<u8> {
        format!("{} {}", self.ok, self.failed).into_bytes()
    }
}

// A request from the HTTP ingress: the head through wactor::http, status 201 and a header.
fn http(msg: &Message) -> Result<()> {
    let id = msg.request_id().ok_or(Error::NotFound)?;
    let name = match wactor::http::header(id, "x-name") {
        Ok(v) => v,
        Err(Error::NotFound) => "absent".to_string(),
        Err(e) => return Err(e),
    };
    let body = format!(
        "rust {} {} {} {} lines={}",
        wactor::http::method(id)?,
        wactor::http::path(id)?,
        wactor::http::query(id)?,
        name,
        wactor::http::headers(id)?.lines().count() > 0
    );
    wactor::http::set_status(id, 201)?;
    wactor::http::set_header(id, "X-Sdk", "rust")?;
    let refused = wactor::http::set_header(id, "Content-Length", "1");
    let bad_status = wactor::http::set_status(id, 99);
    msg.reply(format!("{} refused={:?} bad={:?}", body, refused, bad_status).as_bytes())
}

// health and upgrade too: every export the SDK can make is built (and checked at load).
wactor::export_component!(Statuses, health, upgrade);
