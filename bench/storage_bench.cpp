// Key-value storage (docs/STORAGE.md): committed handler calls per second with one kv-set
// each (one component, many), kv-get from a guest, and raw SQLite doing the same writes in
// the same run (one transaction per write, and grouped as the runtime groups them).
#include <sqlite3.h>

#include <filesystem>
#include <future>
#include <stdexcept>

#include "bench/runtime_harness.h"
#include "bench/scenarios.h"

namespace wactor::bench {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("wactor-bench-kv-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// `components` components each handle n / components messages "set k<i> <16 bytes>"; calls/s.
double committed_sets(const std::string& engine, const Settings& s, const std::vector<std::uint8_t>& wasm,
                      std::size_t components, std::size_t n, bool full) {
  const auto dir = fresh_dir(engine + std::to_string(components));
  auto o = options(engine, s);
  o.storage.path = (dir / "state.db").string();
  o.storage.full_sync = full;
  std::vector<ComponentSpec> specs;
  for (std::size_t c = 0; c < components; ++c) specs.push_back(spec("kv" + std::to_string(c), wasm, "kv_probe.wasm"));
  auto rt = start(o, std::move(specs));
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    post(*rt, "kv" + std::to_string(i % components), "set k" + std::to_string(i % 1000) + " 0123456789abcdef");
  }
  wait_idle(*rt);
  const double secs = seconds_since(t0);
  const auto m = rt->metrics();
  if (m.total.messages_handled != n || m.total.handler_errors != 0) throw std::runtime_error("kv: messages lost");
  rt->stop();
  rt.reset();
  fs::remove_all(dir);
  return static_cast<double>(n) / secs;
}

// The guest calls kv-get `n` times in one handler: ns per call.
double get_latency(const std::string& engine, const Settings& s, const std::vector<std::uint8_t>& wasm, std::size_t n) {
  const auto dir = fresh_dir(engine + "get");
  auto o = options(engine, s);
  o.storage.path = (dir / "state.db").string();
  auto rt = start(o, {spec("kv", wasm, "kv_probe.wasm")});
  auto ask = [&](const std::string& cmd) {
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    if (rt->request(HostRequest{"kv", cmd, std::chrono::milliseconds(600'000), "$host", nullptr},
                    [done](HostReply&&) { done->set_value(); }) <= 0) {
      throw std::runtime_error("kv: request refused");
    }
    f.get();
  };
  ask("set key 0123456789abcdef");
  const auto t0 = Clock::now();
  ask("getn key " + std::to_string(n));
  const double secs = seconds_since(t0);
  rt->stop();
  rt.reset();
  fs::remove_all(dir);
  return secs * 1e9 / static_cast<double>(n);
}

// Raw SQLite, WAL: the same n writes, `per_tx` to a transaction; writes/s.
double raw_sqlite(std::size_t n, std::size_t per_tx, bool full) {
  const auto dir = fresh_dir("raw");
  sqlite3* db = nullptr;
  if (sqlite3_open((dir / "raw.db").c_str(), &db) != SQLITE_OK) throw std::runtime_error("sqlite open");
  sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
  sqlite3_exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
  sqlite3_exec(db, "CREATE TABLE kv(space BLOB, key BLOB, value BLOB, PRIMARY KEY(space, key)) WITHOUT ROWID",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO kv VALUES('kv0', ?1, '0123456789abcdef')", -1, &st, nullptr);
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    if (i % per_tx == 0) sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    const std::string key = "k" + std::to_string(i % 1000);
    sqlite3_bind_blob(st, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    sqlite3_step(st);
    sqlite3_reset(st);
    if (i % per_tx == per_tx - 1 || i + 1 == n) sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  const double secs = seconds_since(t0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  fs::remove_all(dir);
  return static_cast<double>(n) / secs;
}

}  // namespace

void storage_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows) {
  if (!s.wants("storage")) return;
  const auto wasm = read_guest("kv_probe.wasm");
  const std::size_t n = s.quick ? 20'000 : 200'000;
  for (bool full : {false, true}) {
    const std::string sync = full ? "sync=full" : "sync=normal";
    std::vector<double> one, many;
    for (int r = 0; r < s.reps; ++r) {
      one.push_back(committed_sets(engine, s, wasm, 1, n, full));
      many.push_back(committed_sets(engine, s, wasm, 64, n, full));
    }
    rows.push_back({"kv-set handlers committed, 1 component, " + sync, engine, median(one) / 1e3, "k calls/s", "", 0,
                    "", "one kv-set per handler, outputs held until durable"});
    rows.push_back({"kv-set handlers committed, 64 components, " + sync, engine, median(many) / 1e3, "k calls/s", "", 0,
                    "", ""});
  }
  std::vector<double> gets;
  for (int r = 0; r < s.reps; ++r) gets.push_back(get_latency(engine, s, wasm, s.quick ? 20'000 : 200'000));
  rows.push_back({"kv-get from a guest (16 B value)", engine, median(gets), "ns", "", 0, "", ""});
  if (engine == "interp") return;  // the raw rows once per run
  for (bool full : {false, true}) {
    const std::string sync = full ? "sync=full" : "sync=normal";
    rows.push_back({"raw SQLite, 1 write per transaction, " + sync, "native", raw_sqlite(full ? n / 20 : n, 1, full) / 1e3,
                    "k writes/s", "", 0, "", "same table and writes"});
    rows.push_back({"raw SQLite, 64 writes per transaction, " + sync, "native", raw_sqlite(n, 64, full) / 1e3,
                    "k writes/s", "", 0, "", "as a full batch groups them"});
  }
}

}  // namespace wactor::bench
