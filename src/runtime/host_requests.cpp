#include "runtime/host_requests.h"

namespace wactor::runtime {

void HostRequests::finish(std::int64_t id, std::int32_t status, std::string payload) {
  Entry e;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    e = std::move(it->second);
    entries_.erase(it);
  }
  HostReply reply{status, std::move(payload), e.http_status, std::move(e.http_headers), e.failed};
  if (e.done) e.done(std::move(reply));
}

void HostRequests::mark_failed(std::int64_t id) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(id); it != entries_.end()) it->second.failed = true;
}

void HostRequests::drop(std::int64_t id) {
  std::lock_guard lock(mu_);
  entries_.erase(id);
}

bool HostRequests::with_http(std::int64_t id, const std::function<void(Entry&)>& fn) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.http) return false;
  fn(it->second);
  return true;
}

std::size_t HostRequests::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace wactor::runtime
