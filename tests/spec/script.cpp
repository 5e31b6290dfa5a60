#include "script.h"

#include <fstream>

#include <nlohmann/json.hpp>

namespace wactor::spec {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

std::vector<Value> values(const json& j, const char* key) {
  std::vector<Value> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    // A v128 value is an array of lanes; no SIMD file is in the suite, so it reads as "".
    out.push_back(Value{str(v, "type"), str(v, "value")});
  }
  return out;
}

}  // namespace

Result<std::vector<Command>> read_script(const std::string& json_path) {
  std::ifstream in(json_path);
  if (!in) return make_error(ErrorCode::kIo, json_path + ": cannot read (was wast2json run?)");
  const json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.contains("commands") || !doc["commands"].is_array()) {
    return make_error(ErrorCode::kInvalidArgument, json_path + ": not a wast2json script");
  }
  std::vector<Command> out;
  for (const json& c : doc["commands"]) {
    Command cmd;
    cmd.type = str(c, "type");
    if (auto it = c.find("line"); it != c.end() && it->is_number_integer()) cmd.line = it->get<int>();
    cmd.name = str(c, "name");
    cmd.as = str(c, "as");
    cmd.filename = str(c, "filename");
    cmd.module_type = str(c, "module_type");
    cmd.text = str(c, "text");
    if (auto it = c.find("action"); it != c.end() && it->is_object()) {
      cmd.action = Action{str(*it, "type"), str(*it, "module"), str(*it, "field"), values(*it, "args")};
    }
    cmd.expected = values(c, "expected");
    out.push_back(std::move(cmd));
  }
  return out;
}

}  // namespace wactor::spec
