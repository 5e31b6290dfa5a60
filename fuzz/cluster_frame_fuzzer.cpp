// The decoder of frames other hosts send over NATS (src/cluster/wire.cpp): any bytes are
// either refused with a reason or decoded into a frame that encodes back to exactly the
// same bytes (one canonical form: nothing ignored, nothing invented); control frames hold
// only what their op allows.
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
  // Control frames (placement, the control API across hosts): what the runtime relies on.
  const auto& f = *d.frame;
  using wactor::cluster::ControlOp;
  using wactor::cluster::Kind;
  if (f.kind == Kind::kControl) {
    const bool spawn = f.op == ControlOp::kSpawn;
    check(f.request_id > 0);
    check(f.target.empty() == (f.op == ControlOp::kList));
    check(f.module.empty() != spawn);
    check(!f.has_config || spawn);
    check(f.has_config || f.payload.empty());
  }
  if (f.kind == Kind::kControlReply) {
    check(f.request_id > 0 && f.status >= -7 && f.status <= 0);
    check(f.payload.size() <= wactor::cluster::kMaxControlReplyBytes);
  }
  return 0;
}
