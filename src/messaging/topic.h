// Topics and topic patterns, segment-aware.
//   topic:   segments of [A-Za-z0-9_-]+ separated by '.', e.g. "orders.eu.created"
//   pattern: like a topic, where a segment may be "*" (exactly one segment) or, as the
//            last segment only, "#" (zero or more segments): "orders.*.created", "orders.#".
// Matching is by whole segments: "a.*" matches "a.b" but never "ab.c" or "a.b.c".
#pragma once

#include <string_view>

namespace wactor::messaging {

[[nodiscard]] bool valid_topic(std::string_view topic);
[[nodiscard]] bool valid_pattern(std::string_view pattern);
// Both arguments must be valid.
[[nodiscard]] bool topic_matches(std::string_view pattern, std::string_view topic);
// True if every topic `inner` can match is matched by `outer` (both valid patterns).
[[nodiscard]] bool pattern_covers(std::string_view outer, std::string_view inner);

}  // namespace wactor::messaging
