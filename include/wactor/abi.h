// Guest ABI v1 constants: the statuses guests see. docs/ABI.md is the normative text.
#pragma once

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

// Levels for the log import.
enum LogLevel : std::int32_t { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4 };

std::string_view guest_status_name(std::int32_t status);
std::string_view callback_status_name(std::int32_t status);
std::string_view log_level_name(std::int32_t level);

}  // namespace wactor::abi
