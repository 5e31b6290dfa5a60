// LEB128, the integer encoding of the WebAssembly binary format, for the few places that
// edit module bytes without libwabt (table maxima, renamed imports and exports).
#pragma once

#include <cstdint>
#include <vector>

namespace wactor::sandbox {

// Appends `v` as unsigned LEB128.
inline void append_uleb128(std::vector<std::uint8_t>& out, std::uint64_t v) {
  do {
    std::uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    out.push_back(byte);
  } while (v);
}

}  // namespace wactor::sandbox
