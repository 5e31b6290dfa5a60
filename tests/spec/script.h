// A spec test script as wast2json writes it: a list of commands, each module in its own file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wactor/result.h"

namespace wactor::spec {

// One value as wast2json writes it: a type name ("i32", "f64", "externref", ...) and its
// text: the bits as an unsigned decimal, "nan:canonical", "nan:arithmetic" or "null".
struct Value {
  std::string type;
  std::string text;
};

// `invoke` an exported function or `get` an exported global, of the named module or the
// last one instantiated (empty `module`).
struct Action {
  std::string type;
  std::string module;
  std::string field;
  std::vector<Value> args;
};

struct Command {
  std::string type;  // "module", "assert_return", ...
  int line = 0;      // in the .wast file
  std::string name;  // a module's $name (module, register)
  std::string as;    // register: the import module name
  std::string filename;
  std::string module_type;  // "binary" or "text" (assert_malformed, assert_invalid, ...)
  std::string text;         // the expected trap or error
  std::optional<Action> action;
  std::vector<Value> expected;
};

// Reads wast2json's output (`dir/name.json`; its modules are beside it).
[[nodiscard]] Result<std::vector<Command>> read_script(const std::string& json_path);

}  // namespace wactor::spec
