#include "http/control_parse.h"

#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "wactor/runtime.h"

namespace wactor::http {

namespace {
Error invalid(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }
}  // namespace

Result<SpawnBody> parse_spawn_body(std::string_view text) {
  nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return invalid("the body must be a JSON object");
  for (const auto& [k, v] : body.items()) {
    if (k != "id" && k != "module" && k != "config" && k != "host") return invalid("unknown key '" + k + "'");
    if (!v.is_string()) return invalid("'" + k + "' must be a string");
  }
  if (!body.contains("id") || !body.contains("module")) return invalid("'id' and 'module' are required");
  SpawnBody s;
  s.id = body["id"].get<std::string>();
  s.module = body["module"].get<std::string>();
  if (body.contains("config")) s.config = body["config"].get<std::string>();
  if (!valid_component_id(s.id)) return invalid("'id' is not a valid component id");
  if (body.contains("host")) {
    s.host = body["host"].get<std::string>();
    if (s.host != "any" && !valid_component_id(s.host)) return invalid("'host' must be \"any\" or a host id");
  }
  return s;
}

std::optional<std::string_view> query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

Result<std::chrono::milliseconds> parse_timeout_ms(std::string_view query) {
  const auto t = query_value(query, "timeout_ms");
  if (!t) return std::chrono::milliseconds{0};
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
  if (ec != std::errc() || ptr != t->data() + t->size() || v < 1 || v > 3'600'000) {
    return invalid("timeout_ms must be an integer from 1 to 3600000");
  }
  return std::chrono::milliseconds(v);
}

std::optional<ComponentPath> split_component_path(std::string_view path) {
  constexpr std::string_view prefix = "/v1/components/";
  if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view rest = path.substr(prefix.size());
  const auto slash = rest.find('/');
  return ComponentPath{rest.substr(0, slash), slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1)};
}

}  // namespace wactor::http
