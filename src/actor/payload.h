// A message's bytes: up to kInline bytes stored in place (no allocation, nothing freed on
// another thread); larger copies in a recycled buffer (actor/buffer_pool.h: freeing it on the
// receiver's thread does not contend with the sender's allocator); a std::string moved in is
// kept as it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "actor/buffer_pool.h"

namespace wactor::actor {

class Payload {
 public:
  static constexpr std::size_t kInline = 48;

  Payload() noexcept : size_(0), kind_(Kind::kInline) {}
  // Copies: inline when small enough, else into a pooled buffer.
  explicit Payload(std::span<const std::uint8_t> bytes) { init(reinterpret_cast<const char*>(bytes.data()), bytes.size()); }
  explicit Payload(std::string_view s) { init(s.data(), s.size()); }
  // `head` then `tail`, in one buffer.
  Payload(std::string_view head, std::span<const std::uint8_t> tail) {
    const std::size_t n = head.size() + tail.size();
    if (n <= kInline) {
      size_ = static_cast<std::uint32_t>(n);
      kind_ = Kind::kInline;
      if (!head.empty()) std::memcpy(small_, head.data(), head.size());
      if (!tail.empty()) std::memcpy(small_ + head.size(), tail.data(), tail.size());
      return;
    }
    if (n > UINT32_MAX) {
      std::string joined(head);
      joined.append(reinterpret_cast<const char*>(tail.data()), tail.size());
      init(joined.data(), joined.size());
      return;
    }
    size_ = static_cast<std::uint32_t>(n);
    kind_ = Kind::kPooled;
    pooled_.data = BufferPool::acquire(n, &pooled_.capacity);
    if (!head.empty()) std::memcpy(pooled_.data, head.data(), head.size());
    if (!tail.empty()) std::memcpy(pooled_.data + head.size(), tail.data(), tail.size());
  }
  Payload(const std::string& s) { init(s.data(), s.size()); }  // NOLINT: implicit, like the std::string it replaced
  Payload(const char* s) { init(s, std::strlen(s)); }          // NOLINT
  // A big string is kept as it is (a big HTTP body moves in without a copy); a small one is
  // copied in place so nothing of it is freed by the receiving thread.
  Payload(std::string&& s) {  // NOLINT
    if (s.size() <= kInline) {
      init(s.data(), s.size());
    } else {
      kind_ = Kind::kString;
      size_ = 0;
      new (&big_) std::string(std::move(s));
    }
  }
  Payload(Payload&& o) noexcept { steal(o); }
  Payload(const Payload& o) {
    if (o.kind_ == Kind::kString) {
      kind_ = Kind::kString;
      size_ = 0;
      new (&big_) std::string(o.big_);
    } else {
      init(o.data(), o.size());
    }
  }
  Payload& operator=(Payload&& o) noexcept {
    if (this != &o) {
      destroy();
      steal(o);
    }
    return *this;
  }
  Payload& operator=(const Payload& o) {
    if (this != &o) {
      Payload copy(o);
      *this = std::move(copy);
    }
    return *this;
  }
  ~Payload() { destroy(); }

  std::size_t size() const noexcept { return kind_ == Kind::kString ? big_.size() : size_; }
  bool empty() const noexcept { return size() == 0; }
  const char* data() const noexcept {
    return kind_ == Kind::kInline ? small_ : kind_ == Kind::kPooled ? pooled_.data : big_.data();
  }
  std::string_view view() const noexcept { return {data(), size()}; }
  operator std::string_view() const noexcept { return view(); }  // NOLINT
  std::span<const std::uint8_t> bytes() const noexcept {
    return {reinterpret_cast<const std::uint8_t*>(data()), size()};
  }
  // The bytes as a std::string (moved out when held as one).
  std::string take() && {
    if (kind_ == Kind::kString) return std::move(big_);
    return std::string(data(), size());
  }
  bool is_inline() const noexcept { return kind_ == Kind::kInline; }
  bool is_pooled() const noexcept { return kind_ == Kind::kPooled; }

  friend bool operator==(const Payload& a, std::string_view b) noexcept { return a.view() == b; }

 private:
  enum class Kind : std::uint8_t { kInline, kPooled, kString };

  void init(const char* p, std::size_t n) {
    size_ = static_cast<std::uint32_t>(n);
    if (n <= kInline) {
      kind_ = Kind::kInline;
      if (n) std::memcpy(small_, p, n);
    } else if (n > UINT32_MAX) {
      kind_ = Kind::kString;
      size_ = 0;
      new (&big_) std::string(p, n);
    } else {
      kind_ = Kind::kPooled;
      pooled_.data = BufferPool::acquire(n, &pooled_.capacity);
      std::memcpy(pooled_.data, p, n);
    }
  }
  void steal(Payload& o) noexcept {
    kind_ = o.kind_;
    size_ = o.size_;
    switch (o.kind_) {
      case Kind::kInline: std::memcpy(small_, o.small_, o.size_); break;
      case Kind::kPooled:
        pooled_ = o.pooled_;
        o.kind_ = Kind::kInline;  // the buffer is ours now
        o.size_ = 0;
        break;
      case Kind::kString: new (&big_) std::string(std::move(o.big_)); break;
    }
  }
  void destroy() noexcept {
    if (kind_ == Kind::kString) big_.~basic_string();
    if (kind_ == Kind::kPooled) BufferPool::release(pooled_.data, pooled_.capacity);
    kind_ = Kind::kInline;
    size_ = 0;
  }

  struct Pooled {
    char* data;
    std::size_t capacity;
  };
  union {
    char small_[kInline];
    std::string big_;
    Pooled pooled_;
  };
  std::uint32_t size_;  // inline and pooled
  Kind kind_;
};

}  // namespace wactor::actor
