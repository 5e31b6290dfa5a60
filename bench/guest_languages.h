// The bench guest in each guest language (guests/c/bench.c, guests/rust/bench.rs, ...): the
// same commands and exports, built into the guests directory. Adding a language's row to
// wactor-bench is adding its file here (a missing file gives a "not built" row).
#pragma once

#include <array>
#include <string_view>

namespace wactor::bench {

struct GuestLanguage {
  std::string_view language;
  std::string_view file;  // in the guests directory
};

inline constexpr std::array kGuestLanguages{
    GuestLanguage{"c", "bench.wasm"},
    GuestLanguage{"rust", "bench_rust.wasm"},
    GuestLanguage{"cpp", "cpp/bench.wasm"},
    GuestLanguage{"as", "as/bench.wasm"},
};

}  // namespace wactor::bench
