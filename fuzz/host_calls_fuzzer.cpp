// The host-call boundary: sequences of wactor imports called with arbitrary pointers,
// lengths and values against a guest memory of arbitrary size. Nothing may touch memory
// outside the guest's (ASan watches), and every bad argument must come back as -4.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "abi/abi_v1.h"

namespace {

class Memory final : public wactor::engine::CallerMemory {
 public:
  explicit Memory(std::size_t size) : bytes_(size) {}
  std::span<std::uint8_t> bytes() override { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

class CheckingHost final : public wactor::abi::GuestHost {
 public:
  explicit CheckingHost(Memory& m) : mem_(m) {}
  // Everything handed to the host must lie inside the guest memory.
  void inside(const void* p, std::size_t n) {
    auto b = mem_.bytes();
    auto* c = static_cast<const std::uint8_t*>(p);
    if (n > 0 && (c < b.data() || c + n > b.data() + b.size())) __builtin_trap();
  }
  std::int32_t send(std::string_view t, std::span<const std::uint8_t> p) override {
    inside(t.data(), t.size());
    inside(p.data(), p.size());
    return 0;
  }
  std::int64_t request(std::string_view t, std::span<const std::uint8_t> p, std::int32_t ms) override {
    if (ms < 0) __builtin_trap();
    inside(t.data(), t.size());
    inside(p.data(), p.size());
    return 1;
  }
  std::int32_t respond(std::int64_t id, bool, std::span<const std::uint8_t> p) override {
    if (id <= 0) __builtin_trap();
    inside(p.data(), p.size());
    return 0;
  }
  std::int64_t current_request() override { return 0; }
  std::int32_t cancel(std::int64_t id) override { return id <= 0 ? (__builtin_trap(), 0) : 0; }
  std::string_view self_id() override { return "fuzzing-component"; }
  void log(std::int32_t, std::string_view m) override { inside(m.data(), m.size()); }
  void bad_log_call(std::string_view) override {}
  std::int64_t now_ms() override { return 0; }
  std::int32_t subscribe(std::string_view p) override {
    inside(p.data(), p.size());
    return 0;
  }
  std::int32_t unsubscribe(std::string_view p) override {
    inside(p.data(), p.size());
    return 0;
  }
  std::int32_t publish(std::string_view t, std::span<const std::uint8_t> p) override {
    inside(t.data(), t.size());
    inside(p.data(), p.size());
    return 0;
  }
  std::int32_t broadcast(std::span<const std::uint8_t> p) override {
    inside(p.data(), p.size());
    return 0;
  }
  std::string_view current_topic() override { return "a.topic"; }
  std::int32_t spawn(std::string_view m, std::string_view id, std::string_view config) override {
    inside(m.data(), m.size());
    inside(id.data(), id.size());
    inside(config.data(), config.size());
    if (!wactor::abi::valid_utf8(m) || !wactor::abi::valid_utf8(id) || !wactor::abi::valid_utf8(config)) __builtin_trap();
    return 0;
  }
  std::int32_t stop(std::string_view t) override {
    inside(t.data(), t.size());
    return 0;
  }
  std::int64_t send_after(std::string_view t, std::span<const std::uint8_t> p, std::int32_t ms) override {
    if (ms < 0) __builtin_trap();
    inside(t.data(), t.size());
    inside(p.data(), p.size());
    return 1;
  }
  std::int32_t cancel_timer(std::int64_t id) override { return id <= 0 ? (__builtin_trap(), 0) : 0; }
  std::int32_t monitor(std::string_view t) override {
    inside(t.data(), t.size());
    return 0;
  }
  std::int32_t demonitor(std::string_view t) override {
    inside(t.data(), t.size());
    return 0;
  }
  // The checks the ABI layer promises before these run: positive ids, statuses 200..599,
  // header names and values valid, names inside memory; the reply is longer than any buffer.
  std::int32_t http_info(std::int64_t id, std::int32_t what, std::string_view name, std::string& out) override {
    if (id <= 0 || what < 0 || what > wactor::abi::kHttpInfoLast) __builtin_trap();
    inside(name.data(), name.size());
    out.assign(300, 'h');
    return 0;
  }
  std::int32_t http_set_status(std::int64_t id, std::int32_t status) override {
    if (id <= 0 || status < 200 || status > 599) __builtin_trap();
    return 0;
  }
  std::int32_t http_set_header(std::int64_t id, std::string_view n, std::string_view v) override {
    if (id <= 0 || !wactor::abi::valid_header_name(n) || !wactor::abi::valid_header_value(v)) __builtin_trap();
    inside(n.data(), n.size());
    inside(v.data(), v.size());
    return 0;
  }
  void invalid_call(std::string_view) override {}

 private:
  Memory& mem_;
};

template <typename T>
T take(const std::uint8_t*& p, const std::uint8_t* end) {
  T v{};
  const std::size_t n = std::min<std::size_t>(sizeof v, static_cast<std::size_t>(end - p));
  std::memcpy(&v, p, n);
  p += n;
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::uint8_t* p = data;
  const std::uint8_t* end = data + size;
  Memory mem(take<std::uint16_t>(p, end) * 4u);  // 0 .. 256 KiB
  CheckingHost host(mem);
  const auto imports = wactor::abi::make_imports(host);
  while (p < end) {
    const auto& fn = imports[take<std::uint8_t>(p, end) % imports.size()];
    wactor::engine::Val args[8]{};
    wactor::engine::Val results[2]{};
    for (std::size_t i = 0; i < fn.sig.params.size(); ++i) {
      // Mostly small values near the memory's end, sometimes anything.
      const auto raw = take<std::uint32_t>(p, end);
      const bool near = (raw & 1) == 0;
      const std::int64_t v = near ? static_cast<std::int64_t>(mem.bytes().size()) - static_cast<std::int64_t>((raw >> 1) % 64)
                                  : static_cast<std::int64_t>(static_cast<std::int32_t>(raw));
      if (fn.sig.params[i] == wactor::engine::ValType::kI64) args[i].i64 = v; else args[i].i32 = static_cast<std::int32_t>(v);
    }
    auto outcome = fn.fn(mem, args, results);
    if (outcome.trap) __builtin_trap();  // host imports never trap on bad arguments
  }
  return 0;
}
