// Runs one spec script on one engine through the engine interface only (no runtime, no
// metering): modules are loaded with Engine::load and instantiated with Module::instantiate;
// function imports are linked to `spectest`'s print functions and to the exports of
// registered instances (a host function that calls the other instance's export).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "script.h"
#include "tally.h"
#include "wactor/engine.h"

namespace wactor::spec {

class ScriptRunner {
 public:
  // `file` names the script in messages and in known_failures.txt ("i32.wast"); `dir` holds
  // its modules.
  ScriptRunner(engine::Engine& engine, std::string file, std::string dir, const KnownFailures& known);
  Tally run(const std::vector<Command>& commands);

 private:
  // One module command's instance, or why the commands that use it cannot run.
  struct Slot {
    std::shared_ptr<const engine::Module> module;
    std::shared_ptr<engine::Instance> instance;
    std::string unavailable;  // a skip reason; empty when the instance is usable
    // Why its state may differ from the script's from now on (a skipped command may have
    // changed it): its later commands are skipped for this reason.
    std::string tainted;
    std::vector<std::shared_ptr<Slot>> links;  // instances whose exports it imports
    std::map<std::string, engine::ExportIndex> functions;
  };
  // Why commands on this instance are skipped (its own reason or one of its links'), or "".
  static std::string unusable(const Slot& slot);
  enum class Verdict { kPass, kFail, kSkip };
  struct Outcome {
    Verdict verdict;
    std::string detail;  // what failed, or the skip reason
  };
  // What an action did.
  struct ActionResult {
    enum Kind { kReturned, kTrapped, kSkipped, kError } kind;
    std::vector<engine::TypedVal> values;
    std::string message;  // trap message, skip reason or error
  };
  // A loaded module ready to instantiate, or the outcome that ends the command.
  struct Prepared {
    std::shared_ptr<const engine::Module> module;
    std::vector<engine::HostFunction> imports;
    std::vector<std::shared_ptr<Slot>> links;
    std::optional<Outcome> done;
  };

  Outcome execute(const Command& c);
  Outcome module(const Command& c, std::shared_ptr<Slot>& slot);
  Outcome assert_return(const Command& c);
  Outcome assert_trap(const Command& c, const std::string& expected);
  Outcome assert_refused(const Command& c);
  Outcome assert_unlinkable(const Command& c);
  Outcome assert_uninstantiable(const Command& c);
  Outcome register_module(const Command& c);
  // Loads the command's module and links its imports. `writes_imports`: when the module
  // is skipped, the registered instances it imports tables, memories or globals from are
  // tainted (instantiating it would have written to them).
  Prepared prepare(const Command& c, bool writes_imports);
  // Host functions for the module's function imports, or a skip reason.
  std::optional<std::string> link(const engine::ModuleInfo& info, Prepared& p);
  ActionResult act(const Action& a);
  std::shared_ptr<Slot> slot_for(const std::string& name);
  void record(const Command& c, const Outcome& o);

  engine::Engine& engine_;
  std::string file_;
  std::string dir_;
  const KnownFailures& known_;
  Tally tally_;
  std::shared_ptr<Slot> current_;
  std::map<std::string, std::shared_ptr<Slot>> named_;       // by $name
  std::map<std::string, std::shared_ptr<Slot>> registered_;  // by the name imports use
};

}  // namespace wactor::spec
