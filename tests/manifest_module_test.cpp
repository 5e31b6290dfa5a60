// [[module]] templates in the manifest: what they hold, and each mistake as a one-line error
// naming its line.
#include <gtest/gtest.h>

#include "wactor/manifest.h"

namespace wactor {
namespace {

std::string error_of(const std::string& text) {
  auto m = parse_manifest(text, "dir/app.toml");
  EXPECT_FALSE(m.ok());
  return m.ok() ? std::string() : m.error().message;
}

const std::string kBoss = "[[component]]\nid = \"boss\"\nwasm = \"boss.wasm\"\n";

TEST(ManifestModule, ModulesComponentsMadeFromThemAndMaxComponents) {
  auto m = parse_manifest(R"([runtime]
max_components = 100

[[module]]
name = "worker"
wasm = "worker.wasm"
config = "module-config"
send = ["boss"]
spawn = ["worker"]
mailbox_capacity = 16
max_children = 3

[[module]]
name = "sess"
wasm = "/abs/sess.wasm"
activate = "sess.*"
passivate_after_ms = 500

[[component]]
id = "boss"
wasm = "boss.wasm"
spawn = ["worker", "sess"]

[[component]]
id = "w1"
module = "worker"
config = "own"

[[message]]
to = "sess.1"
payload = "hello"
)",
                          "dir/app.toml");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(*m->runtime.max_components, 100u);
  ASSERT_EQ(m->modules.size(), 2u);
  const auto& w = m->modules[0];
  EXPECT_EQ(w.name, "worker");
  EXPECT_EQ(w.line, 4);
  EXPECT_EQ(w.settings.wasm, "dir/worker.wasm");
  EXPECT_EQ(w.settings.config, "module-config");
  EXPECT_EQ(w.settings.send, std::vector<std::string>{"boss"});
  EXPECT_EQ(w.settings.spawn, std::vector<std::string>{"worker"});
  EXPECT_EQ(w.settings.mailbox_capacity, 16u);
  EXPECT_EQ(*w.settings.budget.max_children, 3u);
  EXPECT_TRUE(w.activate.empty());
  EXPECT_FALSE(w.passivate_after_ms.has_value());
  const auto& s = m->modules[1];
  EXPECT_EQ(s.settings.wasm, "/abs/sess.wasm");
  EXPECT_EQ(s.activate, "sess.*");
  EXPECT_EQ(*s.passivate_after_ms, 500);
  ASSERT_EQ(m->components.size(), 2u);
  EXPECT_EQ(m->components[0].spawn, (std::vector<std::string>{"worker", "sess"}));
  EXPECT_FALSE(m->components[0].module.has_value());
  EXPECT_EQ(*m->components[1].module, "worker");
  EXPECT_TRUE(m->components[1].wasm.empty());
  EXPECT_EQ(m->components[1].config, "own");
  EXPECT_TRUE(m->components[1].has("config"));
  EXPECT_FALSE(m->components[1].has("send"));  // so the module's grants apply
  ASSERT_EQ(m->messages.size(), 1u);  // to an id a module activates
  EXPECT_EQ(m->messages[0].to, "sess.1");
}

TEST(ManifestModule, AComponentNamesADeclaredModuleAndNotAlsoWasm) {
  EXPECT_EQ(error_of("[[module]]\nname = \"worker\"\nwasm = \"w.wasm\"\n"
                     "[[component]]\nid = \"a\"\nmodule = \"wroker\"\n"),
            "dir/app.toml:6: component 'a': no [[module]] named 'wroker'");
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nmodule = \"worker\"\n"),
            "dir/app.toml:3: component 'a': no [[module]] named 'worker'");
  EXPECT_EQ(error_of("[[module]]\nname = \"worker\"\nwasm = \"w.wasm\"\n"
                     "[[component]]\nid = \"a\"\nmodule = \"worker\"\nwasm = \"a.wasm\"\n"),
            "dir/app.toml:7: component 'a': give 'wasm' or 'module', not both");
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nmodule = 3\n"), "dir/app.toml:3: 'module' must be a string");
}

