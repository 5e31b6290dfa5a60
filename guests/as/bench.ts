// The benchmark guest in AssemblyScript (same commands and exports as guests/c/bench.c; bench/).
//   blast <n> <size> <target>        send n messages of <size> bytes to <target>
//   ping <n> <target>                n sequential requests; every reply logs an empty DEBUG line
//   pend <n> <timeout_ms> <target>   n requests left unanswered ("hold"), each after an empty TRACE line
// From another component: a request is answered at once with an empty reply, unless its
// payload is "hold"; anything else is only counted.
import { Component, Message, Reply, register, send, request, log, Level } from "../../sdk/assemblyscript/assembly/index";

const blastBuf = new Uint8Array(65536);
const empty = new Uint8Array(0);
let pingLeft: i64 = 0;
let pingTarget = "";
let received: i64 = 0;

class Bench extends Component {
  onMessage(m: Message): i32 {
    if (!m.senderIs("$host")) {
      ++received;
      // "hold", compared without decoding: no allocation per message
      if (m.request != 0 && !(m.payloadLen == 4 && load<u32>(m.payloadPtr) == 0x646c6f68)) m.reply(empty);
      return 0;
    }
    const w = m.text.split(" ");
    const cmd = w[0];
    if (cmd == "blast" && w.length >= 4) {
      const n = I64.parseInt(w[1]);
      const size = I32.parseInt(w[2]);
      const to = w[3];
      if (size < 0 || size > blastBuf.length) return 1;
      const payload = blastBuf.subarray(0, size);
      for (let i: i64 = 0; i < n; ++i) {
        if (send(to, payload) != 0) return 2;
      }
    } else if (cmd == "ping" && w.length >= 3) {
      pingLeft = I64.parseInt(w[1]);
      pingTarget = w[2];
      if (pingLeft-- > 0) request(pingTarget, empty, 0);
    } else if (cmd == "pend" && w.length >= 4) {
      const n = I64.parseInt(w[1]);
      const ms = I32.parseInt(w[2]);
      const to = w[3];
      for (let i: i64 = 0; i < n; ++i) {
        log(Level.Trace, "");  // the harness timestamps each request
        if (request(to, "hold", ms) <= 0) return 2;
      }
    }
    return 0;
  }

  onReply(r: Reply): i32 {
    log(Level.Debug, "");
    if (pingLeft > 0) {
      --pingLeft;
      request(pingTarget, empty, 0);
    }
    return 0;
  }
}

register(new Bench());
export { cabi_realloc, inbox, init, handle_message, handle_callback } from "../../sdk/assemblyscript/assembly/exports";
