//! ping (Rust): on "start", asks pong N times and counts the replies. Its config is
//! "N [target]" (default 3 and "pong").
//! When every reply is in, it logs a summary and tells pong it is done.
use wactor::{Component, Message, Reply, Result};

#[derive(Default)]
struct Ping {
    rounds: u32,
    target: String,
    replies: u32,
}

impl Component for Ping {
    fn init(&mut self, config: &[u8]) -> Result<()> {
        let text = core::str::from_utf8(config).unwrap_or("");
        let mut words = text.split_whitespace();
        self.rounds = match words.next() {
            None => 3,
            Some(n) => n.parse().unwrap_or(0),
        };
        self.target = words.next().unwrap_or("pong").to_string();
        if self.rounds > 0 {
            Ok(())
        } else {
            Err(wactor::Error::Failed(1))
        }
    }

    fn on_message(&mut self, msg: &Message) -> Result<()> {
        if msg.payload() != b"start" {
            return Ok(());
        }
        for i in 1..=self.rounds {
            wactor::request(&self.target, format!("ping {}", i).as_bytes(), 1000)
                .then_with(|me: &mut Ping, reply: Reply| me.on_reply(reply))?;
        }
        Ok(())
    }
}

impl Ping {
    fn on_reply(&mut self, reply: Reply) -> Result<()> {
        let text = String::from_utf8_lossy(reply.payload);
        match reply.result() {
            Ok(_) => wactor::info(&format!("reply to request {}: {}", reply.id.0, text)),
            Err(why) => wactor::info(&format!("reply to request {}: failed: {:?} {}", reply.id.0, why, text)),
        }
        self.replies += 1;
        if self.replies == self.rounds {
            wactor::info(&format!("all {} replies received", self.replies));
            wactor::send(&self.target, b"done")?;
        }
        Ok(())
    }
}

wactor::export_component!(Ping);
