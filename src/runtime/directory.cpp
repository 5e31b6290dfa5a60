#include "runtime/directory.h"

#include <algorithm>

#include "actor/component.h"

namespace wactor::runtime {
namespace {
constexpr std::uint64_t kMostHandles = 1ull << 24;  // 16M slots
}

Directory::Directory(std::uint64_t max_components)
    : limit_(max_components == 0 ? kMostHandles : std::min(max_components, kMostHandles)),
      shards_(std::make_unique<Shard[]>(kShards)) {
  // One more slot than the limit: slot 0 is never used.
  chunk_count_ = static_cast<std::uint32_t>((limit_ + 1 + kChunk - 1) / kChunk);
  chunks_ = std::make_unique<std::atomic<Slot*>[]>(chunk_count_);
  for (std::uint32_t i = 0; i < chunk_count_; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
}

Directory::~Directory() {
  for (std::uint32_t i = 0; i < chunk_count_; ++i) delete[] chunks_[i].load(std::memory_order_relaxed);
}

Directory::Slot* Directory::slot(std::uint32_t index) const {
  const std::uint32_t chunk = index >> kChunkBits;
  if (chunk >= chunk_count_) return nullptr;
  Slot* base = chunks_[chunk].load(std::memory_order_acquire);
  return base ? base + (index & (kChunk - 1)) : nullptr;
}

std::optional<Handle> Directory::open() {
  std::lock_guard lock(alloc_mu_);
  if (live_.load(std::memory_order_relaxed) >= limit_) return std::nullopt;
  std::uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = next_slot_++;
    const std::uint32_t chunk = index >> kChunkBits;
    if (chunks_[chunk].load(std::memory_order_relaxed) == nullptr) {
      chunks_[chunk].store(new Slot[kChunk], std::memory_order_release);
    }
  }
  live_.fetch_add(1, std::memory_order_acq_rel);
  Slot* s = slot(index);
  std::lock_guard slot_lock(s->mu);
  return Handle{index} | (Handle{s->generation} << 32);
}

bool Directory::publish(Handle h, const std::string& id, ComponentPtr c) {
  Shard& sh = shard(id);
  {
    std::lock_guard lock(sh.mu);
    if (!sh.by_id.emplace(id, c).second) return false;
    epoch_.fetch_add(1, std::memory_order_acq_rel);
  }
  Slot* s = slot(slot_of(h));
  std::lock_guard lock(s->mu);
  s->ptr = std::move(c);
  return true;
}

void Directory::abandon(Handle h) {
  const std::uint32_t index = slot_of(h);
  {
    Slot* s = slot(index);
    std::lock_guard lock(s->mu);
    ++s->generation;
    if (s->generation == 0) s->generation = 1;
  }
  std::lock_guard lock(alloc_mu_);
  free_slots_.push_back(index);
  live_.fetch_sub(1, std::memory_order_acq_rel);
}

ComponentPtr Directory::find(std::string_view id) const {
  Shard& sh = shard(id);
  std::lock_guard lock(sh.mu);
  auto it = sh.by_id.find(id);
  return it == sh.by_id.end() ? nullptr : it->second;
}

ComponentPtr Directory::at(Handle h) const {
  Slot* s = slot(slot_of(h));
  if (s == nullptr) return nullptr;
  std::lock_guard lock(s->mu);
  if (s->generation != static_cast<std::uint32_t>(h >> 32)) return nullptr;
  return s->ptr;
}

void Directory::close(Handle h, const std::string& id) {
  ComponentPtr gone;
  {
    Shard& sh = shard(id);
    std::lock_guard lock(sh.mu);
    auto it = sh.by_id.find(id);
    if (it != sh.by_id.end() && it->second && it->second->handle() == h) {
      sh.by_id.erase(it);
      epoch_.fetch_add(1, std::memory_order_acq_rel);
    }
  }
  Slot* s = slot(slot_of(h));
  if (s == nullptr) return;
  {
    std::lock_guard lock(s->mu);
    if (s->generation != static_cast<std::uint32_t>(h >> 32)) return;  // closed already
    gone = std::move(s->ptr);
    s->ptr.reset();
    ++s->generation;
    if (s->generation == 0) s->generation = 1;
  }
  {
    std::lock_guard lock(retired_mu_);
    if (gone) retired_.push_back(std::move(gone));
  }
  std::lock_guard lock(alloc_mu_);
  free_slots_.push_back(slot_of(h));
  live_.fetch_sub(1, std::memory_order_acq_rel);
}

void Directory::sweep() {
  std::vector<ComponentPtr> freed;
  {
    std::lock_guard lock(retired_mu_);
    // Only this list holds it: nobody can find it or queue to it any more, so once its
    // mailbox is idle (not scheduled, nothing queued) it stays so.
    auto keep = std::partition(retired_.begin(), retired_.end(),
                               [](const ComponentPtr& c) { return !(c.use_count() == 1 && c->quiescent()); });
    std::move(keep, retired_.end(), std::back_inserter(freed));
    retired_.erase(keep, retired_.end());
  }
  // Destroyed outside the lock.
}

void Directory::for_each(const std::function<void(const ComponentPtr&)>& f) const {
  std::uint32_t end;
  {
    std::lock_guard lock(alloc_mu_);
    end = next_slot_;
  }
  for (std::uint32_t i = 1; i < end; ++i) {
    Slot* s = slot(i);
    if (s == nullptr) continue;
    ComponentPtr c;
    {
      std::lock_guard lock(s->mu);
      c = s->ptr;
    }
    if (c) f(c);
  }
}

std::size_t Directory::retired() const {
  std::lock_guard lock(retired_mu_);
  return retired_.size();
}

}  // namespace wactor::runtime
