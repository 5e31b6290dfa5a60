//! boss (Rust): on "jobs <n>" spawns a worker per job (ids "job.1" .. "job.<n>", module
//! "worker"), monitors it and sends it "sum <k>". A worker answers "done <id> <sum>" or
//! "error <id> <why>": then the boss sends the job again 50 ms later with send_after. On a
//! result it stops the worker; the "$down <id> stopped" notice that follows ends the job,
//! and after the last one the boss logs "all <n> jobs done". Config: the flaky job.
use wactor::{Component, DownReason, Message, Result};

const MAX_JOBS: u32 = 64;

#[derive(Default)]
struct Boss {
    flaky_job: u32,
    jobs: u32,
    ended: Vec<bool>,
    failed: u32,
}

impl Boss {
    /// "job.<k>" -> k, if it is one of ours.
    fn job_number(&self, id: &str) -> Option<u32> {
        let k: u32 = id.strip_prefix("job.")?.parse().ok()?;
        if k >= 1 && k <= self.jobs {
            Some(k)
        } else {
            None
        }
    }

    fn start_jobs(&mut self, n: u32) -> Result<()> {
        self.jobs = n.clamp(1, MAX_JOBS);
        self.ended = vec![false; self.jobs as usize + 1];
        for k in 1..=self.jobs {
            let id = format!("job.{}", k);
            let config = if k == self.flaky_job { "flaky" } else { "" };
            let started = wactor::spawn("worker", &id, config)
                .and_then(|_| wactor::monitor(&id))
                .and_then(|_| wactor::send(&id, format!("sum {}", k).as_bytes()));
            if let Err(e) = started {
                wactor::info(&format!("cannot start {}: {}", id, e));
                return Err(e);
            }
        }
        Ok(())
    }
}

impl Component for Boss {
    fn init(&mut self, config: &[u8]) -> Result<()> {
        self.flaky_job = core::str::from_utf8(config).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
        Ok(())
    }

    fn on_message(&mut self, msg: &Message) -> Result<()> {
        if let Some(down) = msg.down() {
            let k = match self.job_number(down.target) {
                Some(k) if !self.ended[k as usize] => k,
                _ => return Ok(()),
            };
            self.ended[k as usize] = true;
            if down.reason != DownReason::Stopped {
                self.failed += 1;
            }
            wactor::info(&format!("{} down: {}", down.target, down.reason.as_str()));
            if self.ended.iter().filter(|e| **e).count() as u32 == self.jobs {
                if self.failed == 0 {
                    wactor::info(&format!("all {} jobs done", self.jobs));
                } else {
                    wactor::info(&format!("{} of {} jobs failed", self.failed, self.jobs));
                }
            }
            return Ok(());
        }
        let text = msg.text().unwrap_or("");
        if let Some(n) = text.strip_prefix("jobs ") {
            return self.start_jobs(n.trim().parse().unwrap_or(1));
        }
        // "done <id> <sum>" or "error <id> <why>" from a worker.
        let (is_done, rest) = match (text.strip_prefix("done "), text.strip_prefix("error ")) {
            (Some(r), _) => (true, r),
            (_, Some(r)) => (false, r),
            _ => return Ok(()),
        };
        let (id, detail) = rest.split_once(' ').unwrap_or((rest, ""));
        let k = match self.job_number(id) {
            Some(k) if id == msg.sender() => k,
            _ => return Ok(()),
        };
        if is_done {
            wactor::info(&format!("{} = {}", id, detail));
            if let Err(e) = wactor::stop(id) {
                wactor::info(&format!("stop failed: {}", e));
            }
            return Ok(());
        }
        wactor::info(&format!("{} failed ({}), retrying in 50 ms", id, detail));
        wactor::send_after(id, format!("sum {}", k).as_bytes(), 50)?;
        Ok(())
    }
}

wactor::export_component!(Boss);
