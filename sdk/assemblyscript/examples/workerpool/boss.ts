// boss: on "jobs <n>" spawns a worker per job (ids "job.1" .. "job.<n>", module "worker"),
// monitors it and sends it "sum <k>". A worker answers "done <id> <sum>", or "error <id>
// <why>": then the boss sends the job again 50 ms later with sendAfter. On a result the
// boss stops the worker; the "$down <id> stopped" notice that follows ends the job, and
// after the last one the boss logs "all <n> jobs done". Config: the job that is flaky.
import { Component, Message, register, spawn, monitor, send, sendAfter, stop, info, Status, statusName }
  from "../../assembly/index";

const MAX_JOBS = 64;

class Boss extends Component {
  flakyJob: i32 = 0;
  jobs: i32 = 0;
  ended: i32 = 0;
  failed: i32 = 0;
  endedJob: StaticArray<bool> = new StaticArray<bool>(MAX_JOBS + 1);

  onInit(config: string): i32 {
    this.flakyJob = config.length > 0 ? I32.parseInt(config) : 0;
    return 0;
  }

  // "job.<k>" -> k, or 0.
  jobNumber(id: string): i32 {
    if (!id.startsWith("job.")) return 0;
    const k = I32.parseInt(id.substring(4));
    return k >= 1 && k <= this.jobs && ("job." + k.toString()) == id ? k : 0;
  }

  startJobs(n: i32): i32 {
    this.jobs = n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : n;
    for (let k = 1; k <= this.jobs; ++k) {
      const id = "job." + k.toString();
      let s = spawn("worker", id, k == this.flakyJob ? "flaky" : "");
      if (s == Status.Ok) s = monitor(id);
      if (s == Status.Ok) s = send(id, "sum " + k.toString());
      if (s != Status.Ok) {
        info("cannot start " + id + ": " + statusName(s));
        return 1;
      }
    }
    return 0;
  }

  onMessage(m: Message): i32 {
    const down = m.down();
    if (down != null) {
      const k = this.jobNumber(down.target);
      if (k == 0 || this.endedJob[k]) return 0;
      this.endedJob[k] = true;
      ++this.ended;
      if (down.reason != "stopped") ++this.failed;
      info(down.target + " down: " + down.reason);
      if (this.ended == this.jobs) {
        if (this.failed == 0) info("all " + this.jobs.toString() + " jobs done");
        else info(this.failed.toString() + " of " + this.jobs.toString() + " jobs failed");
      }
      return 0;
    }
    const words = m.text.split(" ");
    const verb = words[0];
    if (verb == "jobs" && words.length > 1) return this.startJobs(I32.parseInt(words[1]));
    // "done <id> <sum>" or "error <id> <why>" from a worker.
    if ((verb != "done" && verb != "error") || words.length < 3) return 0;
    const id = words[1];
    const k = this.jobNumber(id);
    if (k == 0 || !m.senderIs(id)) return 0;
    if (verb == "done") {
      info(id + " = " + words[2]);
      const s = stop(id);
      if (s != Status.Ok) info("stop failed: " + statusName(s));
      return 0;
    }
    info(id + " failed (" + words[2] + "), retrying in 50 ms");
    return sendAfter(id, "sum " + k.toString(), 50) > 0 ? 0 : 1;
  }
}

register(new Boss());
export { cabi_realloc, inbox, init, handle_message, handle_callback } from "../../assembly/exports";
