//! Per-component key-value storage (issue 13; docs/ABI.md once it lands): the writes of
//! one handler commit together when it returns `Ok`, and are discarded otherwise.
//! Statuses: `Err(InvalidArgument)` for an empty key or one over 1 KiB, `Err(Denied)` when
//! storage is off for the component, `Err(LimitReached)` over its quota, `Err(TooLarge)`
//! for a value over `max_payload_bytes`. A module imports `kv-*` only if it calls these.
use crate::{error, sys, Error, Result};

/// The value of `key`, `None` if there is none.
pub fn get(key: &[u8]) -> Result<Option<Vec<u8>>> {
    let mut buf = vec![0u8; 256];
    loop {
        let n = unsafe { sys::kv_get(key.as_ptr(), key.len(), buf.as_mut_ptr(), buf.len()) };
        if n == -1 {
            return Ok(None);
        }
        if n < 0 {
            return Err(Error::from_status(n));
        }
        let n = n as usize;
        if n <= buf.len() {
            buf.truncate(n);
            return Ok(Some(buf));
        }
        buf.resize(n, 0);
    }
}

/// Sets `key` to `value` (committed when the handler returns `Ok`).
pub fn set(key: &[u8], value: &[u8]) -> Result<()> {
    error::check(unsafe { sys::kv_set(key.as_ptr(), key.len(), value.as_ptr(), value.len()) })
}

/// Deletes `key`: `Ok(true)` if it existed, `Ok(false)` if not.
pub fn delete(key: &[u8]) -> Result<bool> {
    match unsafe { sys::kv_delete(key.as_ptr(), key.len()) } {
        -1 => Ok(false),
        n => error::check(n).map(|_| true),
    }
}
