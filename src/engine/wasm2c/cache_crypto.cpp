#include "engine/wasm2c/cache_crypto.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wactor::engine::aot {

struct Sha256::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) { EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr); }
Sha256::~Sha256() = default;

void Sha256::update(std::span<const std::uint8_t> bytes) { EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size()); }
void Sha256::update(std::string_view text) { EVP_DigestUpdate(ctx_->md, text.data(), text.size()); }

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_->md, digest, &n);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

Mac hmac_sha256(const MacKey& key, std::span<const std::uint8_t> data) {
  Mac mac{};
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), mac.data(), &n);
  return mac;
}

bool mac_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

Result<MacKey> read_key(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::kIo, path + ": " + std::strerror(errno));
  struct stat st {};
  MacKey key{};
  const bool stat_ok = ::fstat(fd, &st) == 0;
  const ssize_t n = stat_ok ? ::read(fd, key.data(), key.size()) : -1;
  ::close(fd);
  if (!stat_ok || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0 ||
      st.st_size != static_cast<off_t>(key.size()) || n != static_cast<ssize_t>(key.size())) {
    return make_error(ErrorCode::kFailedPrecondition,
                      path + ": the aot cache key must be a " + std::to_string(key.size()) +
                          "-byte regular file owned by this user with mode 0600; refusing the cache");
  }
  return key;
}

}  // namespace

Result<MacKey> load_or_create_key(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) return read_key(path);
  MacKey key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return make_error(ErrorCode::kInternal, "no random bytes for the aot cache key");
  }
  // Written whole to a temp file, then linked into place: a concurrent creator's key wins
  // and is read back.
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return make_error(ErrorCode::kIo, tmp + ": " + std::strerror(errno));
  const bool written = ::fchmod(fd, 0600) == 0 && ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  const bool linked = written && ::link(tmp.c_str(), path.c_str()) == 0;
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (!linked && !(written && link_errno == EEXIST)) {
    return make_error(ErrorCode::kIo, path + ": cannot create the aot cache key: " + std::strerror(link_errno));
  }
  return read_key(path);
}

}  // namespace wactor::engine::aot
