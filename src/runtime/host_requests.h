// Requests the host itself makes (HTTP ingress, the control API): their replies go to a
// callback instead of a mailbox. The correlation table still owns each request's life
// (deadline, exactly-once ending); this registry holds what only host requests carry: the
// callback and, for HTTP, the request head the guest may read and the response head it sets.
// @threadsafe
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "wactor/runtime.h"

namespace wactor::runtime {

// The requester of a host request in the correlation table: never a component's handle
// (slots stay far below 2^32 - 1).
constexpr std::uint64_t kHostRequester = ~std::uint64_t{0};
// The target of a request to a component on another host (src/runtime/remote.cpp).
constexpr std::uint64_t kRemoteTarget = ~std::uint64_t{0} - 1;

class HostRequests {
 public:
  struct Entry {
    HostReplyFn done;
    std::shared_ptr<const HttpRequestHead> http;  // null: not an HTTP request
    std::int32_t http_status = 0;
    std::vector<std::pair<std::string, std::string>> http_headers;
    std::size_t http_header_bytes = 0;
    bool failed = false;  // ended by a failed handler (HostReply::failed)
  };

  // Keeps `entry` under the id `register_request` returns (it adds the request to the
  // correlation table), so that finish() can never run before the entry exists.
  template <class Register>
  auto add(Entry entry, Register&& register_request) {
    std::lock_guard lock(mu_);
    auto added = register_request();
    entries_.emplace(added.id, std::move(entry));
    return added;
  }
  // Ends `id`: removes its entry and runs its callback (on this thread, outside the lock).
  void finish(std::int64_t id, std::int32_t status, std::string payload);
  // The request's handler failed: its ending is the host's, not the guest's answer.
  void mark_failed(std::int64_t id);
  // Forgets `id` without calling back (the request was refused after all).
  void drop(std::int64_t id);
  // Runs `fn(entry)` under the lock if `id` is an open HTTP request; false otherwise.
  bool with_http(std::int64_t id, const std::function<void(Entry&)>& fn);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::int64_t, Entry> entries_;
};

}  // namespace wactor::runtime
