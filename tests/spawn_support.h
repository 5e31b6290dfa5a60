// Helpers shared by the spawn and activation tests: a runtime of probe guests with
// [[module]] templates, and probe commands whose logged result a test waits for.
#pragma once

#include <string>
#include <vector>

#include "test_support.h"

namespace wactor::test {

class SpawnRuntimeTest : public EngineRuntimeTest {
 protected:
  // A module of probe guests, granted everything (spawn included).
  ModuleSpec module(const std::string& name, std::string config = {}) {
    ModuleSpec m;
    m.name = name;
    m.settings = probe("", std::move(config));
    return m;
  }

  // Creates and starts a runtime with modules; fails the test on error.
  Runtime& run(std::vector<ComponentSpec> specs, std::vector<ModuleSpec> modules, RuntimeOptions o) {
    auto rt = Runtime::create(std::move(o), std::move(specs), {}, std::move(modules));
    EXPECT_TRUE(rt.ok()) << (rt.ok() ? "" : rt.error().to_string());
    if (!rt.ok()) return *runtime;
    runtime = std::move(rt).value();
    auto st = runtime->start();
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().to_string());
    return *runtime;
  }
  Runtime& run(std::vector<ComponentSpec> specs, std::vector<ModuleSpec> modules) {
    return run(std::move(specs), std::move(modules), options());
  }

  // Posts a probe command to `to` and returns the number its next "<what>=<n>" log line
  // holds (e.g. what = "spawn rc"), or -999 if none came.
  long long call(const std::string& to, const std::string& command, const std::string& what) {
    const std::string re = "^" + to + ": " + what + "=";
    const std::size_t before = collector.logs_matching(re).size();
    EXPECT_EQ(runtime->post(to, command), 0) << to << " <- " << command;
    auto lines = collector.wait_logs_more_than(re, before);
    if (lines.size() <= before) {
      ADD_FAILURE() << to << " logged no '" << what << "=' after '" << command << "'";
      return -999;
    }
    return field(lines[before], what.substr(what.rfind(' ') + 1));
  }

  // The `$down` notices `who` handled about `target`.
  std::vector<std::string> downs(const std::string& who, const std::string& target) {
    return collector.logs_matching("^" + who + ": msg from=\\$down req=0 payload=" + target + " ");
  }
  // Waits until `who` handled `n` notices about `target` (with `reason`); returns them all.
  std::vector<std::string> wait_downs(const std::string& who, const std::string& target, const std::string& reason,
                                      std::size_t n = 1) {
    return collector.wait_logs_more_than("^" + who + ": msg from=\\$down req=0 payload=" + target + " " + reason + "$",
                                         n - 1);
  }
};

}  // namespace wactor::test
