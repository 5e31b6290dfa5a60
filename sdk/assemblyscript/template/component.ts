// {{name}}: a wactor component in AssemblyScript (docs/SDK-ASSEMBLYSCRIPT.md). Logs every
// message; answers every request with "hello, " + what it was sent.
import { Component, Message, register, info, Status } from "./sdk/assembly/index";

class Hello extends Component {
  handled: i32 = 0;

  onInit(config: string): i32 {
    info("{{name}} starting, config '" + config + "'");
    return 0;
  }

  onMessage(m: Message): i32 {
    ++this.handled;
    const text = "hello, " + m.text;
    if (m.isRequest) return m.reply(text) == Status.Ok ? 0 : 1;
    info(text + " (message " + this.handled.toString() + " from " + m.sender + ")");
    return 0;
  }
}

register(new Hello());
export { cabi_realloc, inbox, init, handle_message, handle_callback } from "./sdk/assembly/exports";
