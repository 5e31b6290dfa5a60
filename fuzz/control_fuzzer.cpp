// The control API's parsing (src/http/control_parse.cpp) on fuzzed network input: the first
// line is a request target "PATH[?QUERY]", the rest a POST /v1/components body. Checks:
// an accepted spawn body round-trips through JSON and names a valid id; a refusal is
// kInvalidArgument with a message json_error turns into one line of valid JSON; an accepted
// timeout_ms is absent (0) or the digits of 1..3600000; a split component path puts the
// path back together.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "http/control_parse.h"
#include "http/frontend.h"
#include "wactor/runtime.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_error_line(const wactor::Error& e) {
  check(e.code == wactor::ErrorCode::kInvalidArgument && !e.message.empty());
  const std::string line = wactor::http::json_error(e.message);
  check(!line.empty() && line.back() == '\n' && line.find('\n') == line.size() - 1);
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  check(j.is_object() && j.size() == 1 && j.contains("error") && j["error"].is_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string_view target = in.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

  // POST /v1/components
  auto spawn = wactor::http::parse_spawn_body(body);
  if (spawn.ok()) {
    check(wactor::valid_component_id(spawn->id));
    nlohmann::json j = {{"id", spawn->id}, {"module", spawn->module}};
    if (spawn->config) j["config"] = *spawn->config;
    auto again = wactor::http::parse_spawn_body(j.dump());
    check(again.ok() && again->id == spawn->id && again->module == spawn->module && again->config == spawn->config);
  } else {
    check_error_line(spawn.error());
  }

  // ?timeout_ms=N
  const auto timeout = wactor::http::parse_timeout_ms(query);
  const auto raw = wactor::http::query_value(query, "timeout_ms");
  if (timeout.ok()) {
    if (!raw) {
      check(timeout->count() == 0);
    } else {
      check(timeout->count() >= 1 && timeout->count() <= 3'600'000 && !raw->empty());
      for (char c : *raw) check(c >= '0' && c <= '9');
    }
  } else {
    check(raw.has_value());
    check_error_line(timeout.error());
  }
  if (raw && !raw->empty()) check(raw->data() >= query.data() && raw->data() + raw->size() <= query.data() + query.size());

  // /v1/components/{id}/{action}
  constexpr std::string_view prefix = "/v1/components/";
  const auto cp = wactor::http::split_component_path(path);
  check(cp.has_value() == (path.substr(0, prefix.size()) == prefix));
  if (cp) {
    check(cp->id.find('/') == std::string_view::npos);
    std::string back = std::string(prefix) + std::string(cp->id);
    if (path.size() > back.size()) back += "/" + std::string(cp->action);
    check(back == path);
  }
  return 0;
}
