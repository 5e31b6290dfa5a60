// `wactor new <lang> NAME`: writes a ready-to-build component project from the template
// built into the binary (sdk/<lang>/template/, {{name}} substituted) and a copy of the
// SDK it needs (sdk/<lang>/ outside template/, into <project>/sdk/). docs/CLI.md.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cli/sdk_files.h"
#include "wactor/cli.h"

namespace wactor::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTemplateDir = "template/";

// Languages with a template: the directories sdk/<lang>/template/.
std::set<std::string> languages() {
  std::set<std::string> out;
  for (const auto& f : kSdkFiles) {
    const auto slash = f.path.find('/');
    if (slash == std::string_view::npos) continue;
    if (f.path.substr(slash + 1).starts_with(kTemplateDir)) out.emplace(f.path.substr(0, slash));
  }
  return out;
}

std::string canonical_language(std::string lang) {
  if (lang == "as") return "assemblyscript";
  if (lang == "c++") return "cpp";
  return lang;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

std::string substitute(std::string_view text, const std::string& name) {
  std::string ident = name;
  std::replace(ident.begin(), ident.end(), '-', '_');
  return replace_all(replace_all(std::string(text), "{{name_ident}}", ident), "{{name}}", name);
}

std::string language_list() {
  std::string out;
  for (const auto& l : languages()) out += (out.empty() ? "" : ", ") + l;
  return out;
}

}  // namespace

int new_project(const NewOptions& o, std::ostream& out, std::ostream& err) {
  const std::string lang = canonical_language(o.language);
  if (!languages().contains(lang)) {
    err << "wactor new: no template for language '" << o.language << "' (have: " << language_list() << ")\n";
    return kExitUsage;
  }
  if (!std::regex_match(o.name, std::regex("[A-Za-z][A-Za-z0-9_-]{0,63}"))) {
    err << "wactor new: bad name '" << o.name
        << "': 1 to 64 characters from A-Z a-z 0-9 _ -, starting with a letter (it is the component's id)\n";
    return kExitUsage;
  }
  const fs::path dir = o.dir.empty() ? fs::path(o.name) : fs::path(o.dir);
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    err << "wactor new: " << dir.string() << " already exists\n";
    return kExitError;
  }
  const std::string prefix = lang + "/";
  std::size_t written = 0;
  for (const auto& f : kSdkFiles) {
    if (!f.path.starts_with(prefix)) continue;
    const std::string_view rel = f.path.substr(prefix.size());
    fs::path dest;
    std::string bytes;
    if (rel.starts_with(kTemplateDir)) {
      dest = dir / substitute(rel.substr(kTemplateDir.size()), o.name);
      bytes = substitute(f.bytes, o.name);
    } else {
      dest = dir / "sdk" / std::string(rel);
      bytes = std::string(f.bytes);
    }
    fs::create_directories(dest.parent_path(), ec);
    std::ofstream file(dest, std::ios::binary | std::ios::trunc);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    file.close();
    if (!file) {
      err << "wactor new: " << dest.string() << ": cannot write: " << std::strerror(errno) << "\n";
      return kExitError;
    }
    if (dest.extension() == ".sh") {
      fs::permissions(dest, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                      fs::perm_options::add, ec);
    }
    ++written;
  }
  out << "wactor new: " << dir.string() << ": a " << lang << " component '" << o.name << "' (" << written
      << " files); build and run it as " << (dir / "README.md").string() << " says\n";
  return kExitOk;
}

std::string new_languages() { return language_list(); }

}  // namespace wactor::cli
