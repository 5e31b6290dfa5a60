#include "storage/store.h"

namespace wactor::storage {

Status GroupCommitter::commit(WriteSet set) {
  Ticket mine{std::move(set), false, {}};
  std::unique_lock lock(mu_);
  queue_.push_back(&mine);
  while (!mine.done) {
    if (committing_) {
      cv_.wait(lock);
      continue;
    }
    // Leader: commit everything queued (ours included) in one transaction.
    committing_ = true;
    std::vector<Ticket*> group;
    group.swap(queue_);
    lock.unlock();
    std::vector<WriteSet> sets;
    sets.reserve(group.size());
    for (Ticket* t : group) sets.push_back(std::move(t->set));
    Status st = store_.commit(sets);
    std::uint64_t transactions = 1;
    if (!st.ok() && sets.size() > 1) {  // one set may be the culprit: each alone
      transactions = 1 + sets.size();
      for (std::size_t i = 0; i < sets.size(); ++i) group[i]->status = store_.commit(std::span(&sets[i], 1));
    } else {
      for (Ticket* t : group) t->status = st;
    }
    lock.lock();
    for (Ticket* t : group) {
      t->done = true;
      if (t->status.ok()) ++stats_.sets;
    }
    stats_.transactions += transactions;
    committing_ = false;
    cv_.notify_all();
  }
  return mine.status;
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace wactor::storage
