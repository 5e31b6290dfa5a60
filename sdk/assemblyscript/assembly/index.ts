// wactor guest SDK for AssemblyScript (ABI v1, docs/ABI.md; guide: docs/SDK-ASSEMBLYSCRIPT.md).
//
// A component extends Component, overrides what it needs, and registers itself; its entry
// file re-exports the ABI:
//
//   import { Component, Message, register } from "wactor/assembly";
//   class Pong extends Component { onMessage(m: Message): i32 { ... } }
//   register(new Pong());
//   export { cabi_realloc, inbox, init, handle_message, handle_callback } from "wactor/assembly/exports";
//
// Compile with the SDK's transform (it renames handle_message to the ABI's handle-message):
//   asc x.ts -O3 --runtime incremental --use abort= --transform sdk/assemblyscript/transform.mjs -o x.wasm
//
// Strings are UTF-16 in AssemblyScript and UTF-8 on the wire: the SDK converts. Payloads
// are a string, a Uint8Array or an ArrayBuffer. Statuses are plain i32 values (Status).

// ---------------------------------------------------------------- raw imports
@external("wactor", "send") declare function send_raw(t: usize, tl: i32, p: usize, pl: i32): i32;
@external("wactor", "request") declare function request_raw(t: usize, tl: i32, p: usize, pl: i32, timeoutMs: i32): i64;
@external("wactor", "respond") declare function respond_raw(id: i64, isError: i32, p: usize, pl: i32): i32;
@external("wactor", "current-request") declare function current_request_raw(): i64;
@external("wactor", "cancel") declare function cancel_raw(id: i64): i32;
@external("wactor", "self-id") declare function self_id_raw(buf: usize, cap: i32): i32;
@external("wactor", "log") declare function log_raw(level: i32, m: usize, ml: i32): void;
@external("wactor", "now-ms") declare function now_ms_raw(): i64;
@external("wactor", "subscribe") declare function subscribe_raw(p: usize, pl: i32): i32;
@external("wactor", "unsubscribe") declare function unsubscribe_raw(p: usize, pl: i32): i32;
@external("wactor", "publish") declare function publish_raw(t: usize, tl: i32, p: usize, pl: i32): i32;
@external("wactor", "broadcast") declare function broadcast_raw(p: usize, pl: i32): i32;
@external("wactor", "current-topic") declare function current_topic_raw(buf: usize, cap: i32): i32;
@external("wactor", "spawn") declare function spawn_raw(m: usize, ml: i32, id: usize, il: i32, c: usize, cl: i32): i32;
@external("wactor", "stop") declare function stop_raw(t: usize, tl: i32): i32;
@external("wactor", "send-after") declare function send_after_raw(t: usize, tl: i32, p: usize, pl: i32, delayMs: i32): i64;
@external("wactor", "cancel-timer") declare function cancel_timer_raw(id: i64): i32;
@external("wactor", "monitor") declare function monitor_raw(t: usize, tl: i32): i32;
@external("wactor", "demonitor") declare function demonitor_raw(t: usize, tl: i32): i32;
@external("wactor", "http-info") declare function http_info_raw(id: i64, what: i32, n: usize, nl: i32, buf: usize, cap: i32): i32;
@external("wactor", "http-set-status") declare function http_set_status_raw(id: i64, status: i32): i32;
@external("wactor", "http-set-header") declare function http_set_header_raw(id: i64, n: usize, nl: i32, v: usize, vl: i32): i32;
// Storage (issue 13). Unused imports are not in the module.
@external("wactor", "kv-get") declare function kv_get_raw(k: usize, kl: i32, buf: usize, cap: i32): i32;
@external("wactor", "kv-set") declare function kv_set_raw(k: usize, kl: i32, v: usize, vl: i32): i32;
@external("wactor", "kv-delete") declare function kv_delete_raw(k: usize, kl: i32): i32;
@external("wactor", "kv-list") declare function kv_list_raw(p: usize, pl: i32, a: usize, al: i32, buf: usize, cap: i32): i32;
@external("wactor", "kv-usage") declare function kv_usage_raw(): i64;

