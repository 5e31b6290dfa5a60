// The control API's parsing steps (src/http/control_parse.h): the exact answers control.cpp
// gives (400 messages), also driven by fuzz/control_fuzzer.cpp.
#include <gtest/gtest.h>

#include "http/control_parse.h"

namespace wactor::http {
namespace {

std::string spawn_error(std::string_view body) {
  auto r = parse_spawn_body(body);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  return r.error().message;
}

TEST(ControlParse, SpawnBodyAcceptsIdModuleAndOptionalConfig) {
  auto a = parse_spawn_body(R"({"id": "w1", "module": "worker"})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->id, "w1");
  EXPECT_EQ(a->module, "worker");
  EXPECT_FALSE(a->config.has_value());
  auto b = parse_spawn_body(R"({"module": "worker", "config": "", "id": "w2"})");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->config, std::optional<std::string>(""));
}

TEST(ControlParse, SpawnBodyRefusals) {
  EXPECT_EQ(spawn_error(""), "the body must be a JSON object");
  EXPECT_EQ(spawn_error("{"), "the body must be a JSON object");
  EXPECT_EQ(spawn_error(R"(["id"])"), "the body must be a JSON object");
  EXPECT_EQ(spawn_error(R"({"id": "a", "module": "m", "x": "1"})"), "unknown key 'x'");
  EXPECT_EQ(spawn_error(R"({"id": 3, "module": "m"})"), "'id' must be a string");
  EXPECT_EQ(spawn_error(R"({"id": "a"})"), "'id' and 'module' are required");
  EXPECT_EQ(spawn_error(R"({"id": "", "module": "m"})"), "'id' is not a valid component id");
  EXPECT_EQ(spawn_error(R"({"id": "$http", "module": "m"})"), "'id' is not a valid component id");
}

TEST(ControlParse, TimeoutMs) {
  EXPECT_EQ(parse_timeout_ms("").value().count(), 0);
  EXPECT_EQ(parse_timeout_ms("a=1&b").value().count(), 0);
  EXPECT_EQ(parse_timeout_ms("a=1&timeout_ms=250").value().count(), 250);
  EXPECT_EQ(parse_timeout_ms("timeout_ms=3600000").value().count(), 3'600'000);
  for (std::string_view bad : {"timeout_ms", "timeout_ms=", "timeout_ms=0", "timeout_ms=-5", "timeout_ms=3600001",
                               "timeout_ms=12x", "timeout_ms=+3", "timeout_ms=99999999999999999999"}) {
    auto r = parse_timeout_ms(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message, "timeout_ms must be an integer from 1 to 3600000");
  }
}

TEST(ControlParse, SplitComponentPath) {
  EXPECT_FALSE(split_component_path("/v1/components").has_value());
  EXPECT_FALSE(split_component_path("/v1/component/x").has_value());
  auto a = split_component_path("/v1/components/w1");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->id, "w1");
  EXPECT_EQ(a->action, "");
  auto b = split_component_path("/v1/components/w1/requests");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->id, "w1");
  EXPECT_EQ(b->action, "requests");
  auto c = split_component_path("/v1/components//a/b");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->id, "");
  EXPECT_EQ(c->action, "a/b");
}

}  // namespace
}  // namespace wactor::http
