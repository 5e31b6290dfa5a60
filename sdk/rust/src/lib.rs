//! wactor guest SDK for Rust — ABI v1 (docs/ABI.md, docs/SDK-RUST.md).
//!
//! Write a type implementing [`Component`] (plus `Default`), export it with
//! [`export_component!`], and build with
//! `cargo build --release --target wasm32-unknown-unknown` as a `cdylib`.
//!
//! ```ignore
//! #[derive(Default)]
//! struct Pong;
//! impl wactor::Component for Pong {
//!     fn on_message(&mut self, msg: &wactor::Message) -> wactor::Result<()> {
//!         msg.reply(msg.payload())
//!     }
//! }
//! wactor::export_component!(Pong);
//! ```
//!
//! Every import of docs/ABI.md is a function here (statuses come back as [`Error`]), and
//! the raw declarations are in [`sys`]. Buffers the host hands a handler (sender, payload,
//! config, a reply) are valid during that handler only: copy what you keep.

mod error;
pub mod http;
pub mod kv;
mod message;
mod request;
#[doc(hidden)]
pub mod rt;
pub mod sys;

pub use error::{Error, Result};
pub use message::{Down, DownReason, Message};
pub use request::{request, Outcome, Pending, Reply, RequestId};

/// A component: one instance per wactor component, called one export at a time.
/// Every method but `on_message` has a default.
pub trait Component: Default + 'static {
    /// `init(config)`: once per instance before anything else. An error fails the start.
    fn init(&mut self, _config: &[u8]) -> Result<()> {
        Ok(())
    }
    /// `handle-message`: a message, a request (see [`Message::request_id`]), a published
    /// message ([`Message::topic`]) or a down notice ([`Message::down`]).
    fn on_message(&mut self, msg: &Message) -> Result<()>;
    /// `handle-callback` for a request made without [`Pending::then`] (or `then_with`):
    /// those with a closure run it instead.
    fn on_callback(&mut self, _reply: Reply) -> Result<()> {
        Ok(())
    }
    /// `health`, exported with `export_component!(T, health)`: an error is unhealthy.
    fn health(&mut self) -> Result<()> {
        Ok(())
    }
    /// `shutdown`: before the instance goes away for good or for a sibling's restart.
    fn shutdown(&mut self) -> Result<()> {
        Ok(())
    }
    /// `snapshot`, exported with `export_component!(T, upgrade)`: the state to carry
    /// into the new module on a hot upgrade.
    fn snapshot(&mut self) -> Vec<u8> {
        Vec::new()
    }
    /// `restore`, exported with `export_component!(T, upgrade)`: runs after the new
    /// instance's `init` with the old one's snapshot. An error rolls the upgrade back.
    fn restore(&mut self, _state: &[u8]) -> Result<()> {
        Ok(())
    }
}

/// A timer set by [`send_after`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(pub i64);

/// Log levels of the `log` import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Level {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
}

fn ptr(s: &[u8]) -> *const u8 {
    s.as_ptr()
}

/// Queues a fire-and-forget message to `target`.
pub fn send(target: &str, payload: &[u8]) -> Result<()> {
    error::check(unsafe { sys::send(ptr(target.as_bytes()), target.len(), ptr(payload), payload.len()) })
}

/// Answers a request this component received (`respond(id, 0, ...)`).
pub fn respond(id: RequestId, payload: &[u8]) -> Result<()> {
    error::check(unsafe { sys::respond(id.0, 0, ptr(payload), payload.len()) })
}

/// Answers a request with an error reply (status 1 for the requester).
pub fn respond_error(id: RequestId, payload: &[u8]) -> Result<()> {
    error::check(unsafe { sys::respond(id.0, 1, ptr(payload), payload.len()) })
}

/// The request being handled, `None` for a plain message or outside `on_message`.
pub fn current_request() -> Option<RequestId> {
    let id = unsafe { sys::current_request() };
    if id > 0 {
        Some(RequestId(id))
    } else {
        None
    }
}

/// Cancels a request this component made: its callback comes with [`Outcome::Cancelled`].
pub fn cancel(id: RequestId) -> Result<()> {
    error::check(unsafe { sys::cancel(id.0) })
}