// ---------------------------------------------------------------- statuses
/** What an import returns (docs/ABI.md). */
export enum Status {
  Ok = 0,
  NotFound = -1,
  Denied = -2,
  QueueFull = -3,
  InvalidArgument = -4,
  TooLarge = -5,
  IdInUse = -6,
  LimitReached = -7,
}
/** How a request ended (docs/ABI.md, "Callback statuses"). */
export enum Outcome {
  Ok = 0,
  ErrorReply = 1,
  Timeout = 2,
  Cancelled = 3,
  TargetDown = 4,
}
export function statusName(s: i32): string {
  switch (s) {
    case Status.Ok: return "ok";
    case Status.NotFound: return "not-found";
    case Status.Denied: return "denied";
    case Status.QueueFull: return "queue-full";
    case Status.InvalidArgument: return "invalid-argument";
    case Status.TooLarge: return "too-large";
    case Status.IdInUse: return "id-in-use";
    case Status.LimitReached: return "limit-reached";
  }
  return "unknown";
}
export function outcomeName(o: i32): string {
  switch (o) {
    case Outcome.Ok: return "ok";
    case Outcome.ErrorReply: return "error-reply";
    case Outcome.Timeout: return "timeout";
    case Outcome.Cancelled: return "cancelled";
    case Outcome.TargetDown: return "target-down";
  }
  return "unknown";
}

// ---------------------------------------------------------------- UTF-8 and payloads
// Two reusable buffers: one for a name (target, topic, key...), one for a payload.
class Buf { ptr: usize = 0; cap: i32 = 0; len: i32 = 0; last: string | null = null; }
const nameBuf = new Buf();
const dataBuf = new Buf();
const name2Buf = new Buf();
let outPtr: usize = 0;
let outLen: i32 = 0;

function utf8(s: string, b: Buf): void {
  // The same string again (a target in a loop, a literal): strings are immutable, so its
  // bytes are already there.
  if (changetype<usize>(s) == changetype<usize>(b.last)) {
    outPtr = b.ptr;
    outLen = b.len;
    return;
  }
  const n = String.UTF8.byteLength(s);
  if (n > b.cap) {
    if (b.ptr) heap.free(b.ptr);
    b.cap = n < 64 ? 64 : n;
    b.ptr = heap.alloc(<usize>b.cap);
  }
  outPtr = b.ptr;
  outLen = <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, b.ptr);
  b.len = outLen;
  b.last = s;
}

// Sets outPtr/outLen to a payload's bytes.
function data<T>(p: T, b: Buf = dataBuf): void {
  if (isString<T>()) {
    utf8(changetype<string>(p), b);
  } else if (idof<T>() == idof<Uint8Array>()) {
    const a = changetype<Uint8Array>(p);
    outPtr = a.dataStart;
    outLen = a.byteLength;
  } else if (idof<T>() == idof<ArrayBuffer>()) {
    const a = changetype<ArrayBuffer>(p);
    outPtr = changetype<usize>(a);
    outLen = a.byteLength;
  } else {
    ERROR("a payload is a string, a Uint8Array or an ArrayBuffer");
  }
}

/** Bytes at [ptr, ptr+len) as a string (UTF-8 decoded). */
export function textAt(ptr: usize, len: i32): string {
  return String.UTF8.decodeUnsafe(ptr, <usize>len);
}
/** A copy of the bytes at [ptr, ptr+len). */
export function bytesAt(ptr: usize, len: i32): Uint8Array {
  const a = new Uint8Array(len);
  memory.copy(a.dataStart, ptr, <usize>len);
  return a;
}
function bytesEqual(ptr: usize, len: i32, s: string): bool {
  utf8(s, name2Buf);
  return outLen == len && memory.compare(ptr, outPtr, <usize>len) == 0;
}

