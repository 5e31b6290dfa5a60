// One component's view of the store: the write set of the handler call running now, the
// write sets of the calls that succeeded but are not yet durable, and its usage against its
// quota. Reads see all of them over what is committed (the overlay).
// Used only by the component's own worker: not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"

namespace wactor::storage {

class Space {
 public:
  Space(GroupCommitter& committer, std::string space, std::uint64_t quota_bytes)
      : committer_(committer), space_(std::move(space)), quota_(quota_bytes) {
    committer_.store().open_space(space_);
  }

  // A handler call starts: what an earlier call left unaccepted is discarded.
  void begin_call();
  // The call returned 0: its writes join the ones awaiting commit.
  void accept_call();
  // Some accepted writes are not yet durable.
  bool pending() const { return !batch_.empty(); }
  // Makes the accepted writes durable (grouped with other components' by the committer).
  // On failure none of them is applied and they are dropped.
  [[nodiscard]] Status commit();

  enum class SetOutcome { kOk, kOverQuota };
  [[nodiscard]] Result<std::optional<std::string>> get(std::string_view key);
  [[nodiscard]] Result<SetOutcome> set(std::string_view key, std::string_view value);
  // False if there was no such key.
  [[nodiscard]] Result<bool> remove(std::string_view key);
  // Up to `limit` keys starting with `prefix`, greater than `after`, ascending.
  [[nodiscard]] Result<std::vector<std::string>> keys(std::string_view prefix, std::string_view after,
                                                      std::size_t limit);
  // Keys + values, the running call's writes included.
  [[nodiscard]] Result<std::uint64_t> usage();

 private:
  using Overlay = std::map<std::string, std::optional<std::string>, std::less<>>;
  // The current value: the call's write, else the batch's, else the store's.
  Result<std::optional<std::string>> lookup(std::string_view key);
  Result<std::uint64_t> committed_usage();

  GroupCommitter& committer_;
  const std::string space_;
  const std::uint64_t quota_;
  std::optional<std::uint64_t> committed_;  // loaded on first use
  Overlay call_, batch_;
  std::int64_t call_delta_ = 0, batch_delta_ = 0;
};

}  // namespace wactor::storage
