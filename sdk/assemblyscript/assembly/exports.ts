// The ABI's exports (docs/ABI.md, "Exports"). Re-export them from your entry file:
//   export { cabi_realloc, inbox, init, handle_message, handle_callback } from "<sdk>/assembly/exports";
// and, to be polled or told, `health` and `shutdown`. The SDK's transform (transform.mjs)
// renames handle_message and handle_callback to the ABI's handle-message and handle-callback.
import { Message, currentRequest, dispatchReply, registered, textAt } from "./index";

// Buffers the host asked for (deliveries that do not fit the inbox): freed after the call.
const given = new Array<usize>();

function endCall(): void {
  for (let i = 0; i < given.length; ++i) heap.free(unchecked(given[i]));
  given.length = 0;
}

export function cabi_realloc(oldPtr: usize, oldSize: i32, align: i32, newSize: i32): usize {
  const p = heap.alloc(<usize>newSize);
  if (oldPtr) memory.copy(p, oldPtr, <usize>(oldSize < newSize ? oldSize : newSize));
  given.push(p);
  return p;
}

// Small deliveries are copied here without a cabi_realloc call.
const INBOX_SIZE: i32 = 4096;
const INBOX = memory.data(INBOX_SIZE, 16);
export function inbox(): i64 {
  return <i64>INBOX | (<i64>INBOX_SIZE << 32);
}

export function init(ptr: usize, len: i32): i32 {
  const rc = registered().onInit(textAt(ptr, len));
  endCall();
  return rc;
}

const message = new Message(0, 0, 0, 0, 0);

export function handle_message(senderPtr: usize, senderLen: i32, ptr: usize, len: i32): i32 {
  // One Message for every call (no allocation per message): valid during the handler only.
  const m = message;
  m.senderPtr = senderPtr;
  m.senderLen = senderLen;
  m.payloadPtr = ptr;
  m.payloadLen = len;
  m.request = currentRequest();
  const rc = registered().onMessage(m);
  endCall();
  return rc;
}

export function handle_callback(id: i64, status: i32, ptr: usize, len: i32): i32 {
  const rc = dispatchReply(id, status, ptr, len);
  endCall();
  return rc;
}

export function health(): i32 {
  const rc = registered().onHealth();
  endCall();
  return rc;
}

export function shutdown(): i32 {
  const rc = registered().onShutdown();
  endCall();
  return rc;
}