// ---------------------------------------------------------------- messages and replies
/** One message or request being handled. Its bytes are valid during the handler only. */
export class Message {
  constructor(public senderPtr: usize, public senderLen: i32, public payloadPtr: usize, public payloadLen: i32,
              public request: i64) {}
  /** A component id, "$host", "$http" or "$down". */
  get sender(): string { return textAt(this.senderPtr, this.senderLen); }
  senderIs(id: string): bool { return bytesEqual(this.senderPtr, this.senderLen, id); }
  get text(): string { return textAt(this.payloadPtr, this.payloadLen); }
  get payload(): Uint8Array { return bytesAt(this.payloadPtr, this.payloadLen); }
  get isRequest(): bool { return this.request > 0; }
  /** Answers this request (Status.NotFound if it is not one, or already answered). */
  reply<T>(payload: T): i32 { return this.request > 0 ? respond(this.request, payload) : Status.NotFound; }
  replyError<T>(payload: T): i32 { return this.request > 0 ? respondError(this.request, payload) : Status.NotFound; }
  /** A $down notice: "<target> <reason>", or null. */
  down(): Down | null {
    if (!this.senderIs("$down")) return null;
    const t = this.text;
    const sp = t.indexOf(" ");
    if (sp <= 0 || sp + 1 >= t.length) return null;
    return new Down(t.substring(0, sp), t.substring(sp + 1));
  }
  /** The topic of a published message, "" otherwise. */
  get topic(): string { return currentTopic(); }
}

export class Down {
  constructor(public target: string, public reason: string) {}
}

/** How a request ended: passed to its callback, or to Component.onReply. */
export class Reply {
  constructor(public id: i64, public outcome: i32, public payloadPtr: usize, public payloadLen: i32,
              public context: i64) {}
  get ok(): bool { return this.outcome == Outcome.Ok; }
  get text(): string { return textAt(this.payloadPtr, this.payloadLen); }
  get payload(): Uint8Array { return bytesAt(this.payloadPtr, this.payloadLen); }
}

/** The component: override what you need and register(new Mine()). */
export class Component {
  onInit(config: string): i32 { return 0; }
  onMessage(m: Message): i32 { return 0; }
  /** Replies to requests made without a callback. */
  onReply(r: Reply): i32 { return 0; }
  onHealth(): i32 { return 0; }
  onShutdown(): i32 { return 0; }
}
let component: Component = new Component();
export function register(c: Component): void { component = c; }
/** @internal */ export function registered(): Component { return component; }

// ---------------------------------------------------------------- calls
export function send<T>(target: string, payload: T): i32 {
  data(payload);
  const p = outPtr, pl = outLen;
  utf8(target, nameBuf);
  return send_raw(outPtr, outLen, p, pl);
}

/** A reply callback. AssemblyScript has no closures: the function may not capture locals;
 *  pass what it needs as `context` (an i64 handed back in Reply.context) or keep it in globals. */
export type ReplyFn = (r: Reply) => void;
class Pending { constructor(public fn: ReplyFn | null, public context: i64) {} }
const pending = new Map<i64, Pending>();

/** Sends a request; its outcome runs `onReply` (or Component.onReply when null) exactly once.
 *  Returns the request id (> 0) or a negative Status (then no callback follows). */
export function request<T>(target: string, payload: T, timeoutMs: i32 = 0, onReply: ReplyFn | null = null,
                           context: i64 = 0): i64 {
  data(payload);
  const p = outPtr, pl = outLen;
  utf8(target, nameBuf);
  const id = request_raw(outPtr, outLen, p, pl, timeoutMs);
  if (id > 0 && (onReply != null || context != 0)) pending.set(id, new Pending(onReply, context));
  return id;
}
export function respond<T>(id: i64, payload: T): i32 {
  data(payload);
  return respond_raw(id, 0, outPtr, outLen);
}
export function respondError<T>(id: i64, payload: T): i32 {
  data(payload);
  return respond_raw(id, 1, outPtr, outLen);
}
export function currentRequest(): i64 { return current_request_raw(); }
export function cancel(id: i64): i32 { return cancel_raw(id); }
export function nowMs(): i64 { return now_ms_raw(); }

