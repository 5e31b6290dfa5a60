#include "cluster/wire.h"

#include <cstring>

namespace wactor::cluster {
namespace {

void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }
void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool u8(std::uint8_t& v) {
    if (b_.size() - pos_ < 1) return fail("truncated");
    v = static_cast<std::uint8_t>(b_[pos_++]);
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (b_.size() - pos_ < 4) return fail("truncated");
    v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<std::uint8_t>(b_[pos_ + i])} << (8 * i);
    pos_ += 4;
    return true;
  }
  bool u64(std::uint64_t& v) {
    if (b_.size() - pos_ < 8) return fail("truncated");
    v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<std::uint8_t>(b_[pos_ + i])} << (8 * i);
    pos_ += 8;
    return true;
  }
  bool str(std::string& s, std::size_t max, const char* what) {
    std::uint32_t n = 0;
    if (!u32(n)) return false;
    if (n > max) return fail(std::string(what) + " too long");
    if (b_.size() - pos_ < n) return fail("truncated");
    s.assign(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool id(std::string& s, const char* what) {
    if (!str(s, kMaxIdBytes, what)) return false;
    if (s.empty()) return fail(std::string("empty ") + what);
    for (char c : s) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-' || c == '.';
      if (!ok) return fail(std::string("invalid ") + what);
    }
    return true;
  }
  // True if `s` (already read) is a non-empty id: A-Z a-z 0-9 _ - .
  static bool id_text(std::string_view s) {
    if (s.empty() || s.size() > kMaxIdBytes) return false;
    for (char c : s) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-' || c == '.';
      if (!ok) return false;
    }
    return true;
  }
  bool at_end() { return pos_ == b_.size() || fail("trailing bytes"); }
  bool fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }
  std::string error_;

 private:
  std::string_view b_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string encode(const Frame& f) {
  std::string out;
  out.reserve(32 + f.host.size() + f.sender.size() + f.target.size() + f.payload.size());
  put_u8(out, kWireVersion);
  put_u8(out, static_cast<std::uint8_t>(f.kind));
  put_str(out, f.host);
  switch (f.kind) {
    case Kind::kSend:
      put_str(out, f.sender);
      put_str(out, f.target);
      put_str(out, f.payload);
      break;
    case Kind::kRequest:
      put_str(out, f.sender);
      put_str(out, f.target);
      put_u64(out, static_cast<std::uint64_t>(f.request_id));
      put_u32(out, f.timeout_ms);
      put_str(out, f.payload);
      break;
    case Kind::kReply:
      put_str(out, f.target);
      put_u64(out, static_cast<std::uint64_t>(f.request_id));
      put_u32(out, static_cast<std::uint32_t>(f.status));
      put_str(out, f.payload);
      break;
    case Kind::kPublish:
      put_str(out, f.sender);
      put_str(out, f.target);
      put_str(out, f.payload);
      break;
    case Kind::kHeartbeat:
      put_u64(out, f.sequence);
      put_u32(out, f.interval_ms);
      put_u32(out, static_cast<std::uint32_t>(f.ids.size()));
      for (const auto& id : f.ids) put_str(out, id);
      break;
    case Kind::kBye:
      break;
    case Kind::kControl:
      put_u8(out, static_cast<std::uint8_t>(f.op));
      put_u64(out, static_cast<std::uint64_t>(f.request_id));
      put_str(out, f.sender);
      put_str(out, f.target);
      put_str(out, f.module);
      put_u8(out, f.has_config ? 1 : 0);
      put_str(out, f.payload);
      break;
    case Kind::kControlReply:
      put_u64(out, static_cast<std::uint64_t>(f.request_id));
      put_u32(out, static_cast<std::uint32_t>(f.status));
      put_str(out, f.payload);
      break;
  }
  return out;
}

