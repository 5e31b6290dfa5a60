//! Per-component key-value storage (docs/STORAGE.md, docs/ABI.md): the writes of
//! one handler commit together when it returns `Ok`, and are discarded otherwise; reads,
//! [`keys`] and [`usage`] see them at once.
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

/// The bytes (keys + values) the component holds, this call's writes included.
pub fn usage() -> Result<u64> {
    let n = unsafe { sys::kv_usage() };
    if n < 0 {
        return Err(Error::from_status(n as i32));
    }
    Ok(n as u64)
}

/// The keys starting with `prefix` (empty: all), ascending, fetched from the host a page
/// (`kv-list`, 4 KiB) at a time. Yields `Err` once (storage off, a bad prefix) and then ends.
/// ```ignore
/// for key in wactor::kv::keys(b"user.") { let key = key?; /* ... */ }
/// ```
pub fn keys(prefix: &[u8]) -> Keys {
    Keys { prefix: prefix.to_vec(), after: Vec::new(), buf: Vec::new(), pos: 0, left: 0, done: false }
}

/// The iterator of [`keys`].
pub struct Keys {
    prefix: Vec<u8>,
    after: Vec<u8>,
    buf: Vec<u8>,
    pos: usize,
    left: usize,
    done: bool,
}

const PAGE_BYTES: usize = 4096; // always holds one key (4 + 1024 bytes)

impl Keys {
    fn fetch(&mut self) -> Result<()> {
        self.buf.resize(PAGE_BYTES, 0);
        let n = unsafe {
            sys::kv_list(self.prefix.as_ptr(), self.prefix.len(), self.after.as_ptr(), self.after.len(),
                         self.buf.as_mut_ptr(), self.buf.len())
        };
        if n < 0 {
            return Err(Error::from_status(n));
        }
        self.pos = 0;
        self.left = n as usize;
        Ok(())
    }
}

impl Iterator for Keys {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Result<Vec<u8>>> {
        if self.done {
            return None;
        }
        if self.left == 0 {
            if let Err(e) = self.fetch() {
                self.done = true;
                return Some(Err(e));
            }
            if self.left == 0 {
                self.done = true;
                return None;
            }
        }
        let at = self.pos;
        let len = self.buf.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        let key = len.and_then(|len| self.buf.get(at + 4..at + 4 + len));
        let key = match key {
            Some(key) => key.to_vec(),
            None => {
                self.done = true; // a host that broke the format: stop rather than trap
                return Some(Err(Error::InvalidArgument));
            }
        };
        self.pos = at + 4 + key.len();
        self.left -= 1;
        self.after.clear();
        self.after.extend_from_slice(&key);
        Some(Ok(key))
    }
}
