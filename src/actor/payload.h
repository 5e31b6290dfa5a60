// A message's bytes: up to kInline bytes stored in place (no allocation, nothing freed on
// another thread), larger ones in a std::string moved in or allocated once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace wactor::actor {

class Payload {
 public:
  static constexpr std::size_t kInline = 48;

  Payload() noexcept : size_(0), inline_(true) {}
  // Copies: inline when small enough.
  explicit Payload(std::span<const std::uint8_t> bytes) { init(reinterpret_cast<const char*>(bytes.data()), bytes.size()); }
  explicit Payload(std::string_view s) { init(s.data(), s.size()); }
  Payload(const std::string& s) { init(s.data(), s.size()); }  // NOLINT: implicit, like the std::string it replaced
  Payload(const char* s) { init(s, std::strlen(s)); }          // NOLINT
  // A big string is kept as it is (a big HTTP body moves in without a copy); a small one is
  // copied in place so nothing of it is freed by the receiving thread.
  Payload(std::string&& s) {  // NOLINT
    if (s.size() <= kInline) {
      init(s.data(), s.size());
    } else {
      inline_ = false;
      size_ = 0;
      new (&big_) std::string(std::move(s));
    }
  }
  Payload(Payload&& o) noexcept { steal(o); }
  Payload(const Payload& o) {
    if (o.inline_) {
      inline_ = true;
      size_ = o.size_;
      std::memcpy(small_, o.small_, o.size_);
    } else {
      inline_ = false;
      size_ = 0;
      new (&big_) std::string(o.big_);
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

  std::size_t size() const noexcept { return inline_ ? size_ : big_.size(); }
  bool empty() const noexcept { return size() == 0; }
  const char* data() const noexcept { return inline_ ? small_ : big_.data(); }
  std::string_view view() const noexcept { return {data(), size()}; }
  operator std::string_view() const noexcept { return view(); }  // NOLINT
  std::span<const std::uint8_t> bytes() const noexcept {
    return {reinterpret_cast<const std::uint8_t*>(data()), size()};
  }
  // The bytes as a std::string (moved out when held as one).
  std::string take() && {
    if (inline_) return std::string(small_, size_);
    return std::move(big_);
  }
  bool is_inline() const noexcept { return inline_; }

  friend bool operator==(const Payload& a, std::string_view b) noexcept { return a.view() == b; }

 private:
  void init(const char* p, std::size_t n) {
    if (n <= kInline) {
      inline_ = true;
      size_ = static_cast<std::uint32_t>(n);
      if (n) std::memcpy(small_, p, n);
    } else {
      inline_ = false;
      size_ = 0;
      new (&big_) std::string(p, n);
    }
  }
  void steal(Payload& o) noexcept {
    inline_ = o.inline_;
    if (o.inline_) {
      size_ = o.size_;
      std::memcpy(small_, o.small_, o.size_);
    } else {
      size_ = 0;
      new (&big_) std::string(std::move(o.big_));
    }
  }
  void destroy() noexcept {
    if (!inline_) big_.~basic_string();
    inline_ = true;
    size_ = 0;
  }

  union {
    char small_[kInline];
    std::string big_;
  };
  std::uint32_t size_;  // inline only
  bool inline_;
};

}  // namespace wactor::actor
