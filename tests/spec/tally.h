// Counting spec commands: passed, failed, known failures and skipped by reason; the list of
// known failures; per-file result files and the per-engine summary over them.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "wactor/result.h"

namespace wactor::spec {

struct Tally {
  long passed = 0;
  long failed = 0;
  long known = 0;                        // failed as known_failures.txt expects
  std::map<std::string, long> skipped;   // by reason
  std::vector<std::string> failures;     // "file.wast:line: what went wrong"
  double seconds = 0;
  long files = 0;

  [[nodiscard]] long skipped_total() const;
  void add(const Tally& other);
  // "passed 123, failed 0, known failures 2, skipped 45 (1.2 s)" and one line per skip reason.
  void print(std::ostream& out, const std::string& title) const;
};

// tests/spec/known_failures.txt: one entry per line, `<engine|*> <file.wast>:<line> <reason>`.
// The command on that line is expected to fail (an engine bug someone is fixing); a reason
// starting with "crash:" means running it takes the process down, so it is not run at all.
struct KnownFailure {
  std::string reason;
  bool crash = false;
};

class KnownFailures {
 public:
  [[nodiscard]] static Result<KnownFailures> load(const std::string& path);
  [[nodiscard]] const KnownFailure* find(const std::string& engine, const std::string& file, int line) const;

 private:
  std::map<std::string, KnownFailure> entries_;  // "engine file:line"
};

// One file's tally, written by the test that ran it and read by the summary.
[[nodiscard]] Status write_tally(const std::string& path, const Tally& tally);
[[nodiscard]] Result<Tally> read_tally(const std::string& path);

// Prints each engine's totals over `results_dir/<engine>/<file>.txt` (also to
// results_dir/summary.txt), naming the files of `files` without a result (their test crashed
// or was not run); fails when a command failed.
[[nodiscard]] Status print_summary(const std::string& results_dir, const std::vector<std::string>& engines,
                                   const std::vector<std::string>& files, std::ostream& out);

}  // namespace wactor::spec
