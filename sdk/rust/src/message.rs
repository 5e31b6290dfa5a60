//! What `on_message` gets.
use crate::{Error, RequestId, Result};

/// One delivery to `handle-message`. Borrowed from the host's buffer: valid during the
/// handler only.
pub struct Message<'a> {
    sender: &'a [u8],
    payload: &'a [u8],
}

impl<'a> Message<'a> {
    #[doc(hidden)]
    pub fn new(sender: &'a [u8], payload: &'a [u8]) -> Self {
        Message { sender, payload }
    }
    /// The sender's id: a component id, `$host`, `$http` or `$down`.
    pub fn sender(&self) -> &'a str {
        core::str::from_utf8(self.sender).unwrap_or("")
    }
    /// The payload bytes.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
    /// The payload as UTF-8 text, if it is.
    pub fn text(&self) -> Option<&'a str> {
        core::str::from_utf8(self.payload).ok()
    }
    /// The id of the request being handled, `None` for a plain message.
    pub fn request_id(&self) -> Option<RequestId> {
        crate::current_request()
    }
    /// Answers the request being handled (`Err(NotFound)` for a plain message).
    pub fn reply(&self, payload: &[u8]) -> Result<()> {
        match self.request_id() {
            Some(id) => crate::respond(id, payload),
            None => Err(Error::NotFound),
        }
    }
    /// Answers the request being handled with an error reply.
    pub fn reply_error(&self, payload: &[u8]) -> Result<()> {
        match self.request_id() {
            Some(id) => crate::respond_error(id, payload),
            None => Err(Error::NotFound),
        }
    }
    /// The topic, for a published message.
    pub fn topic(&self) -> Option<String> {
        crate::current_topic()
    }
    /// Sent by the host (the manifest's `[[message]]`, the control API, the embedder).
    pub fn is_from_host(&self) -> bool {
        self.sender == b"$host"
    }
    /// A request from the HTTP ingress (see [`crate::http`]).
    pub fn is_http(&self) -> bool {
        self.sender == b"$http"
    }
    /// A down notice (`monitor`, or a child of this component going down).
    pub fn down(&self) -> Option<Down<'a>> {
        if self.sender != b"$down" {
            return None;
        }
        let text = self.text()?;
        let (target, reason) = text.split_once(' ')?;
        if target.is_empty() || reason.is_empty() {
            return None;
        }
        let reason = match reason {
            "stopped" => DownReason::Stopped,
            "escalated" => DownReason::Escalated,
            "init-failed" => DownReason::InitFailed,
            "owner-stopped" => DownReason::OwnerStopped,
            other => DownReason::Other(other),
        };
        Some(Down { target, reason })
    }
}

/// A `$down` notice: `target` went down for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Down<'a> {
    pub target: &'a str,
    pub reason: DownReason<'a>,
}

/// Why a component went down (docs/ABI.md, `monitor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownReason<'a> {
    Stopped,
    Escalated,
    InitFailed,
    OwnerStopped,
    Other(&'a str),
}

impl<'a> DownReason<'a> {
    /// The reason's word as the host sent it (`stopped`, `init-failed`, ...).
    pub fn as_str(&self) -> &'a str {
        match *self {
            DownReason::Stopped => "stopped",
            DownReason::Escalated => "escalated",
            DownReason::InitFailed => "init-failed",
            DownReason::OwnerStopped => "owner-stopped",
            DownReason::Other(s) => s,
        }
    }
}