Decoded decode(std::string_view bytes) {
  Reader r(bytes);
  Frame f;
  std::uint8_t version = 0, kind = 0;
  auto refused = [&](std::string why) {
    Decoded d;
    d.error = r.error_.empty() ? std::move(why) : r.error_;
    return d;
  };
  if (!r.u8(version)) return refused("empty");
  if (version != kWireVersion) return refused("unknown version " + std::to_string(version));
  if (!r.u8(kind)) return refused("truncated");
  if (!r.id(f.host, "host id")) return refused("bad host id");
  constexpr std::size_t kMaxPayload = std::size_t{64} << 20;
  std::uint32_t u32 = 0;
  std::uint64_t u64 = 0;
  switch (kind) {
    case static_cast<std::uint8_t>(Kind::kSend):
    case static_cast<std::uint8_t>(Kind::kPublish):
      f.kind = static_cast<Kind>(kind);
      if (!r.id(f.sender, "sender id")) return refused("");
      if (f.kind == Kind::kSend) {
        if (!r.id(f.target, "target id")) return refused("");
      } else if (!r.str(f.target, kMaxTopicBytes, "topic") || f.target.empty()) {
        return refused("empty topic");
      }
      if (!r.str(f.payload, kMaxPayload, "payload")) return refused("");
      break;
    case static_cast<std::uint8_t>(Kind::kRequest):
      f.kind = Kind::kRequest;
      if (!r.id(f.sender, "sender id") || !r.id(f.target, "target id") || !r.u64(u64) || !r.u32(f.timeout_ms) ||
          !r.str(f.payload, kMaxPayload, "payload")) {
        return refused("");
      }
      f.request_id = static_cast<std::int64_t>(u64);
      if (f.request_id <= 0) return refused("bad request id");
      break;
    case static_cast<std::uint8_t>(Kind::kReply):
      f.kind = Kind::kReply;
      if (!r.id(f.target, "target id") || !r.u64(u64) || !r.u32(u32) || !r.str(f.payload, kMaxPayload, "payload")) {
        return refused("");
      }
      f.request_id = static_cast<std::int64_t>(u64);
      f.status = static_cast<std::int32_t>(u32);
      if (f.request_id <= 0) return refused("bad request id");
      if (f.status < 0 || f.status > 4) return refused("bad reply status");
      break;
    case static_cast<std::uint8_t>(Kind::kHeartbeat): {
      f.kind = Kind::kHeartbeat;
      std::uint32_t n = 0;
      if (!r.u64(f.sequence) || !r.u32(f.interval_ms) || !r.u32(n)) return refused("");
      if (n > kMaxAnnouncedIds) return refused("too many ids");
      f.ids.reserve(std::min<std::uint32_t>(n, 1024));
      for (std::uint32_t i = 0; i < n; ++i) {
        std::string id;
        if (!r.id(id, "component id")) return refused("");
        f.ids.push_back(std::move(id));
      }
      break;
    }
    case static_cast<std::uint8_t>(Kind::kBye):
      f.kind = Kind::kBye;
      break;
    case static_cast<std::uint8_t>(Kind::kControl): {
      f.kind = Kind::kControl;
      std::uint8_t op = 0, flags = 0;
      if (!r.u8(op) || !r.u64(u64)) return refused("");
      if (op < 1 || op > kControlOpLast) return refused("unknown control op " + std::to_string(op));
      f.op = static_cast<ControlOp>(op);
      f.request_id = static_cast<std::int64_t>(u64);
      if (f.request_id <= 0) return refused("bad request id");
      // The sender (a spawning component) is empty for the operator's control API.
      if (!r.str(f.sender, kMaxIdBytes, "sender id")) return refused("");
      if (!f.sender.empty() && !Reader::id_text(f.sender)) return refused("invalid sender id");
      if (!r.str(f.target, kMaxIdBytes, "target id") || !r.str(f.module, kMaxIdBytes, "module name")) return refused("");
      const bool wants_target = f.op != ControlOp::kList;
      if (wants_target != !f.target.empty()) return refused(wants_target ? "empty target id" : "unexpected target id");
      if (wants_target && !Reader::id_text(f.target)) return refused("invalid target id");
      const bool spawn = f.op == ControlOp::kSpawn;
      if (spawn != !f.module.empty()) return refused(spawn ? "empty module name" : "unexpected module name");
      if (spawn && !Reader::id_text(f.module)) return refused("invalid module name");
      if (!r.u8(flags)) return refused("");
      if (flags > 1 || (flags == 1 && !spawn)) return refused("bad control flags");
      f.has_config = flags == 1;
      if (!r.str(f.payload, kMaxPayload, "payload")) return refused("");
      if (!f.has_config && !f.payload.empty()) return refused("payload without config flag");
      break;
    }
    case static_cast<std::uint8_t>(Kind::kControlReply):
      f.kind = Kind::kControlReply;
      if (!r.u64(u64) || !r.u32(u32) || !r.str(f.payload, kMaxControlReplyBytes, "payload")) return refused("");
      f.request_id = static_cast<std::int64_t>(u64);
      f.status = static_cast<std::int32_t>(u32);
      if (f.request_id <= 0) return refused("bad request id");
      if (f.status < -7 || f.status > 0) return refused("bad control status");
      break;
    default:
      return refused("unknown kind " + std::to_string(kind));
  }
  if (!r.at_end()) return refused("");
  Decoded d;
  d.frame = std::move(f);
  return d;
}

}  // namespace wactor::cluster
