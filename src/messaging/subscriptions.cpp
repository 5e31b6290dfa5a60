#include "messaging/subscriptions.h"

#include <algorithm>
#include <mutex>

#include "messaging/topic.h"

namespace wactor::messaging {

bool Subscriptions::add(ComponentIndex who, std::string_view pattern) {
  std::unique_lock lock(mu_);
  for (const auto& e : entries_) {
    if (e.who == who && e.pattern == pattern) return false;
  }
  entries_.push_back(Entry{who, std::string(pattern)});
  return true;
}

bool Subscriptions::remove(ComponentIndex who, std::string_view pattern) {
  std::unique_lock lock(mu_);
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.who == who && e.pattern == pattern; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

void Subscriptions::remove_all(ComponentIndex who) {
  std::unique_lock lock(mu_);
  std::erase_if(entries_, [&](const Entry& e) { return e.who == who; });
}

std::vector<ComponentIndex> Subscriptions::matching(std::string_view topic) const {
  std::vector<ComponentIndex> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& e : entries_) {
      if (topic_matches(e.pattern, topic)) out.push_back(e.who);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace wactor::messaging
