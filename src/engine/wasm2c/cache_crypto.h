// The object cache's cryptography, from OpenSSL's libcrypto: SHA-256 cache keys, and an
// HMAC-SHA256 per object under a per-user key that is kept outside the cache directory, so
// only objects this user's wactor compiled are ever loaded.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "wactor/result.h"

namespace wactor::engine::aot {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::span<const std::uint8_t> bytes);
  void update(std::string_view text);
  // Finishes and returns the digest as 64 lowercase hex digits. Call once.
  [[nodiscard]] std::string hex_digest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

inline constexpr std::size_t kMacBytes = 32;
using Mac = std::array<std::uint8_t, kMacBytes>;
using MacKey = std::array<std::uint8_t, 32>;

[[nodiscard]] Mac hmac_sha256(const MacKey& key, std::span<const std::uint8_t> data);
// Constant time.
[[nodiscard]] bool mac_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

// The key in `path` (0600, owned by this user), created with random bytes on first use.
// kFailedPrecondition if the file exists with another owner, other permissions or size.
[[nodiscard]] Result<MacKey> load_or_create_key(const std::string& path);

}  // namespace wactor::engine::aot
