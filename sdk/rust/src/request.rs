//! Requests and their outcomes: `request(..).then(|reply| ..)`.
use core::any::Any;
use std::collections::BTreeMap;

use crate::{error, sys, Error, Result};

/// A request's id (positive, unique within the runtime).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub i64);

/// How a request ended (docs/ABI.md, "Callback statuses").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 0: the target replied; the payload is the reply.
    Ok,
    /// 1: an error reply, or the target's handler failed; the payload is the error text.
    ErrorReply,
    /// 2: no answer before the deadline.
    Timeout,
    /// 3: cancelled by this component.
    Cancelled,
    /// 4: the target's instance was lost (trap, restart, stop) before answering.
    TargetDown,
    /// A status this SDK does not know (a newer host).
    Other(i32),
}

impl Outcome {
    /// The outcome for a callback status.
    pub fn from_status(status: i32) -> Outcome {
        match status {
            0 => Outcome::Ok,
            1 => Outcome::ErrorReply,
            2 => Outcome::Timeout,
            3 => Outcome::Cancelled,
            4 => Outcome::TargetDown,
            s => Outcome::Other(s),
        }
    }
}

/// A request's end, passed to its closure or to [`crate::Component::on_callback`].
/// The payload is valid during the callback only.
#[derive(Clone, Copy, Debug)]
pub struct Reply<'a> {
    pub id: RequestId,
    pub outcome: Outcome,
    pub payload: &'a [u8],
}

impl<'a> Reply<'a> {
    /// The reply's payload if the target answered with success, else the outcome.
    pub fn result(&self) -> core::result::Result<&'a [u8], Outcome> {
        match self.outcome {
            Outcome::Ok => Ok(self.payload),
            o => Err(o),
        }
    }
    /// Did the target answer with success?
    pub fn is_ok(&self) -> bool {
        self.outcome == Outcome::Ok
    }
    /// The payload as UTF-8 text (the reply, or the error text), if it is.
    pub fn text(&self) -> Option<&'a str> {
        core::str::from_utf8(self.payload).ok()
    }
}

type Continuation = Box<dyn for<'a> FnOnce(&mut dyn Any, Reply<'a>) -> Result<()>>;

// Closures waiting for their request's callback, by request id. Guests are single-threaded:
// the host calls one export at a time per instance.
static mut CONTINUATIONS: Option<BTreeMap<i64, Continuation>> = None;

fn continuations() -> &'static mut BTreeMap<i64, Continuation> {
    unsafe { CONTINUATIONS.get_or_insert_with(BTreeMap::new) }
}

/// A request that was sent (or refused). Give it a closure with [`Pending::then`], or
/// take its id with [`Pending::id`] and handle it in `on_callback`.
#[must_use = "a request's outcome is handled by .then(..), .then_with(..) or .id() + on_callback"]
pub struct Pending {
    id: Result<RequestId>,
}

/// Sends a request; `timeout_ms = 0` uses the runtime's default timeout.
/// Exactly one callback follows a request that was sent: its closure or `on_callback`.
pub fn request(target: &str, payload: &[u8], timeout_ms: u32) -> Pending {
    if timeout_ms > i32::MAX as u32 {
        return Pending { id: Err(Error::InvalidArgument) };
    }
    let raw = unsafe {
        sys::request(target.as_ptr(), target.len(), payload.as_ptr(), payload.len(), timeout_ms as i32)
    };
    Pending { id: error::id(raw).map(RequestId) }
}

impl Pending {
    /// The request's id, or why it was refused (then no callback follows).
    pub fn id(self) -> Result<RequestId> {
        self.id
    }
    /// Runs `f` with the reply when the request ends (whatever the outcome). Returns the
    /// id, or why the request was refused (then `f` is dropped and never runs).
    pub fn then<F>(self, f: F) -> Result<RequestId>
    where
        F: for<'a> FnOnce(Reply<'a>) -> Result<()> + 'static,
    {
        let id = self.id?;
        continuations().insert(id.0, Box::new(move |_: &mut dyn Any, reply: Reply| f(reply)));
        Ok(id)
    }
    /// As [`Pending::then`], with the component itself: `.then_with(|me: &mut Ping, reply| ..)`.
    pub fn then_with<C, F>(self, f: F) -> Result<RequestId>
    where
        C: 'static,
        F: for<'a> FnOnce(&mut C, Reply<'a>) -> Result<()> + 'static,
    {
        let id = self.id?;
        continuations().insert(
            id.0,
            Box::new(move |c: &mut dyn Any, reply: Reply| match c.downcast_mut::<C>() {
                Some(c) => f(c, reply),
                None => Err(Error::InvalidArgument),
            }),
        );
        Ok(id)
    }
}

/// The closure kept for this request, if any (taken: it runs once).
pub(crate) fn take_continuation(id: i64) -> Option<Continuation> {
    continuations().remove(&id)
}
