//! {{name}}: a wactor component in Rust (the SDK is the `wactor` crate in sdk/).
//! Answers each request with "hello, <payload>" and logs every other message the same way.
use wactor::{Component, Message, Result};

#[derive(Default)]
struct App {
    handled: u64,
}

impl Component for App {
    fn init(&mut self, _config: &[u8]) -> Result<()> {
        wactor::info("{{name}} started");
        Ok(())
    }

    fn on_message(&mut self, msg: &Message) -> Result<()> {
        self.handled += 1;
        let text = format!("hello, {}", String::from_utf8_lossy(msg.payload()));
        if msg.request_id().is_some() {
            return msg.reply(text.as_bytes());
        }
        wactor::info(&text);
        Ok(())
    }
}

wactor::export_component!(App);
