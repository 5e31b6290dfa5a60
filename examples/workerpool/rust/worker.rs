//! worker (Rust): one job per instance. On "sum <k>" it computes 1 + 2 + ... + k and sends
//! "done <its id> <sum>" to the boss. With config "flaky" the first attempt fails instead:
//! it sends "error <its id> flaky" and the boss retries later.
use wactor::{Component, Message, Result};

#[derive(Default)]
struct Worker {
    flaky: bool,
    id: String,
}

impl Component for Worker {
    fn init(&mut self, config: &[u8]) -> Result<()> {
        self.flaky = config == b"flaky";
        self.id = wactor::self_id();
        Ok(())
    }

    fn on_message(&mut self, msg: &Message) -> Result<()> {
        let k: u64 = match msg.text().and_then(|t| t.strip_prefix("sum ")) {
            Some(k) => k.trim().parse().unwrap_or(0),
            None => return Ok(()),
        };
        if self.flaky {
            self.flaky = false;
            return wactor::send("boss", format!("error {} flaky", self.id).as_bytes());
        }
        let sum: u64 = (1..=k).sum();
        wactor::send("boss", format!("done {} {}", self.id, sum).as_bytes())
    }
}

wactor::export_component!(Worker);
