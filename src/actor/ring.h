// A growable ring buffer (a double-ended FIFO) that allocates only when it grows past its
// capacity or gives back a large buffer: the mailbox's queue. Not thread-safe by itself.
#pragma once

#include <cassert>
#include <cstddef>
#include <memory>
#include <utility>

namespace wactor::actor {

template <typename T>
class Ring {
 public:
  // An emptied ring keeps a buffer of up to kKeep slots (steady traffic allocates nothing);
  // a larger one is freed so a burst does not pin its memory.
  static constexpr std::size_t kKeep = 16;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t capacity() const { return cap_; }

  T& operator[](std::size_t i) { return buf_[slot(i)]; }
  const T& operator[](std::size_t i) const { return buf_[slot(i)]; }
  T& front() { return buf_[head_]; }

  void push_back(T&& v) {
    if (size_ == cap_) grow(size_ + 1);
    buf_[slot(size_)] = std::move(v);
    ++size_;
  }
  void push_front(T&& v) {
    if (size_ == cap_) grow(size_ + 1);
    head_ = (head_ + cap_ - 1) & (cap_ - 1);
    buf_[head_] = std::move(v);
    ++size_;
  }
  // Moves the first element out.
  T pop_front() {
    assert(size_ > 0);
    T v = std::move(buf_[head_]);
    head_ = (head_ + 1) & (cap_ - 1);
    --size_;
    return v;
  }
  // Moves [first, last) in, in order, so that the first of them is at index `at` (rare: a
  // batch given back; it rebuilds the buffer).
  template <typename It>
  void insert(std::size_t at, It first, It last) {
    const std::size_t n = static_cast<std::size_t>(last - first);
    if (n == 0) return;
    std::size_t cap = cap_ ? cap_ : 4;
    while (cap < size_ + n) cap *= 2;
    auto buf = std::make_unique<T[]>(cap);
    std::size_t j = 0;
    for (std::size_t i = 0; i < at; ++i) buf[j++] = std::move(buf_[slot(i)]);
    for (; first != last; ++first) buf[j++] = std::move(*first);
    for (std::size_t i = at; i < size_; ++i) buf[j++] = std::move(buf_[slot(i)]);
    buf_ = std::move(buf);
    cap_ = cap;
    head_ = 0;
    size_ = j;
  }
  // After elements were taken: frees a large buffer left empty.
  void trim() {
    if (size_ == 0 && cap_ > kKeep) {
      buf_.reset();
      cap_ = 0;
      head_ = 0;
    }
  }

 private:
  std::size_t slot(std::size_t i) const { return (head_ + i) & (cap_ - 1); }

  void grow(std::size_t need) {
    std::size_t cap = cap_ ? cap_ * 2 : 4;
    while (cap < need) cap *= 2;
    auto buf = std::make_unique<T[]>(cap);
    for (std::size_t i = 0; i < size_; ++i) buf[i] = std::move(buf_[slot(i)]);
    buf_ = std::move(buf);
    cap_ = cap;
    head_ = 0;
  }

  std::unique_ptr<T[]> buf_;
  std::size_t cap_ = 0;  // a power of two, or 0
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace wactor::actor
