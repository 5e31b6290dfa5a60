//! pong (Rust): answers every request with "pong" + what it was sent; logs plain messages.
use wactor::{Component, Message, Result};

#[derive(Default)]
struct Pong;

impl Component for Pong {
    fn on_message(&mut self, msg: &Message) -> Result<()> {
        if msg.request_id().is_some() {
            let rest = msg.payload().get(5..).unwrap_or(&[]);
            let mut reply = b"pong ".to_vec();
            reply.extend_from_slice(rest);
            return msg.reply(&reply);
        }
        let text = String::from_utf8_lossy(msg.payload());
        wactor::info(&format!("message from {}: {}", msg.sender(), text));
        Ok(())
    }
}

wactor::export_component!(Pong);
