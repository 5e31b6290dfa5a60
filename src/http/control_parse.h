// The pure parsing steps of the /v1 control API (control.cpp), apart from the runtime so
// that fuzz/control_fuzzer.cpp can drive them with arbitrary network input.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "wactor/result.h"

namespace wactor::http {

// The body of POST /v1/components.
struct SpawnBody {
  std::string id;
  std::string module;
  std::optional<std::string> config;
  std::string host;  // [cluster] where: empty (here), "any" or a host id (docs/CLUSTER.md)
};
// A JSON object with string `id` and `module` (required), `config` and `host` (optional), no
// other key, a valid component id, and a host that is "any" or a valid host id. Errors (kInvalidArgument, answered 400): the message.
[[nodiscard]] Result<SpawnBody> parse_spawn_body(std::string_view body);

// The value of `key` in a query string ("a=1&timeout_ms=20"), if present ("" for "key"
// without '='). Neither decoded nor unescaped.
[[nodiscard]] std::optional<std::string_view> query_value(std::string_view query, std::string_view key);

// `timeout_ms` of a query: 0 when absent (the runtime's default), else an integer in
// [1, 3600000]. Errors (kInvalidArgument, answered 400): anything else.
[[nodiscard]] Result<std::chrono::milliseconds> parse_timeout_ms(std::string_view query);

// "/v1/components/{id}" or "/v1/components/{id}/{action}": the id (up to the first '/'
// after the prefix) and the action (the rest, possibly holding more '/', empty if none);
// nothing if `path` does not start with "/v1/components/". The id is not checked.
struct ComponentPath {
  std::string_view id;
  std::string_view action;
};
[[nodiscard]] std::optional<ComponentPath> split_component_path(std::string_view path);

}  // namespace wactor::http
