// The decoder of frames other hosts send over NATS (src/cluster/wire.cpp): any bytes are
// either refused with a reason or decoded into a frame that encodes back to exactly the
// same bytes (one canonical form: nothing ignored, nothing invented).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cluster/wire.h"

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto d = wactor::cluster::decode(bytes);
  if (!d.frame) {
    check(!d.error.empty());
    return 0;
  }
  check(d.error.empty());
  check(wactor::cluster::encode(*d.frame) == bytes);
  return 0;
}
