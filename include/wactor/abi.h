// Guest ABI v1 constants: the statuses guests see. docs/ABI.md is the normative text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wactor::abi {

inline constexpr std::string_view kImportModule = "wactor";
inline constexpr int kVersion = 1;

// Returned by host imports to the calling guest.
enum GuestStatus : std::int32_t {
  kOk = 0,
  kNotFound = -1,         // unknown target, unknown or finished request id
  kDenied = -2,           // not allowed (not the owner of a request, capability missing)
  kQueueFull = -3,        // the target's mailbox is full; nothing was queued
  kInvalidArgument = -4,  // bad pointer, length, UTF-8, or a value out of range
  kTooLarge = -5,         // payload larger than the runtime's limit
  kInUse = -6,           // the id is in use (spawn)
  kLimitReached = -7,     // a budget of the caller or of the host is used up (docs/MANIFEST.md)
};

// Passed to handle-callback.
enum CallbackStatus : std::int32_t {
  kCallbackOk = 0,
  kCallbackErrorReply = 1,
  kCallbackTimeout = 2,
  kCallbackCancelled = 3,
  kCallbackTargetDown = 4,
};

// What http-info reads (docs/ABI.md, "HTTP").
enum HttpInfo : std::int32_t {
  kHttpMethod = 0,
  kHttpPath = 1,
  kHttpQuery = 2,
  kHttpHeader = 3,      // the header named by `name` (case-insensitive); several joined with ", "
  kHttpHeaderList = 4,  // every header, one "name: value\n" line each
};
inline constexpr std::int32_t kHttpInfoLast = kHttpHeaderList;
// What a guest may add to one HTTP response (http-set-header answers -7 past it).
inline constexpr std::size_t kHttpMaxResponseHeaders = 32;
inline constexpr std::size_t kHttpMaxResponseHeaderBytes = 16 * 1024;

// Key-value storage (docs/STORAGE.md): a key is 1..kMaxKeyBytes bytes.
inline constexpr std::size_t kMaxKeyBytes = 1024;

// An HTTP header name a guest may set: an RFC 9110 token of 1..128 bytes, and not one of the
// headers the server owns (content-length, transfer-encoding, connection, ...).
[[nodiscard]] bool valid_header_name(std::string_view name);
// A header value: at most 8 KiB of visible ASCII, spaces, tabs and obs-text; no CR, LF or NUL.
[[nodiscard]] bool valid_header_value(std::string_view value);

// Levels for the log import.
enum LogLevel : std::int32_t { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4 };

std::string_view guest_status_name(std::int32_t status);
std::string_view callback_status_name(std::int32_t status);
std::string_view log_level_name(std::int32_t level);

}  // namespace wactor::abi
