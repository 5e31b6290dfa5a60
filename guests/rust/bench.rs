//! The benchmark guest in Rust (bench/): the same commands and exports as guests/c/bench.c.
//!   blast <n> <size> <target>        send n messages of <size> bytes to <target>
//!   ping <n> <target>                n sequential requests; each callback logs an empty
//!                                    DEBUG line (the harness timestamps it), then the next
//!   pend <n> <timeout_ms> <target>   n requests left unanswered ("hold"), each preceded by
//!                                    an empty TRACE line
//! From another component: a request is answered at once with an empty reply, unless its
//! payload is "hold"; anything else is only counted.
use wactor::{Component, Level, Message, Reply, Result};

#[derive(Default)]
struct Bench {
    blast: Vec<u8>,
    ping_left: u64,
    ping_target: String,
    received: u64,
}

impl Component for Bench {
    fn on_message(&mut self, msg: &Message) -> Result<()> {
        if !msg.is_from_host() {
            self.received += 1;
            if let Some(id) = msg.request_id() {
                if msg.payload() != b"hold" {
                    let _ = wactor::respond(id, &[]);
                }
            }
            return Ok(());
        }
        let text = msg.text().unwrap_or("");
        let mut words = text.split_ascii_whitespace();
        let cmd = words.next().unwrap_or("");
        let mut number = || -> u64 { words.next().and_then(|w| w.parse().ok()).unwrap_or(0) };
        match cmd {
            "blast" => {
                let n = number();
                let size = number() as usize;
                let target = words.next().unwrap_or("");
                if size > 65536 {
                    return Err(wactor::Error::Failed(1));
                }
                if self.blast.len() < size {
                    self.blast.resize(size, 0);
                }
                for _ in 0..n {
                    wactor::send(target, &self.blast[..size]).map_err(|_| wactor::Error::Failed(2))?;
                }
            }
            "ping" => {
                self.ping_left = number();
                self.ping_target = words.next().unwrap_or("").to_string();
                self.next_ping();
            }
            "pend" => {
                let n = number();
                let ms = number() as u32;
                let target = words.next().unwrap_or("");
                for _ in 0..n {
                    wactor::log(Level::Trace, ""); // the harness timestamps each request
                    wactor::request(target, b"hold", ms).id().map_err(|_| wactor::Error::Failed(2))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn on_callback(&mut self, _reply: Reply) -> Result<()> {
        wactor::log(Level::Debug, "");
        self.next_ping();
        Ok(())
    }
}

impl Bench {
    fn next_ping(&mut self) {
        if self.ping_left > 0 {
            self.ping_left -= 1;
            let _ = wactor::request(&self.ping_target, &[], 0).id();
        }
    }
}

wactor::export_component!(Bench);
