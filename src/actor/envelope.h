// What travels through a mailbox: a message (plain or request) or a callback for a request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wactor::actor {

struct Envelope {
  // kStop: stop the component for good (queued at the front by Router::stop_component).
  enum class Kind : std::uint8_t { kMessage, kCallback, kStop };
  Kind kind = Kind::kMessage;
  std::int32_t status = 0;      // callbacks: abi::CallbackStatus
  std::int64_t request_id = 0;  // messages: 0 for fire-and-forget; callbacks: the request answered
  std::string_view sender;      // a component id (lives as long as the runtime) or "$host"
  std::string payload;
  std::string topic;  // messages from publish: the topic; otherwise empty
};

}  // namespace wactor::actor
