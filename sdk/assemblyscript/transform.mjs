// An asc transform (--transform sdk/assemblyscript/transform.mjs): AssemblyScript export
// names are identifiers, the ABI's are not; after compiling, the exports handle_message and
// handle_callback become handle-message and handle-callback (docs/ABI.md, "Exports").
import { Transform } from "assemblyscript/transform";
import binaryen from "binaryen";
const NAMES = { handle_message: "handle-message", handle_callback: "handle-callback" };
export default class extends Transform {
  afterCompile(module) {
    const n = module.getNumExports();
    const todo = [];
    for (let i = 0; i < n; ++i) {
      const info = binaryen.getExportInfo(module.getExportByIndex(i));
      if (info.kind === binaryen.ExternalFunction && NAMES[info.name]) todo.push(info);
    }
    for (const info of todo) {
      module.removeExport(info.name);
      module.addFunctionExport(info.value, NAMES[info.name]);
    }
  }
}
