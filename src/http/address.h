// Listen addresses: "ADDR:PORT" as the manifest and the command line write them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "wactor/result.h"

namespace wactor::http {

// Parses "ADDR:PORT" ("127.0.0.1:8080", "[::1]:0", ":8080" = every IPv4 address).
[[nodiscard]] Result<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text);
// True for 127.0.0.0/8 and ::1.
[[nodiscard]] bool is_loopback(std::string_view address);

}  // namespace wactor::http
