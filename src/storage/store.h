// Per-component key-value storage (docs/STORAGE.md): the backend interface, and the group
// committer that turns the write sets of handlers finishing together into one transaction.
// A backend knows nothing of components: a "space" is a component's id.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wactor/result.h"

namespace wactor::storage {

inline constexpr std::size_t kMaxKeyBytes = 1024;

// One write: a value to set, or nullopt to delete the key.
struct Write {
  std::string key;
  std::optional<std::string> value;
};

// What one component's committed handlers wrote, in order (a key at most once).
struct WriteSet {
  std::string space;
  std::vector<Write> writes;
};

// A backend (SQLite today; a JetStream key-value bucket is the second one the interface is
// shaped for). Every method may be called from any thread. @threadsafe
class Store {
 public:
  virtual ~Store() = default;
  // The value of `key` in `space`, or nullopt if there is none.
  [[nodiscard]] virtual Result<std::optional<std::string>> get(std::string_view space, std::string_view key) = 0;
  // Up to `limit` keys of `space` starting with `prefix` and greater than `after`, ascending
  // (bytewise).
  [[nodiscard]] virtual Result<std::vector<std::string>> keys(std::string_view space, std::string_view prefix,
                                                              std::string_view after, std::size_t limit) = 0;
  // The bytes (keys + values) `space` holds.
  [[nodiscard]] virtual Result<std::uint64_t> usage(std::string_view space) = 0;
  // Applies every set atomically (all or none) and durably (docs/STORAGE.md, "Durability").
  [[nodiscard]] virtual Status commit(std::span<const WriteSet> sets) = 0;
  // A component with this space starts on this host: forget what is cached of the space (it
  // may have run on another host meanwhile).
  virtual void open_space(std::string_view space) { (void)space; }
};

enum class Synchronous : std::uint8_t {
  kNormal,  // WAL, no flush per commit: survives a crash of the process (SIGKILL), not of the machine
  kFull,    // WAL, a flush per (grouped) commit: survives a power loss too
};

struct SqliteOptions {
  std::string path;
  Synchronous synchronous = Synchronous::kNormal;
  // Caps the database at that many pages (4 KiB); 0: no cap. Tests simulate a full disk with it.
  std::uint64_t max_pages = 0;
};

// Opens (creating) the database; one line naming the file if it is corrupt, locked by
// another process, or cannot be created.
[[nodiscard]] Result<std::unique_ptr<Store>> open_sqlite(const SqliteOptions& options);

// Commits write sets for many callers: the first caller waiting commits everything queued
// meanwhile in one transaction (group commit), the others wait for it. If a group fails,
// each set is retried alone so that one set (a full disk) does not fail the others.
// @threadsafe
class GroupCommitter {
 public:
  explicit GroupCommitter(Store& store) : store_(store) {}
  // Returns once `set` is durable, or failed (nothing of it applied).
  [[nodiscard]] Status commit(WriteSet set);
  Store& store() { return store_; }
  struct Stats {
    std::uint64_t transactions = 0;  // backend commits
    std::uint64_t sets = 0;          // write sets committed
  };
  Stats stats() const;

 private:
  struct Ticket {
    WriteSet set;
    bool done = false;
    Status status;
  };
  Store& store_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Ticket*> queue_;
  bool committing_ = false;
  Stats stats_;
};

}  // namespace wactor::storage
