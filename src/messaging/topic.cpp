#include "messaging/topic.h"

namespace wactor::messaging {
namespace {

constexpr std::size_t kMaxTopicLength = 256;

bool segment_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Splits off the next segment of `rest` (consuming the dot after it).
std::string_view next_segment(std::string_view& rest) {
  const auto dot = rest.find('.');
  std::string_view seg = rest.substr(0, dot);
  rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  return seg;
}

template <typename SegmentOk>
bool valid_segments(std::string_view s, SegmentOk ok) {
  if (s.empty() || s.size() > kMaxTopicLength || s.front() == '.' || s.back() == '.') return false;
  std::string_view rest = s;
  while (!rest.empty()) {
    const std::string_view seg = next_segment(rest);
    if (seg.empty() || !ok(seg, rest.empty())) return false;
  }
  return s.find("..") == std::string_view::npos;
}

bool plain_segment(std::string_view seg) {
  for (char c : seg) {
    if (!segment_char(c)) return false;
  }
  return true;
}

}  // namespace

bool valid_topic(std::string_view topic) {
  return valid_segments(topic, [](std::string_view seg, bool) { return plain_segment(seg); });
}

bool valid_pattern(std::string_view pattern) {
  return valid_segments(pattern, [](std::string_view seg, bool last) {
    return seg == "*" || (seg == "#" && last) || plain_segment(seg);
  });
}

bool topic_matches(std::string_view pattern, std::string_view topic) {
  std::string_view p = pattern;
  std::string_view t = topic;
  while (!p.empty()) {
    const std::string_view ps = next_segment(p);
    if (ps == "#") return true;  // the rest, including nothing
    if (t.empty()) return false;
    const std::string_view ts = next_segment(t);
    if (ps != "*" && ps != ts) return false;
  }
  return t.empty();
}

bool pattern_covers(std::string_view outer, std::string_view inner) {
  std::string_view o = outer;
  std::string_view i = inner;
  while (!o.empty()) {
    const std::string_view os = next_segment(o);
    if (os == "#") return true;
    if (i.empty()) return false;
    const std::string_view is = next_segment(i);
    if (is == "#") return false;                    // inner reaches further than one segment
    if (os == "*") continue;                        // covers a plain segment or '*'
    if (is == "*" || os != is) return false;
  }
  return i.empty();
}

}  // namespace wactor::messaging
