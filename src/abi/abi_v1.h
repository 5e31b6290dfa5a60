// Guest ABI v1: which imports a guest may use and which exports it must have, the host
// import implementations (argument checking), and the calls into guest exports.
// Knows nothing of messaging: it talks to a GuestHost.
#pragma once

#include <climits>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wactor/abi.h"
#include "wactor/engine.h"
#include "wactor/result.h"

namespace wactor::abi {

// What the host does for one component's guest. Arguments are already checked (pointers in
// bounds, ids valid UTF-8); return values go straight back to the guest.
// Called only from the thread currently running that component's guest.
class GuestHost {
 public:
  virtual ~GuestHost() = default;
  virtual std::int32_t send(std::string_view target, std::span<const std::uint8_t> payload) = 0;
  virtual std::int64_t request(std::string_view target, std::span<const std::uint8_t> payload,
                               std::int32_t timeout_ms) = 0;
  virtual std::int32_t respond(std::int64_t request_id, bool is_error, std::span<const std::uint8_t> payload) = 0;
  virtual std::int64_t current_request() = 0;
  virtual std::int32_t cancel(std::int64_t request_id) = 0;
  virtual std::string_view self_id() = 0;
  virtual void log(std::int32_t level, std::string_view message) = 0;
  // A log call whose arguments were invalid (it cannot return a status): report it.
  virtual void bad_log_call(std::string_view why) = 0;
  virtual std::int64_t now_ms() = 0;
  // Publish/subscribe (topic syntax is checked by the host: -4 if malformed).
  virtual std::int32_t subscribe(std::string_view pattern) = 0;
  virtual std::int32_t unsubscribe(std::string_view pattern) = 0;
  virtual std::int32_t publish(std::string_view topic, std::span<const std::uint8_t> payload) = 0;
  virtual std::int32_t broadcast(std::span<const std::uint8_t> payload) = 0;
  virtual std::string_view current_topic() = 0;
  // Actors that come and go (docs/ABI.md). All may be called from init.
  virtual std::int32_t spawn(std::string_view module, std::string_view id, std::string_view config) = 0;
  virtual std::int32_t stop(std::string_view target) = 0;
  virtual std::int64_t send_after(std::string_view target, std::span<const std::uint8_t> payload,
                                  std::int32_t delay_ms) = 0;
  virtual std::int32_t cancel_timer(std::int64_t timer_id) = 0;
  virtual std::int32_t monitor(std::string_view target) = 0;
  virtual std::int32_t demonitor(std::string_view target) = 0;
  // HTTP ingress (docs/ABI.md, "HTTP"). http_info: 0 with `out` filled, or a status.
  virtual std::int32_t http_info(std::int64_t request_id, std::int32_t what, std::string_view name,
                                 std::string& out) = 0;
  virtual std::int32_t http_set_status(std::int64_t request_id, std::int32_t status) = 0;
  virtual std::int32_t http_set_header(std::int64_t request_id, std::string_view name, std::string_view value) = 0;
  // The ABI layer refused a call with -4 (bad pointer, length or UTF-8): count it.
  virtual void invalid_call(std::string_view import) = 0;
  // Key-value storage (docs/STORAGE.md); keys already checked (1..1024 bytes). Each returns
  // a status, or kStorageFailed (the backend failed: the guest's call traps). Without
  // storage (the default here) every call answers -2.
  virtual std::int32_t kv_get(std::string_view /*key*/, std::string& /*value*/) { return kDenied; }
  virtual std::int32_t kv_set(std::string_view /*key*/, std::span<const std::uint8_t> /*value*/) { return kDenied; }
  virtual std::int32_t kv_delete(std::string_view /*key*/) { return kDenied; }
  // Keys starting with `prefix`, greater than `after`, ascending, each as a 4-byte
  // little-endian length and the bytes, as many as fit in `cap` bytes: their count.
  virtual std::int32_t kv_list(std::string_view /*prefix*/, std::string_view /*after*/, std::size_t /*cap*/,
                               std::string& /*out*/) {
    return kDenied;
  }
  virtual std::int64_t kv_usage() { return kDenied; }
};

// A GuestHost kv_* result meaning "the backend failed": the guest's call traps (its writes
// are discarded with it).
inline constexpr std::int32_t kStorageFailed = INT32_MIN;

// Checks a module against ABI v1: every import known with its exact type; memory,
// cabi_realloc and handle-message exported; optional exports with their exact types.
// The error names the file (`origin`) and what is wrong.
[[nodiscard]] Status check_module(const engine::ModuleInfo& info, std::string_view origin);

// One line per problem, empty when the module satisfies ABI v1 (for `wactor inspect`).
[[nodiscard]] std::vector<std::string> abi_problems(const engine::ModuleInfo& info);

// The `wactor` imports bound to `host`; `host` must outlive every instance using them.
[[nodiscard]] std::vector<engine::HostFunction> make_imports(GuestHost& host);

// True if `bytes` is well-formed UTF-8.
[[nodiscard]] bool valid_utf8(std::string_view bytes);
// Length of the longest well-formed UTF-8 prefix of `bytes`.
[[nodiscard]] std::size_t valid_utf8_prefix(std::string_view bytes);

// The resolved exports of one instance, and the calls the host makes into it.
class GuestExports {
 public:
  [[nodiscard]] static Result<GuestExports> resolve(engine::Instance& instance);

