// The application manifest (TOML): components, initial messages, runtime settings.
// docs/MANIFEST.md describes the format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wactor/result.h"

namespace wactor {

// Limits as written; unset keys fall back (component -> [runtime] -> built-in default).
struct ManifestLimits {
  std::optional<std::uint64_t> fuel;
  std::optional<std::int64_t> deadline_ms;
  std::optional<std::uint64_t> max_memory_bytes;
};

struct ManifestComponent {
  std::string id;
  std::string wasm;           // resolved against the manifest's directory
  std::string config;
  std::size_t mailbox_capacity = 0;  // 0: runtime default
  ManifestLimits limits;
  std::vector<std::string> send, request, publish, subscribe;  // capability grants (deny by default)
  int line = 0;               // where it is declared, for messages
};

struct ManifestMessage {
  std::string to;
  std::string payload;
  int line = 0;
};

struct ManifestRuntime {
  std::optional<unsigned> workers;
  std::optional<std::int64_t> default_timeout_ms;
  std::optional<std::size_t> mailbox_capacity;
  std::optional<std::size_t> max_payload_bytes;
  std::optional<std::string> engine;
  std::optional<std::string> audit_log;  // resolved against the manifest's directory
  ManifestLimits limits;
};

struct Manifest {
  std::string path;
  ManifestRuntime runtime;
  std::vector<ManifestComponent> components;
  std::vector<ManifestMessage> messages;
};

// Parses manifest text; `path` is used in messages ("app.toml:12: ...") and to resolve wasm paths.
[[nodiscard]] Result<Manifest> parse_manifest(std::string_view text, std::string_view path);
// Reads and parses a manifest file.
[[nodiscard]] Result<Manifest> load_manifest(const std::string& path);

}  // namespace wactor
