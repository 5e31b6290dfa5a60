// Arbitrary text as a manifest: a precise error or a manifest, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wactor/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = wactor::parse_manifest(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz/app.toml");
  if (!m.ok() && m.error().message.rfind("fuzz/app.toml", 0) != 0) __builtin_trap();  // errors name the file
  return 0;
}
