// What travels through a mailbox: a message (plain or request) or a callback for a request.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "actor/payload.h"

namespace wactor::actor {

struct Envelope {
  // Control envelopes, queued at the front:
  //   kStop     stop the component for good (stop_component, or its group gave up);
  //   kRestart  a group member failed: drop the instance, start a fresh one at `control`
  //             (runtime clock, ns);
  //   kStart    the backoff of restart `control` (its token) is over: start the fresh
  //             instance now;
  //   kHealth   poll the guest's health export;
  //   kInit     a spawned component's first instance: instantiate and run init;
  //   kUpgrade  replace the instance with one of the module waiting in the component;
  //   kPassivate stop the component if it is still idle, keeping its snapshot.
  enum class Kind : std::uint8_t { kMessage, kCallback, kStop, kRestart, kStart, kHealth, kInit, kUpgrade, kPassivate };
  Kind kind = Kind::kMessage;
  std::int32_t status = 0;      // callbacks: abi::CallbackStatus
  std::int64_t request_id = 0;  // messages: 0 for fire-and-forget; callbacks: the request answered
  std::string sender;           // a component id, "$host" or "$down"
  // Inline up to Payload::kInline bytes. A message from publish carries its topic here too,
  // ahead of the message's own bytes (one field less in every envelope: 120 bytes, not 152).
  Payload payload;
  std::uint16_t topic_size = 0;  // messages from publish: the topic's length (at most 256)
  // kRestart: when to start (runtime clock, ns); kStart: which scheduled restart this is (its
  // token).
  std::int64_t control = 0;

  std::string_view topic() const { return payload.view().substr(0, topic_size); }
  // The message's own bytes (the payload without the topic).
  std::span<const std::uint8_t> body() const { return payload.bytes().subspan(topic_size); }
  // A message published on `topic` (a valid topic: at most 256 bytes, from this host or,
  // checked by the cluster link, from another).
  static Envelope published(std::string sender, std::string_view topic, std::span<const std::uint8_t> bytes) {
    if (topic.size() > UINT16_MAX) throw std::length_error("topic too long for an envelope");
    Envelope e;
    e.sender = std::move(sender);
    e.payload = Payload(topic, bytes);
    e.topic_size = static_cast<std::uint16_t>(topic.size());
    return e;
  }
};

}  // namespace wactor::actor
