// The runtime sources compiled into every generated object (rt/wasm-rt.h, rt/wactor_rt.c),
// embedded at build time (CMake writes rt_sources.cpp from rt_sources.cpp.in).
#pragma once

#include <string_view>

namespace wactor::engine::aot {
extern const std::string_view kRtHeader;  // wasm-rt.h
extern const std::string_view kRtSource;  // wactor_rt.c
}  // namespace wactor::engine::aot
