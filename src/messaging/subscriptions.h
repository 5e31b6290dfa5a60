// Who subscribed to which topic patterns. Subscriptions belong to a component's instance:
// they are dropped when the instance is lost (a fresh instance subscribes again in init).
// @threadsafe
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "messaging/correlation_table.h"

namespace wactor::messaging {

class Subscriptions {
 public:
  // False if `who` already had exactly this pattern.
  bool add(ComponentIndex who, std::string_view pattern);
  // False if `who` did not have this pattern.
  bool remove(ComponentIndex who, std::string_view pattern);
  void remove_all(ComponentIndex who);
  // Every component with at least one pattern matching `topic`, each once, in index order.
  std::vector<ComponentIndex> matching(std::string_view topic) const;

 private:
  struct Entry {
    ComponentIndex who;
    std::string pattern;
  };
  mutable std::shared_mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace wactor::messaging
