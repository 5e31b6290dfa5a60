// What travels through a mailbox: a message (plain or request) or a callback for a request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wactor::actor {

struct Envelope {
  // Control envelopes, queued at the front:
  //   kStop     stop the component for good (stop_component, or its group gave up);
  //   kRestart  a group member failed: drop the instance, start a fresh one at `at_ns`;
  //   kStart    the backoff of restart `token` is over: start the fresh instance now;
  //   kHealth   poll the guest's health export.
  enum class Kind : std::uint8_t { kMessage, kCallback, kStop, kRestart, kStart, kHealth };
  Kind kind = Kind::kMessage;
  std::int32_t status = 0;      // callbacks: abi::CallbackStatus
  std::int64_t request_id = 0;  // messages: 0 for fire-and-forget; callbacks: the request answered
  std::string_view sender;      // a component id (lives as long as the runtime) or "$host"
  std::string payload;
  std::string topic;  // messages from publish: the topic; otherwise empty
  std::int64_t at_ns = 0;   // kRestart: when to start (runtime clock)
  std::uint64_t token = 0;  // kStart: which scheduled restart this is
};

}  // namespace wactor::actor
