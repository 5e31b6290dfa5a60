#include "tally.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace wactor::spec {

long Tally::skipped_total() const {
  long n = 0;
  for (const auto& [reason, count] : skipped) n += count;
  return n;
}

void Tally::add(const Tally& other) {
  passed += other.passed;
  failed += other.failed;
  known += other.known;
  for (const auto& [reason, count] : other.skipped) skipped[reason] += count;
  failures.insert(failures.end(), other.failures.begin(), other.failures.end());
  seconds += other.seconds;
  files += other.files;
}

void Tally::print(std::ostream& out, const std::string& title) const {
  out << title << ": " << files << (files == 1 ? " file, " : " files, ") << (passed + failed + known + skipped_total())
      << " commands: passed " << passed << ", failed " << failed << ", known failures " << known << ", skipped "
      << skipped_total() << " (" << std::fixed << std::setprecision(1) << seconds << " s)\n";
  std::vector<std::pair<long, std::string>> by_count;
  for (const auto& [reason, count] : skipped) by_count.emplace_back(count, reason);
  std::sort(by_count.rbegin(), by_count.rend());
  for (const auto& [count, reason] : by_count) out << "  skipped " << count << ": " << reason << "\n";
}

Result<KnownFailures> KnownFailures::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kIo, path + ": cannot read");
  KnownFailures out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string engine, where;
    fields >> engine >> where;
    std::string reason;
    std::getline(fields >> std::ws, reason);
    if (where.find(':') == std::string::npos || reason.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        path + ":" + std::to_string(n) + ": expected `<engine|*> <file.wast>:<line> <reason>`");
    }
    const bool crash = reason.rfind("crash:", 0) == 0;
    out.entries_[engine + " " + where] = KnownFailure{reason, crash};
  }
  return out;
}

const KnownFailure* KnownFailures::find(const std::string& engine, const std::string& file, int line) const {
  const std::string where = file + ":" + std::to_string(line);
  for (const std::string& e : {engine, std::string("*")}) {
    if (auto it = entries_.find(e + " " + where); it != entries_.end()) return &it->second;
  }
  return nullptr;
}

Status write_tally(const std::string& path, const Tally& t) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::trunc);
  out << "seconds " << t.seconds << "\npassed " << t.passed << "\nfailed " << t.failed << "\nknown " << t.known << "\n";
  for (const auto& [reason, count] : t.skipped) out << "skip " << count << " " << reason << "\n";
  for (const auto& f : t.failures) out << "failure " << f << "\n";
  out.close();
  if (!out) return make_error(ErrorCode::kIo, path + ": cannot write");
  return {};
}

Result<Tally> read_tally(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kIo, path + ": cannot read");
  Tally t;
  t.files = 1;
  std::string key;
  while (in >> key) {
    if (key == "seconds") in >> t.seconds;
    else if (key == "passed") in >> t.passed;
    else if (key == "failed") in >> t.failed;
    else if (key == "known") in >> t.known;
    else if (key == "skip") {
      long count = 0;
      std::string reason;
      in >> count;
      std::getline(in >> std::ws, reason);
      t.skipped[reason] += count;
    } else if (key == "failure") {
      std::string f;
      std::getline(in >> std::ws, f);
      t.failures.push_back(f);
    } else {
      return make_error(ErrorCode::kInvalidArgument, path + ": unknown key '" + key + "'");
    }
  }
  return t;
}

Status print_summary(const std::string& results_dir, const std::vector<std::string>& engines,
                     const std::vector<std::string>& files, std::ostream& out) {
  namespace fs = std::filesystem;
  std::ostringstream text;
  Status status;
  for (const std::string& engine : engines) {
    Tally total;
    std::vector<std::string> missing;
    for (const auto& file : files) {
      const fs::path path = fs::path(results_dir) / engine / (file + ".txt");
      if (!fs::exists(path)) {
        missing.push_back(file);
        continue;
      }
      auto t = read_tally(path.string());
      if (!t.ok()) return std::move(t).take_error();
      total.add(*t);
    }
    if (missing.size() == files.size()) continue;  // this engine was not run
    total.print(text, "spec suite on " + engine);
    if (!missing.empty()) {
      text << "  no result from " << missing.size() << " files (crashed or not run):";
      for (std::size_t i = 0; i < missing.size() && i < 10; ++i) text << " " << missing[i];
      text << (missing.size() > 10 ? " ...\n" : "\n");
    }
    for (const auto& f : total.failures) text << "  FAILED " << f << "\n";
    if (total.failed > 0 && status.ok()) {
      status = make_error(ErrorCode::kInternal, std::to_string(total.failed) + " spec commands failed on " + engine);
    }
  }
  out << text.str();
  std::ofstream(fs::path(results_dir) / "summary.txt", std::ios::trunc) << text.str();
  return status;
}

}  // namespace wactor::spec