/// Reads a host string with a `(buf, cap) -> full length` import, growing the buffer.
pub(crate) fn read_string(mut call: impl FnMut(*mut u8, usize) -> i32) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; 128];
    loop {
        let n = call(buf.as_mut_ptr(), buf.len());
        if n < 0 {
            return Err(Error::from_status(n));
        }
        let n = n as usize;
        if n <= buf.len() {
            buf.truncate(n);
            return Ok(buf);
        }
        buf.resize(n, 0);
    }
}

fn into_string(v: Vec<u8>) -> String {
    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// This component's id.
pub fn self_id() -> String {
    into_string(read_string(|b, c| unsafe { sys::self_id(b, c) }).unwrap_or_default())
}

/// One log line (`wactor run` prints `<component> <LEVEL> <text>`).
pub fn log(level: Level, text: &str) {
    unsafe { sys::log(level as i32, text.as_ptr(), text.len()) }
}
/// `log(Level::Trace, ..)`.
pub fn trace(text: &str) {
    log(Level::Trace, text)
}
/// `log(Level::Debug, ..)`.
pub fn debug(text: &str) {
    log(Level::Debug, text)
}
/// `log(Level::Info, ..)`.
pub fn info(text: &str) {
    log(Level::Info, text)
}
/// `log(Level::Warn, ..)`.
pub fn warn(text: &str) {
    log(Level::Warn, text)
}
/// `log(Level::Error, ..)`.
pub fn error(text: &str) {
    log(Level::Error, text)
}

/// Milliseconds on the runtime's monotonic clock.
pub fn now_ms() -> i64 {
    unsafe { sys::now_ms() }
}

/// Subscribes to a topic pattern (`orders.*`, `orders.#`).
pub fn subscribe(pattern: &str) -> Result<()> {
    error::check(unsafe { sys::subscribe(pattern.as_ptr(), pattern.len()) })
}
/// Removes exactly this pattern.
pub fn unsubscribe(pattern: &str) -> Result<()> {
    error::check(unsafe { sys::unsubscribe(pattern.as_ptr(), pattern.len()) })
}
/// Publishes to every subscriber: how many it was queued for.
pub fn publish(topic: &str, payload: &[u8]) -> Result<u32> {
    error::count(unsafe { sys::publish(topic.as_ptr(), topic.len(), ptr(payload), payload.len()) })
}
/// Sends to every other component the `send` grants cover: how many it was queued for.
pub fn broadcast(payload: &[u8]) -> Result<u32> {
    error::count(unsafe { sys::broadcast(ptr(payload), payload.len()) })
}
/// The topic of the published message being handled (`None` for other messages).
pub fn current_topic() -> Option<String> {
    match read_string(|b, c| unsafe { sys::current_topic(b, c) }) {
        Ok(v) if !v.is_empty() => Some(into_string(v)),
        _ => None,
    }
}

/// Makes component `id` from `[[module]]` `module`; `config` goes to its init (empty:
/// the module's own). This component owns it and hears when it goes down.
pub fn spawn(module: &str, id: &str, config: &str) -> Result<()> {
    error::check(unsafe {
        sys::spawn(module.as_ptr(), module.len(), id.as_ptr(), id.len(), config.as_ptr(), config.len())
    })
}
/// Stops a child of this component for good.
pub fn stop(target: &str) -> Result<()> {
    error::check(unsafe { sys::stop(target.as_ptr(), target.len()) })
}
/// Delivers `payload` to `target` like a `send` from this component after `delay_ms`.
pub fn send_after(target: &str, payload: &[u8], delay_ms: u32) -> Result<TimerId> {
    if delay_ms > i32::MAX as u32 {
        return Err(Error::InvalidArgument);
    }
    let id = unsafe { sys::send_after(target.as_ptr(), target.len(), ptr(payload), payload.len(), delay_ms as i32) };
    error::id(id).map(TimerId)
}
/// Cancels a pending timer: `Err(NotFound)` if it already fired.
pub fn cancel_timer(id: TimerId) -> Result<()> {
    error::check(unsafe { sys::cancel_timer(id.0) })
}
/// Watches a component: one `$down` message when it goes down for good ([`Message::down`]).
pub fn monitor(target: &str) -> Result<()> {
    error::check(unsafe { sys::monitor(target.as_ptr(), target.len()) })
}
/// Stops watching.
pub fn demonitor(target: &str) -> Result<()> {
    error::check(unsafe { sys::demonitor(target.as_ptr(), target.len()) })
}