  [[nodiscard]] bool has_callback() const { return handle_callback_.has_value(); }

  // Copies into the guest's inbox if it fits, else into cabi_realloc(0, 0, 1, len);
  // returns the guest pointer (0 for empty data).
  [[nodiscard]] Result<std::int32_t> place(engine::Instance& instance, std::span<const std::uint8_t> bytes);
  // Both in one cabi_realloc buffer, `second` right after `bytes`; returns the buffer.
  [[nodiscard]] Result<std::int32_t> place(engine::Instance& instance, std::span<const std::uint8_t> bytes,
                                           std::span<const std::uint8_t> second);

  // Each returns the guest's status code, or kTrap / kGuestError.
  [[nodiscard]] Result<std::int32_t> init(engine::Instance& instance, std::span<const std::uint8_t> config);
  [[nodiscard]] Result<std::int32_t> handle_message(engine::Instance& instance, std::string_view sender,
                                                    std::span<const std::uint8_t> payload);
  [[nodiscard]] Result<std::int32_t> handle_callback(engine::Instance& instance, std::int64_t request_id,
                                                     std::int32_t status, std::span<const std::uint8_t> payload);
  [[nodiscard]] Result<std::int32_t> shutdown(engine::Instance& instance);
  [[nodiscard]] Result<std::int32_t> health(engine::Instance& instance);
  [[nodiscard]] bool has_snapshot() const { return snapshot_.has_value(); }
  [[nodiscard]] bool has_restore() const { return restore_.has_value(); }
  // The state `snapshot` returns (copied out of the guest), or empty without the export.
  [[nodiscard]] Result<std::string> snapshot(engine::Instance& instance);
  // Hands `state` to `restore`; 0 without the export.
  [[nodiscard]] Result<std::int32_t> restore(engine::Instance& instance, std::span<const std::uint8_t> state);

 private:
  engine::ExportIndex realloc_ = 0;
  engine::ExportIndex handle_message_ = 0;
  std::optional<engine::ExportIndex> handle_callback_;
  std::optional<engine::ExportIndex> init_;
  std::optional<engine::ExportIndex> health_;
  std::optional<engine::ExportIndex> shutdown_;
  std::optional<engine::ExportIndex> snapshot_;
  std::optional<engine::ExportIndex> restore_;
  std::uint32_t inbox_ptr_ = 0;  // the guest's inbox buffer (docs/ABI.md), if it has one
  std::uint32_t inbox_cap_ = 0;
};

}  // namespace wactor::abi
