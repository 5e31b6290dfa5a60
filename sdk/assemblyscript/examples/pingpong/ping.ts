// ping: on "start", asks pong N times (N from its config; "N target" to ask another
// component) and counts the replies: each reply runs onPong, the function given to the
// request (AssemblyScript has no closures, so ping's state is in globals).
// When every reply is in, it logs a summary and tells pong it is done.
import { Component, Message, Reply, register, request, send, info, error, statusName } from "../../assembly/index";

let rounds = 3;
let replies = 0;
let target = "pong";

function onPong(r: Reply): void {
  info("reply to request " + r.id.toString() + (r.ok ? ": " : ": failed: ") + r.text);
  if (++replies == rounds) {
    info("all " + replies.toString() + " replies received");
    send(target, "done");
  }
}

class Ping extends Component {
  onInit(config: string): i32 {
    const words = config.split(" ");
    if (config.length > 0) rounds = I32.parseInt(words[0]);
    if (words.length > 1) target = words[1];
    return rounds > 0 ? 0 : 1;
  }

  onMessage(m: Message): i32 {
    if (!m.text.startsWith("start")) return 0;
    for (let i = 1; i <= rounds; ++i) {
      const id = request(target, "ping " + i.toString(), 1000, onPong);
      if (id < 0) {
        error("request to " + target + " failed: " + statusName(<i32>id));
        return 1;
      }
    }
    return 0;
  }
}

register(new Ping());
export { cabi_realloc, inbox, init, handle_message, handle_callback } from "../../assembly/exports";
