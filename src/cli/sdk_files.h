// The SDKs and their project templates, built into the binary (cmake/EmbedTree.cmake) for
// `wactor new` (src/cli/new.cpp).
#pragma once

#include <string_view>
#include <vector>

namespace wactor::cli {

struct SdkFile {
  std::string_view path;   // relative to sdk/: "rust/src/lib.rs", "c/template/app.toml"
  std::string_view bytes;
};

extern const std::vector<SdkFile> kSdkFiles;

}  // namespace wactor::cli
