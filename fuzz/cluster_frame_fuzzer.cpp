// The decoder of what other hosts send over NATS (src/cluster/wire.cpp, batch.cpp): any
// bytes are either refused with a reason or decoded into a frame, or a batch of frames,
// that encodes back to exactly the same bytes (one canonical form: nothing ignored,
// nothing invented); control frames hold only what their op allows.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/batch.h"
#include "cluster/wire.h"

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

namespace {
int one_frame(std::string_view bytes) {
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

// The same for one NATS message: a frame or a batch (all of its frames, or none).
int message(std::string_view bytes) {
  const auto m = wactor::cluster::decode_message(bytes);
  if (m.frames.empty()) {
    check(!m.error.empty());
    return 0;
  }
  check(m.error.empty());
  if (!m.batch) {
    check(m.frames.size() == 1 && wactor::cluster::encode(m.frames[0]) == bytes);
    return 0;
  }
  std::vector<std::string> frames;
  for (const auto& f : m.frames) {
    check(f.host == m.frames[0].host);
    frames.push_back(wactor::cluster::encode(f));
  }
  check(wactor::cluster::encode_batch(m.frames[0].host, frames) == bytes);
  return 0;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  one_frame(bytes);
  message(bytes);
  return 0;
}