let selfIdCache: string = "";
/** This component's id (kept after the first call). */
export function selfId(): string {
  if (selfIdCache.length == 0) {
    const buf = heap.alloc(128);
    const n = self_id_raw(buf, 128);
    if (n > 0 && n <= 128) selfIdCache = textAt(buf, n);
    heap.free(buf);
  }
  return selfIdCache;
}

export enum Level { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4 }
export function log(level: i32, msg: string): void {
  utf8(msg, dataBuf);
  log_raw(level, outPtr, outLen);
}
export function info(msg: string): void { log(Level.Info, msg); }
export function warn(msg: string): void { log(Level.Warn, msg); }
export function error(msg: string): void { log(Level.Error, msg); }
export function debug(msg: string): void { log(Level.Debug, msg); }

export function subscribe(pattern: string): i32 {
  utf8(pattern, nameBuf);
  return subscribe_raw(outPtr, outLen);
}
export function unsubscribe(pattern: string): i32 {
  utf8(pattern, nameBuf);
  return unsubscribe_raw(outPtr, outLen);
}
/** How many components it was queued for, or a negative Status. */
export function publish<T>(topic: string, payload: T): i32 {
  data(payload);
  const p = outPtr, pl = outLen;
  utf8(topic, nameBuf);
  return publish_raw(outPtr, outLen, p, pl);
}
export function broadcast<T>(payload: T): i32 {
  data(payload);
  return broadcast_raw(outPtr, outLen);
}
export function currentTopic(): string {
  const buf = heap.alloc(256);
  const n = current_topic_raw(buf, 256);
  const s = n > 0 && n <= 256 ? textAt(buf, n) : "";
  heap.free(buf);
  return s;
}
/** An empty config: the module's own. */
export function spawn(module: string, id: string, config: string = ""): i32 {
  utf8(config, dataBuf);
  const c = outPtr, cl = outLen;
  utf8(id, name2Buf);
  const i = outPtr, il = outLen;
  utf8(module, nameBuf);
  return spawn_raw(outPtr, outLen, i, il, c, cl);
}
export function stop(target: string): i32 {
  utf8(target, nameBuf);
  return stop_raw(outPtr, outLen);
}
/** A timer id (> 0) or a negative Status. */
export function sendAfter<T>(target: string, payload: T, delayMs: i32): i64 {
  data(payload);
  const p = outPtr, pl = outLen;
  utf8(target, nameBuf);
  return send_after_raw(outPtr, outLen, p, pl, delayMs);
}
export function cancelTimer(id: i64): i32 { return cancel_timer_raw(id); }
export function monitor(target: string): i32 {
  utf8(target, nameBuf);
  return monitor_raw(outPtr, outLen);
}
export function demonitor(target: string): i32 {
  utf8(target, nameBuf);
  return demonitor_raw(outPtr, outLen);
}

// ---------------------------------------------------------------- HTTP
export enum HttpPart { Method = 0, Path = 1, Query = 2, Header = 3, HeaderList = 4 }
/** The last status of httpInfo / kvGet (Status.Ok when it returned a value). */
export let lastStatus: i32 = 0;
/** One part of an open HTTP request's head, or null (see lastStatus). */
export function httpInfo(id: i64, what: i32, name: string = ""): string | null {
  utf8(name, nameBuf);
  let cap = 256;
  for (let attempt = 0; attempt < 2; ++attempt) {
    const buf = heap.alloc(<usize>cap);
    const n = http_info_raw(id, what, outPtr, outLen, buf, cap);
    if (n >= 0 && n <= cap) {
      const s = textAt(buf, n);
      heap.free(buf);
      lastStatus = Status.Ok;
      return s;
    }
    heap.free(buf);
    if (n < 0) {
      lastStatus = n;
      return null;
    }
    cap = n;
  }
  lastStatus = Status.InvalidArgument;
  return null;
}
export function httpSetStatus(id: i64, status: i32): i32 { return http_set_status_raw(id, status); }
export function httpSetHeader(id: i64, name: string, value: string): i32 {
  utf8(value, dataBuf);
  const v = outPtr, vl = outLen;
  utf8(name, nameBuf);
  return http_set_header_raw(id, outPtr, outLen, v, vl);
}

