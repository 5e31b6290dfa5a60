//! Statuses as values: every negative status an import returns is an [`Error`].
use core::fmt;

/// A status the host returned (docs/ABI.md, "Status codes returned by imports"), or a
/// handler's own failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// `-1`: unknown target (or target down), module, request, timer or key.
    NotFound,
    /// `-2`: no capability grant covers it, or it is someone else's (request, timer, child).
    Denied,
    /// `-3`: the target's mailbox is full; nothing was queued, retry later.
    QueueFull,
    /// `-4`: bad pointer, length, id, pattern, UTF-8 or value.
    InvalidArgument,
    /// `-5`: payload larger than the runtime's `max_payload_bytes`.
    TooLarge,
    /// `-6`: `spawn` with an id a live component has.
    IdInUse,
    /// `-7`: a budget is used up (pending requests, subscriptions, components, timers,
    /// monitors, storage quota).
    LimitReached,
    /// Any other negative status (a newer host).
    Status(i32),
    /// A handler's own failure: the export returns this code (non-zero; 0 becomes 1).
    Failed(i32),
}

/// `Result<T, wactor::Error>`.
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// The error for a negative status.
    pub fn from_status(code: i32) -> Error {
        match code {
            -1 => Error::NotFound,
            -2 => Error::Denied,
            -3 => Error::QueueFull,
            -4 => Error::InvalidArgument,
            -5 => Error::TooLarge,
            -6 => Error::IdInUse,
            -7 => Error::LimitReached,
            c => Error::Status(c),
        }
    }

    /// The status code (negative), or the handler's code for [`Error::Failed`].
    pub fn code(&self) -> i32 {
        match *self {
            Error::NotFound => -1,
            Error::Denied => -2,
            Error::QueueFull => -3,
            Error::InvalidArgument => -4,
            Error::TooLarge => -5,
            Error::IdInUse => -6,
            Error::LimitReached => -7,
            Error::Status(c) => c,
            Error::Failed(c) => c,
        }
    }

    /// The value an export returns for this error: never 0.
    pub fn exit_code(&self) -> i32 {
        match self.code() {
            0 => 1,
            c => c,
        }
    }

    /// The short name used in docs/ABI.md.
    pub fn name(&self) -> &'static str {
        match self {
            Error::NotFound => "not found",
            Error::Denied => "denied",
            Error::QueueFull => "queue full",
            Error::InvalidArgument => "invalid argument",
            Error::TooLarge => "too large",
            Error::IdInUse => "id in use",
            Error::LimitReached => "limit reached",
            Error::Status(_) => "status",
            Error::Failed(_) => "failed",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

impl std::error::Error for Error {}

/// `Ok(())` for 0, the error for a negative status, `Ok(())` for positive values too.
pub(crate) fn check(code: i32) -> Result<()> {
    if code < 0 {
        Err(Error::from_status(code))
    } else {
        Ok(())
    }
}

/// A count (`>= 0`) or the error.
pub(crate) fn count(code: i32) -> Result<u32> {
    if code < 0 {
        Err(Error::from_status(code))
    } else {
        Ok(code as u32)
    }
}

/// A positive id or the error (ids are never 0; 0 would be a broken host: `Status(0)`).
pub(crate) fn id(code: i64) -> Result<i64> {
    if code > 0 {
        Ok(code)
    } else if code >= i32::MIN as i64 {
        Err(Error::from_status(code as i32))
    } else {
        Err(Error::Status(i32::MIN))
    }
}
