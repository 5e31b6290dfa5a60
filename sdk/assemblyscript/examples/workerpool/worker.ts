// worker: one job per instance. On "sum <k>" it computes 1 + 2 + ... + k and sends
// "done <its id> <sum>" to the boss. With config "flaky" the first attempt fails instead:
// it sends "error <its id> flaky" and the boss retries later.
import { Component, Message, register, selfId, send, Status } from "../../assembly/index";

class Worker extends Component {
  flaky: bool = false;

  onInit(config: string): i32 {
    this.flaky = config == "flaky";
    return selfId().length > 0 ? 0 : 1;
  }

  onMessage(m: Message): i32 {
    const text = m.text;
    if (!text.startsWith("sum ")) return 0;
    if (this.flaky) {
      this.flaky = false;
      return send("boss", "error " + selfId() + " flaky") == Status.Ok ? 0 : 1;
    }
    const k = I64.parseInt(text.substring(4));
    let sum: i64 = 0;
    for (let i: i64 = 1; i <= k; ++i) sum += i;
    return send("boss", "done " + selfId() + " " + sum.toString()) == Status.Ok ? 0 : 1;
  }
}

register(new Worker());
export { cabi_realloc, inbox, init, handle_message, handle_callback } from "../../assembly/exports";