// ---------------------------------------------------------------- storage (issue 13)
/** The value of `key`, or null (lastStatus: Status.NotFound, Denied, InvalidArgument). */
export function kvGet(key: string): Uint8Array | null {
  utf8(key, nameBuf);
  let cap = 256;
  for (let attempt = 0; attempt < 3; ++attempt) {
    const out = new Uint8Array(cap);
    const n = kv_get_raw(outPtr, outLen, out.dataStart, cap);
    if (n < 0) {
      lastStatus = n;
      return null;
    }
    if (n <= cap) {
      lastStatus = Status.Ok;
      return out.subarray(0, n);
    }
    cap = n;
  }
  lastStatus = Status.LimitReached;
  return null;
}
export function kvSet<T>(key: string, value: T): i32 {
  data(value);
  const v = outPtr, vl = outLen;
  utf8(key, nameBuf);
  return kv_set_raw(outPtr, outLen, v, vl);
}
export function kvDelete(key: string): i32 {
  utf8(key, nameBuf);
  return kv_delete_raw(outPtr, outLen);
}
/** The bytes (keys + values) the component holds, this call's writes included; or a
 *  negative Status (Status.Denied: storage is off). */
export function kvUsage(): i64 { return kv_usage_raw(); }
/** The keys starting with `prefix` (empty: all), ascending, fetched a 4 KiB page of kv-list
 *  at a time:
 *    const keys = kvKeys("user.");
 *    for (let k = keys.next(); k != null; k = keys.next()) { ... }
 *    if (keys.status != Status.Ok) { ... }   // e.g. Status.Denied: storage is off */
export function kvKeys(prefix: string = ""): KvKeys { return new KvKeys(String.UTF8.encode(prefix)); }
export class KvKeys {
  /** Status.Ok, or the status that ended the listing early. */
  status: i32 = Status.Ok;
  private page: Uint8Array = new Uint8Array(4096); // always holds one key (4 + 1024 bytes)
  private after: Uint8Array = new Uint8Array(0);
  private pos: i32 = 0;
  private left: i32 = 0;
  private done: bool = false;
  constructor(private prefix: ArrayBuffer) {}
  /** The next key as text (UTF-8 decoded), or null when there are no more. */
  next(): string | null {
    const k = this.nextBytes();
    return k == null ? null : textAt(k.dataStart, k.byteLength);
  }
  /** The next key's bytes, or null when there are no more. */
  nextBytes(): Uint8Array | null {
    if (this.done) return null;
    if (this.left == 0) {
      const n = kv_list_raw(changetype<usize>(this.prefix), this.prefix.byteLength, this.after.dataStart,
                            this.after.byteLength, this.page.dataStart, this.page.byteLength);
      if (n <= 0) {
        this.done = true;
        if (n < 0) this.status = n;
        return null;
      }
      this.pos = 0;
      this.left = n;
    }
    const at = this.pos;
    const len = at + 4 <= this.page.byteLength ? load<i32>(this.page.dataStart + <usize>at) : -1;
    if (len < 0 || len > this.page.byteLength - at - 4) { // a host that broke the format
      this.done = true;
      this.status = Status.InvalidArgument;
      return null;
    }
    this.after = this.page.slice(at + 4, at + 4 + len);
    this.pos = at + 4 + len;
    --this.left;
    return this.after.slice(0); // the caller's own copy
  }
}

// ---------------------------------------------------------------- used by exports.ts
/** @internal Runs the callback kept for a request, or Component.onReply. */
export function dispatchReply(id: i64, status: i32, ptr: usize, len: i32): i32 {
  let fn: ReplyFn | null = null;
  let context: i64 = 0;
  if (pending.has(id)) {
    const p = pending.get(id);
    fn = p.fn;
    context = p.context;
    pending.delete(id);
  }
  const r = new Reply(id, status, ptr, len, context);
  if (fn != null) {
    fn(r);
    return 0;
  }
  return component.onReply(r);
}
