//! The HTTP ingress (docs/ABI.md, "HTTP"): a request from sender `$http` is a request like
//! any other (answer it with `msg.reply`); these read its head and shape the response
//! while it is open. Each takes the request's id (`msg.request_id()`, or one kept to
//! answer later). `Err(NotFound)`: not an open HTTP request (or no such header);
//! `Err(Denied)`: another component's request.
use crate::{error, read_string, sys, RequestId, Result};

const METHOD: i32 = 0;
const PATH: i32 = 1;
const QUERY: i32 = 2;
const HEADER: i32 = 3;
const HEADER_LIST: i32 = 4;

fn info(id: RequestId, what: i32, name: &str) -> Result<String> {
    let v = read_string(|b, c| unsafe { sys::http_info(id.0, what, name.as_ptr(), name.len(), b, c) })?;
    Ok(String::from_utf8_lossy(&v).into_owned())
}

/// `GET`, `POST`, ...
pub fn method(id: RequestId) -> Result<String> {
    info(id, METHOD, "")
}
/// The path as sent (not percent-decoded), without the query.
pub fn path(id: RequestId) -> Result<String> {
    info(id, PATH, "")
}
/// The query after `?` (empty if none).
pub fn query(id: RequestId) -> Result<String> {
    info(id, QUERY, "")
}
/// One header (case-insensitive name; several are joined with `, `): `Err(NotFound)` if absent.
pub fn header(id: RequestId, name: &str) -> Result<String> {
    info(id, HEADER, name)
}
/// Every header as `name: value\n` lines, in the order received.
pub fn headers(id: RequestId) -> Result<String> {
    info(id, HEADER_LIST, "")
}
/// The response's status, 200 to 599 (the last call wins).
pub fn set_status(id: RequestId, status: u16) -> Result<()> {
    error::check(unsafe { sys::http_set_status(id.0, status as i32) })
}
/// Adds a response header (`Err(InvalidArgument)` for a name the server owns or a bad
/// value, `Err(LimitReached)` past 32 headers or 16 KiB).
pub fn set_header(id: RequestId, name: &str, value: &str) -> Result<()> {
    error::check(unsafe { sys::http_set_header(id.0, name.as_ptr(), name.len(), value.as_ptr(), value.len()) })
}
