// Storage through the AssemblyScript SDK (tests/sdk_kv_test.cpp; the same commands as
// guests/rust/kv.rs, which lists them). Each request is a command; the reply (and a log line
// "<command> -> <reply>") is its result, a status as its name.
import {
  Component, Message, Status, register, info, statusName, lastStatus, kvGet, kvSet, kvDelete, kvUsage, kvKeys,
} from "../../sdk/assemblyscript/assembly/index";

function vs(n: i32): Uint8Array {
  const v = new Uint8Array(n);
  v.fill(0x76); // 'v'
  return v;
}

function allV(v: Uint8Array): bool {
  for (let i = 0; i < v.length; ++i) if (v[i] != 0x76) return false;
  return true;
}

let fail = false;

function run(cmd: string): string {
  const w = cmd.split(" ");
  const op = w[0];
  const a = w.length > 1 ? w[1] : "";
  const b = w.length > 2 ? w[2] : "";
  if (op == "set") return statusName(kvSet(a, b));
  if (op == "big") return statusName(kvSet(a, vs(I32.parseInt(b))));
  if (op == "get" || op == "getlen") {
    const v = kvGet(a);
    if (v == null) return lastStatus == Status.NotFound ? "none" : statusName(lastStatus);
    if (op == "get") return String.UTF8.decode(v.slice(0).buffer);
    return v.length.toString() + (allV(v) ? " true" : " false");
  }
  if (op == "del") {
    const s = kvDelete(a);
    return s == Status.Ok ? "deleted" : s == Status.NotFound ? "absent" : statusName(s);
  }
  if (op == "usage") {
    const n = kvUsage();
    return n < 0 ? statusName(<i32>n) : n.toString();
  }
  if (op == "fill") {
    const n = I32.parseInt(b);
    for (let i = 0; i < n; ++i) {
      let key = a + (10000 + i).toString().substring(1);
      key = key.padEnd(300, "x");
      if (kvSet(key, "1") != Status.Ok) {
        fail = true;
        return "";
      }
    }
    return "ok";
  }
  if (op == "list") {
    const keys = kvKeys(a == "-" ? "" : a);
    const names = new Array<string>();
    for (let k = keys.next(); k != null; k = keys.next()) names.push(k.substring(0, 8));
    if (keys.status != Status.Ok) return statusName(keys.status);
    return names.length.toString() + ":" + names.join(",");
  }
  if (op == "badkeys") {
    kvGet("");
    const get = lastStatus;
    return statusName(kvSet("", "v")) + " " + statusName(get) + " " + statusName(kvDelete("")) + " " +
      statusName(kvSet("k".repeat(1025), "v"));
  }
  if (op == "setfail") {
    kvSet(a, b);
    fail = true;
    return "";
  }
  if (op == "crash") unreachable();
  return "unknown command";
}

class KvGuest extends Component {
  onMessage(m: Message): i32 {
    fail = false;
    const text = m.text;
    const out = run(text);
    if (fail) return 3;
    info(text + " -> " + out);
    return m.reply(out) == Status.Ok ? 0 : 1;
  }
}

register(new KvGuest());
export { cabi_realloc, inbox, init, handle_message, handle_callback } from "../../sdk/assemblyscript/assembly/exports";