TEST(ManifestModule, ModuleKeysAreChecked) {
  EXPECT_EQ(error_of("[[module]]\nwasm = \"w.wasm\"\n" + kBoss), "dir/app.toml:1: [[module]] needs 'name'");
  EXPECT_EQ(error_of("[[module]]\nname = \"w\"\n" + kBoss), "dir/app.toml:1: [[module]] needs 'wasm'");
  EXPECT_EQ(error_of("[[module]]\nname = \"w\"\nwasm = \"\"\n" + kBoss), "dir/app.toml:3: 'wasm' must not be empty");
  EXPECT_EQ(error_of("[[module]]\nname = \"a b\"\nwasm = \"w.wasm\"\n" + kBoss),
            "dir/app.toml:2: invalid module name 'a b': use 1-128 characters from A-Z a-z 0-9 _ - .");
  EXPECT_EQ(error_of("[[module]]\nname = \"w\"\nwasm = \"w.wasm\"\n[[module]]\nname = \"w\"\nwasm = \"x.wasm\"\n" +
                     kBoss),
            "dir/app.toml:4: duplicate module name 'w'");
  EXPECT_EQ(error_of("[[module]]\nname = \"w\"\nwasm = \"w.wasm\"\nid = \"x\"\n" + kBoss).rfind(
                "dir/app.toml:4: unknown key 'id' in [[module]] (allowed: ", 0),
            0u);
  EXPECT_EQ(error_of("module = 1\n" + kBoss), "dir/app.toml:1: 'module' must be [[module]] tables");
  EXPECT_EQ(error_of("[[module]]\nname = \"w\"\nwasm = \"w.wasm\"\nspawn = [\"a..b\"]\n" + kBoss).rfind("dir/app.toml:4: ", 0),
            0u);
}

TEST(ManifestModule, ActivateMustBeAPattern) {
  EXPECT_EQ(error_of("[[module]]\nname = \"s\"\nwasm = \"s.wasm\"\nactivate = \"sess..x\"\n" + kBoss),
            "dir/app.toml:4: 'activate': invalid pattern 'sess..x'");
  EXPECT_EQ(error_of("[[module]]\nname = \"s\"\nwasm = \"s.wasm\"\nactivate = \"\"\n" + kBoss),
            "dir/app.toml:4: 'activate': invalid pattern ''");
  EXPECT_EQ(error_of("[[module]]\nname = \"s\"\nwasm = \"s.wasm\"\nactivate = 5\n" + kBoss),
            "dir/app.toml:4: 'activate' must be a string");
  // A message to an id no module activates is still refused.
  EXPECT_EQ(error_of("[[module]]\nname = \"s\"\nwasm = \"s.wasm\"\nactivate = \"sess.*\"\n" + kBoss +
                     "[[message]]\nto = \"sess.1.2\"\npayload = \"x\"\n"),
            "dir/app.toml:8: [[message]] to unknown component 'sess.1.2'");
}

TEST(ManifestModule, PassivateAfterRange) {
  // docs/MANIFEST.md: 0-86400000, 0 never.
  auto zero = parse_manifest("[[module]]\nname = \"s\"\nwasm = \"s.wasm\"\npassivate_after_ms = 0\n" + kBoss, "a.toml");
  ASSERT_TRUE(zero.ok()) << zero.error().message;
  EXPECT_EQ(zero->modules[0].passivate_after_ms.value_or(0), 0);
  auto day = parse_manifest("[[module]]\nname = \"s\"\nwasm = \"s.wasm\"\npassivate_after_ms = 86400000\n" + kBoss,
                            "a.toml");
  ASSERT_TRUE(day.ok()) << day.error().message;
  EXPECT_EQ(error_of("[[module]]\nname = \"s\"\nwasm = \"s.wasm\"\npassivate_after_ms = 86400001\n" + kBoss),
            "dir/app.toml:4: 'passivate_after_ms' must be between 0 and 86400000, not 86400001");
  EXPECT_EQ(error_of("[[module]]\nname = \"s\"\nwasm = \"s.wasm\"\npassivate_after_ms = -1\n" + kBoss),
            "dir/app.toml:4: 'passivate_after_ms' must be between 0 and 86400000, not -1");
  // Only modules passivate.
  EXPECT_EQ(error_of("[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\npassivate_after_ms = 10\n").rfind(
                "dir/app.toml:4: unknown key 'passivate_after_ms' in [[component]]", 0),
            0u);
}

TEST(ManifestModule, MaxComponentsRange) {
  EXPECT_EQ(error_of("[runtime]\nmax_components = 0\n" + kBoss),
            "dir/app.toml:2: 'max_components' must be between 1 and 16777216, not 0");
  EXPECT_EQ(error_of("[runtime]\nmax_components = 16777217\n" + kBoss),
            "dir/app.toml:2: 'max_components' must be between 1 and 16777216, not 16777217");
  auto m = parse_manifest("[runtime]\nmax_components = 16777216\n" + kBoss, "a.toml");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(*m->runtime.max_components, 16777216u);
  EXPECT_EQ(error_of("[runtime]\nmax_children = -1\n" + kBoss),
            "dir/app.toml:2: 'max_children' must be between 0 and 1073741824, not -1");
}

}  // namespace
}  // namespace wactor
