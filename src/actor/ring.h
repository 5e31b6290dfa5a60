// A double-ended FIFO of fixed-size blocks: the mailbox's queue. Growing allocates one block
// and never moves an element (a doubling ring moved every queued envelope at each doubling,
// and a backlog that filled and drained again paid it all again: ~15 % of a one-core
// stream's time, docs/BENCHMARKS.md). Slots are raw storage until an element is placed.
// Not thread-safe by itself.
#pragma once

#include <cassert>
#include <cstddef>
#include <iterator>
#include <new>
#include <utility>
#include <vector>

namespace wactor::actor {

template <typename T>
class Ring {
 public:
  // Elements per block. Blocks emptied at the front are kept as spares for the back (up to
  // kSpares: a consumer that takes 64 envelopes at once empties four), so a stream allocates
  // nothing; an emptied ring keeps one block and frees the rest.
  static constexpr std::size_t kBlock = 16;
  static constexpr std::size_t kKeep = kBlock;
  static constexpr std::size_t kSpares = 8;

  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    while (size_ > 0) drop_front();
    for (std::size_t k = 0; k < count_; ++k) free_block(block(k));
    while (spares_ > 0) free_block(spare_[--spares_]);
    delete[] map_;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Slots allocated (blocks in use and the spare).
  std::size_t capacity() const { return (count_ + spares_) * kBlock; }

  T& operator[](std::size_t i) { return *at(head_ + i); }
  const T& operator[](std::size_t i) const { return *at(head_ + i); }
  T& front() { return *at(head_); }

  void push_back(T&& v) {
    const std::size_t p = head_ + size_;
    if (p == count_ * kBlock) add_block(false);
    ::new (static_cast<void*>(at(p))) T(std::move(v));
    ++size_;
  }
  void push_front(T&& v) {
    if (head_ == 0) {
      if (size_ > 0 || count_ == 0) add_block(true);
      head_ = kBlock;
    }
    ::new (static_cast<void*>(at(head_ - 1))) T(std::move(v));
    --head_;
    ++size_;
  }
  // Moves the first element out.
  T pop_front() {
    T v = std::move(front());
    drop_front();
    return v;
  }
  // Destroys the first element (after front() was moved out: one move, not two).
  void drop_front() noexcept {
    assert(size_ > 0);
    at(head_)->~T();
    --size_;
    if (++head_ == kBlock) {
      drop_front_block();
      head_ = 0;
    }
    if (size_ == 0) {
      head_ = 0;
      while (count_ > 1) drop_front_block();  // a front block pushed onto an empty ring
    }
  }
  // Moves [first, last) in, in order, so that the first of them is at index `at_index` (rare:
  // a batch given back; it rebuilds the queue).
  template <typename It>
  void insert(std::size_t at_index, It first, It last) {
    if (first == last) return;
    // Everything that allocates first (blocks for the grown queue, the buffer for the tail):
    // a failure leaves the queue as it was; the moves after it do not throw.
    const auto n = static_cast<std::size_t>(std::distance(first, last));
    while (count_ * kBlock < head_ + size_ + n) add_block(false);
    std::vector<T> rest;
    rest.reserve(size_ - at_index);
    while (size_ > at_index) rest.push_back(pop_back());
    for (; first != last; ++first) push_back(std::move(*first));
    for (auto it = rest.rbegin(); it != rest.rend(); ++it) push_back(std::move(*it));
  }
  // After elements were taken: an empty ring frees its spare blocks and a large block map.
  void trim() {
    if (size_ != 0) return;
    while (count_ > 1) drop_front_block();  // e.g. blocks an insert() added before it failed
    while (spares_ > 0) free_block(spare_[--spares_]);
    if (mcap_ > kMinMap) {
      T** map = new T*[kMinMap];
      if (count_ > 0) map[0] = block(0);
      delete[] map_;
      map_ = map;
      mcap_ = kMinMap;
      mhead_ = 0;
    }
  }

 private:
  static constexpr std::size_t kMinMap = 4;
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);

  T* block(std::size_t k) const { return map_[(mhead_ + k) & (mcap_ - 1)]; }
  T* at(std::size_t p) const { return block(p / kBlock) + p % kBlock; }

  static T* new_block() { return static_cast<T*>(::operator new(kBlock * sizeof(T))); }
  static void free_block(T* b) {
    if (b) ::operator delete(b);
  }

  // Adds a block at the front or the back of the map (the spare if there is one).
  void add_block(bool front) {
    if (count_ == mcap_) grow_map();
    T* b = spares_ > 0 ? spare_[--spares_] : new_block();
    if (front) {
      mhead_ = (mhead_ + mcap_ - 1) & (mcap_ - 1);
      map_[mhead_] = b;
    } else {
      map_[(mhead_ + count_) & (mcap_ - 1)] = b;
    }
    ++count_;
  }
  void drop_front_block() {
    T* b = block(0);
    mhead_ = (mhead_ + 1) & (mcap_ - 1);
    --count_;
    if (spares_ < kSpares) {
      spare_[spares_++] = b;
    } else {
      free_block(b);
    }
  }
  void grow_map() {
    const std::size_t cap = mcap_ ? mcap_ * 2 : kMinMap;
    T** map = new T*[cap];
    for (std::size_t k = 0; k < count_; ++k) map[k] = block(k);
    delete[] map_;
    map_ = map;
    mcap_ = cap;
    mhead_ = 0;
  }
  // Moves the last element out (insert() only).
  T pop_back() {
    assert(size_ > 0);
    T* slot = at(head_ + size_ - 1);
    T v = std::move(*slot);
    slot->~T();
    --size_;
    // A block left empty at the back stays until the next push_back reuses it.
    return v;
  }

  T** map_ = nullptr;       // block pointers, a ring of mcap_ (a power of two, or 0)
  std::size_t mcap_ = 0;
  std::size_t mhead_ = 0;   // map index of the first block
  std::size_t count_ = 0;   // blocks in use
  T* spare_[kSpares] = {};  // emptied blocks kept for the next add_block
  std::size_t spares_ = 0;
  std::size_t head_ = 0;    // slot of the first element in the first block
  std::size_t size_ = 0;
};

}  // namespace wactor::actor
