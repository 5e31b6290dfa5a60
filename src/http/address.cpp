#include "http/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

namespace wactor::http {

Result<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return make_error(ErrorCode::kInvalidArgument, "listen address '" + std::string(text) + "': expected ADDR:PORT");
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value > 65535) {
    return make_error(ErrorCode::kInvalidArgument, "listen address '" + std::string(text) + "': bad port");
  }
  in6_addr a6{};
  in_addr a4{};
  const std::string h(host);
  if (inet_pton(AF_INET, h.c_str(), &a4) != 1 && inet_pton(AF_INET6, h.c_str(), &a6) != 1) {
    return make_error(ErrorCode::kInvalidArgument, "listen address '" + std::string(text) + "': not an IP address");
  }
  return std::pair<std::string, std::uint16_t>{h, static_cast<std::uint16_t>(value)};
}

bool is_loopback(std::string_view address) {
  const std::string h(address);
  in_addr a4{};
  if (inet_pton(AF_INET, h.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6{};
  if (inet_pton(AF_INET6, h.c_str(), &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
  return false;
}

}  // namespace wactor::http
