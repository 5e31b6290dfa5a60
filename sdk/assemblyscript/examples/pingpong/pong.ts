// pong: answers every request with "pong" + what it was sent; logs fire-and-forget messages.
import { Component, Message, register, info, Status } from "../../assembly/index";

class Pong extends Component {
  onMessage(m: Message): i32 {
    const text = m.text;
    if (m.isRequest) {
      const sp = text.indexOf(" ");
      return m.reply("pong" + (sp >= 0 ? text.substring(sp) : "")) == Status.Ok ? 0 : 1;
    }
    info("message from " + m.sender + ": " + text);
    return 0;
  }
}

register(new Pong());
export { cabi_realloc, inbox, init, handle_message, handle_callback } from "../../assembly/exports";
