//! Storage through the Rust SDK (tests/sdk_kv_test.cpp; the same commands as guests/cpp/kv.cpp
//! and guests/as/kv.ts). Each request is a command; the reply is its result, a status as its
//! name ("ok", "denied", "limit-reached", ...):
//!   set <k> <v>       kv::set                 big <k> <n>   kv::set of n bytes 'v'
//!   get <k>           the value, or "none"    getlen <k>    "<length> <all 'v'?>"
//!   del <k>           "deleted" or "absent"   usage         kv::usage
//!   fill <p> <n>      n keys <p><4 digits> padded with 'x' to 300 bytes, value "1"
//!   list <p>          kv::keys("<p>", "-": all): "<count>:<keys cut to 8 bytes, comma-joined>"
//!   badkeys           set/get/delete of an empty key and set of a 1025-byte key
//!   setfail <k> <v>   kv::set, then the handler fails      crash   a panic (a trap)
use wactor::{kv, Component, Error, Message, Result};

#[derive(Default)]
struct Kv;

// The status's name as the other SDKs spell it ("limit-reached").
fn name(e: &Error) -> String {
    e.name().replace(' ', "-")
}

fn status<T>(r: Result<T>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => name(&e),
    }
}

fn run(cmd: &str) -> Result<String> {
    let mut w = cmd.split(' ');
    let op = w.next().unwrap_or("");
    let a = w.next().unwrap_or("").as_bytes();
    let b = w.next().unwrap_or("");
    Ok(match op {
        "set" => status(kv::set(a, b.as_bytes())),
        "big" => status(kv::set(a, &vec![b'v'; b.parse().unwrap_or(0)])),
        "get" => match kv::get(a) {
            Ok(Some(v)) => String::from_utf8_lossy(&v).into_owned(),
            Ok(None) => "none".into(),
            Err(e) => name(&e),
        },
        "getlen" => match kv::get(a) {
            Ok(Some(v)) => format!("{} {}", v.len(), v.iter().all(|&c| c == b'v')),
            Ok(None) => "none".into(),
            Err(e) => name(&e),
        },
        "del" => match kv::delete(a) {
            Ok(true) => "deleted".into(),
            Ok(false) => "absent".into(),
            Err(e) => name(&e),
        },
        "usage" => match kv::usage() {
            Ok(n) => n.to_string(),
            Err(e) => name(&e),
        },
        "fill" => {
            for i in 0..b.parse::<usize>().unwrap_or(0) {
                let mut key = format!("{}{:04}", String::from_utf8_lossy(a), i).into_bytes();
                key.resize(300, b'x');
                kv::set(&key, b"1")?;
            }
            "ok".into()
        }
        "list" => {
            let prefix: &[u8] = if a == b"-" { b"" } else { a };
            let mut names = Vec::new();
            for key in kv::keys(prefix) {
                match key {
                    Ok(k) => names.push(String::from_utf8_lossy(&k[..k.len().min(8)]).into_owned()),
                    Err(e) => return Ok(name(&e)),
                }
            }
            format!("{}:{}", names.len(), names.join(","))
        }
        "badkeys" => [
            status(kv::set(b"", b"v")),
            status(kv::get(b"")),
            status(kv::delete(b"")),
            status(kv::set(&[b'k'; 1025], b"v")),
        ]
        .join(" "),
        "setfail" => {
            kv::set(a, b.as_bytes())?;
            return Err(Error::Failed(3));
        }
        "crash" => panic!("crash requested"),
        _ => "unknown command".into(),
    })
}

impl Component for Kv {
    fn on_message(&mut self, msg: &Message) -> Result<()> {
        let out = run(msg.text().unwrap_or(""))?;
        wactor::info(&format!("{} -> {}", msg.text().unwrap_or(""), out));
        msg.reply(out.as_bytes())
    }
}

wactor::export_component!(Kv);
