// An HTTP handler through the AssemblyScript SDK (tests/sdk_test.cpp, SdkHttp): reads the
// request head (a header longer than the SDK's first buffer included), sets the status and a
// header, and checks that a header the server owns is refused.
import { Component, Message, register, httpInfo, httpSetStatus, httpSetHeader, HttpPart, Status, statusName, lastStatus }
  from "../../sdk/assemblyscript/assembly/index";

function part(id: i64, what: i32, name: string = ""): string {
  const s = httpInfo(id, what, name);
  return s != null ? s : statusName(lastStatus);
}

class Web extends Component {
  onMessage(m: Message): i32 {
    if (!m.isRequest) return 0;
    const id = m.request;
    const text = part(id, HttpPart.Method) + " " + part(id, HttpPart.Path) + "?" + part(id, HttpPart.Query) +
      " x-test=" + part(id, HttpPart.Header, "X-Test") + " absent=" + part(id, HttpPart.Header, "X-Absent") +
      " long=" + part(id, HttpPart.Header, "X-Long").length.toString() +
      " owned=" + statusName(httpSetHeader(id, "Content-Length", "1"));
    if (httpSetStatus(id, 201) != Status.Ok || httpSetHeader(id, "X-Sdk", "as") != Status.Ok) return 1;
    return m.reply(text) == Status.Ok ? 0 : 1;
  }
}

register(new Web());
export { cabi_realloc, inbox, init, handle_message, handle_callback } from "../../sdk/assemblyscript/assembly/exports";
