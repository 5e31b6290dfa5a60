// What travels through a mailbox: a message (plain or request) or a callback for a request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "actor/payload.h"

namespace wactor::actor {

struct Envelope {
  // Control envelopes, queued at the front:
  //   kStop     stop the component for good (stop_component, or its group gave up);
  //   kRestart  a group member failed: drop the instance, start a fresh one at `at_ns`;
  //   kStart    the backoff of restart `token` is over: start the fresh instance now;
  //   kHealth   poll the guest's health export;
//   kInit     a spawned component's first instance: instantiate and run init;
//   kUpgrade  replace the instance with one of the module waiting in the component;
//   kPassivate stop the component if it is still idle, keeping its snapshot.
  enum class Kind : std::uint8_t { kMessage, kCallback, kStop, kRestart, kStart, kHealth, kInit, kUpgrade, kPassivate };
  Kind kind = Kind::kMessage;
  std::int32_t status = 0;      // callbacks: abi::CallbackStatus
  std::int64_t request_id = 0;  // messages: 0 for fire-and-forget; callbacks: the request answered
  std::string sender;           // a component id, "$host" or "$down"
  Payload payload;  // inline up to Payload::kInline bytes
  std::string topic;  // messages from publish: the topic; otherwise empty
  std::int64_t at_ns = 0;   // kRestart: when to start (runtime clock)
  std::uint64_t token = 0;  // kStart: which scheduled restart this is
};

}  // namespace wactor::actor
