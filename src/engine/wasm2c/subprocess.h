// Running wasm2c and the C compiler on untrusted input: in their own process group, with
// CPU and address-space limits (inherited by the compiler's own children) and a wall-clock
// timeout after which the whole group is killed. Nothing waits forever.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wactor/result.h"

namespace wactor::engine::aot {

struct ProcessLimits {
  std::chrono::milliseconds timeout{120'000};  // wall clock; also the CPU limit (rounded up to seconds)
  std::uint64_t memory_bytes = 0;              // RLIMIT_AS per process; 0: none
};

// Runs argv (argv[0] a path) with stdin from /dev/null and stdout+stderr into `log`.
// The error, kResourceExhausted when a limit stopped it, else kInternal, starts with `what`
// and quotes the first diagnostic line of the log (bounded).
[[nodiscard]] Status run_limited(const std::vector<std::string>& argv, const std::string& log, std::string_view what,
                                 const ProcessLimits& limits);

// Runs argv unlimited but for `timeout`; its stdout+stderr (at most 64 KiB), or an error.
[[nodiscard]] Result<std::string> run_capture(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// The first line of `log` that looks like a diagnostic ("error", else the first non-empty
// line), at most `limit` characters.
[[nodiscard]] std::string first_diagnostic(std::string_view log, std::size_t limit = 300);

}  // namespace wactor::engine::aot
