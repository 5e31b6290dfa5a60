// The SQLite backend: one table (space, key) -> value in WAL mode; a writing connection used
// by one group commit at a time and a reading connection (WAL lets both run at once).
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

#include "storage/store.h"

namespace wactor::storage {
namespace {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// Resets a statement when the read is over: a statement left stepped keeps its connection's
// read transaction (and so an old snapshot of the WAL) open.
struct ResetAfter {
  sqlite3_stmt* s;
  ~ResetAfter() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

Error db_error(const std::string& path, sqlite3* db, std::string_view what) {
  const int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
  std::string msg = "storage '" + path + "': " + std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
  if ((code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT) msg += " (the file is corrupt or not a database)";
  if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) msg += " (locked by another process)";
  if ((code & 0xff) == SQLITE_FULL) msg += " (disk or database full)";
  return make_error((code & 0xff) == SQLITE_FULL ? ErrorCode::kResourceExhausted : ErrorCode::kIo, std::move(msg));
}

// Keys and values are bytes; an empty one is an empty blob (a null pointer would bind NULL).
void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  if (v.empty()) {
    sqlite3_bind_zeroblob(s, i, 0);
  } else {
    sqlite3_bind_blob64(s, i, v.data(), v.size(), SQLITE_TRANSIENT);
  }
}

std::string column(sqlite3_stmt* s, int i) {
  const void* p = sqlite3_column_blob(s, i);
  const int n = sqlite3_column_bytes(s, i);
  return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}
  ~SqliteStore() override {
    reader_stmts_ = {};
    writer_stmts_ = {};
    reader_.reset();
    writer_.reset();
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  Status open(const SqliteOptions& o) {
    WACTOR_TRY(open_one(writer_));
    const std::string sync = o.synchronous == Synchronous::kFull ? "FULL" : "NORMAL";
    WACTOR_TRY(exec(writer_.get(), "PRAGMA journal_mode=WAL"));
    WACTOR_TRY(exec(writer_.get(), "PRAGMA synchronous=" + sync));
    if (o.max_pages) WACTOR_TRY(exec(writer_.get(), "PRAGMA max_page_count=" + std::to_string(o.max_pages)));
    WACTOR_TRY(exec(writer_.get(),
                    "CREATE TABLE IF NOT EXISTS kv(space BLOB NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
                    " PRIMARY KEY(space, key)) WITHOUT ROWID"));
    WACTOR_TRY(open_one(reader_));
    WACTOR_TRY(exec(reader_.get(), "PRAGMA quick_check(1)"));  // a corrupt file fails at start, not at a guest's read
    WACTOR_TRY(prepare(writer_.get(), "INSERT OR REPLACE INTO kv(space, key, value) VALUES(?1, ?2, ?3)", writer_stmts_.set));
    WACTOR_TRY(prepare(writer_.get(), "DELETE FROM kv WHERE space = ?1 AND key = ?2", writer_stmts_.del));
    WACTOR_TRY(prepare(reader_.get(), "SELECT value FROM kv WHERE space = ?1 AND key = ?2", reader_stmts_.get));
    WACTOR_TRY(prepare(reader_.get(),
                       "SELECT key FROM kv WHERE space = ?1 AND key > ?2 AND substr(key, 1, ?4) = ?3"
                       " ORDER BY key LIMIT ?5",
                       reader_stmts_.keys));
    WACTOR_TRY(prepare(reader_.get(), "SELECT COALESCE(SUM(length(key) + length(value)), 0) FROM kv WHERE space = ?1",
                       reader_stmts_.usage));
    return {};
  }

  Result<std::optional<std::string>> get(std::string_view space, std::string_view key) override {
    std::lock_guard lock(reader_mu_);
    sqlite3_stmt* s = reader_stmts_.get.get();
    ResetAfter done{s};
    bind_text(s, 1, space);
    bind_text(s, 2, key);
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return std::optional<std::string>(column(s, 0));
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    return db_error(path_, reader_.get(), "read");
  }

  Result<std::vector<std::string>> keys(std::string_view space, std::string_view prefix, std::string_view after,
                                        std::size_t limit) override {
    std::lock_guard lock(reader_mu_);
    sqlite3_stmt* s = reader_stmts_.keys.get();
    ResetAfter done{s};
    bind_text(s, 1, space);
    bind_text(s, 2, after);
    bind_text(s, 3, prefix);
    sqlite3_bind_int64(s, 4, static_cast<sqlite3_int64>(prefix.size()));
    sqlite3_bind_int64(s, 5, static_cast<sqlite3_int64>(limit));
    std::vector<std::string> out;
    for (;;) {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        out.push_back(column(s, 0));
      } else if (rc == SQLITE_DONE) {
        return out;
      } else {
        return db_error(path_, reader_.get(), "list");
      }
    }
  }

  Result<std::uint64_t> usage(std::string_view space) override {
    std::lock_guard lock(reader_mu_);
    sqlite3_stmt* s = reader_stmts_.usage.get();
    ResetAfter done{s};
    bind_text(s, 1, space);
    if (sqlite3_step(s) != SQLITE_ROW) return db_error(path_, reader_.get(), "usage");
    return static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
  }

  Status commit(std::span<const WriteSet> sets) override {
    std::lock_guard lock(writer_mu_);
    sqlite3* db = writer_.get();
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return db_error(path_, db, "begin");
    }
    for (const auto& set : sets) {
      for (const auto& w : set.writes) {
        sqlite3_stmt* s = w.value ? writer_stmts_.set.get() : writer_stmts_.del.get();
        ResetAfter done{s};
        bind_text(s, 1, set.space);
        bind_text(s, 2, w.key);
        if (w.value) bind_text(s, 3, *w.value);
        if (sqlite3_step(s) != SQLITE_DONE) {
          Error e = db_error(path_, db, "write");
          sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
          return e;
        }
      }
    }
    if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      Error e = db_error(path_, db, "commit");
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return e;
    }
    return {};
  }

 private:
  Status open_one(Db& out) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    out.reset(raw);
    if (rc != SQLITE_OK) return db_error(path_, raw, "open");
    sqlite3_busy_timeout(raw, 2000);
    sqlite3_extended_result_codes(raw, 1);
    return {};
  }
  Status exec(sqlite3* db, const std::string& sql) {
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return db_error(path_, db, sql);
    return {};
  }
  Status prepare(sqlite3* db, const char* sql, Stmt& out) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
      return db_error(path_, db, "prepare");
    }
    out.reset(s);
    return {};
  }

  const std::string path_;
  const int lock_fd_;
  std::mutex writer_mu_;
  Db writer_;
  struct {
    Stmt set, del;
  } writer_stmts_;
  std::mutex reader_mu_;
  Db reader_;
  struct {
    Stmt get, keys, usage;
  } reader_stmts_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite(const SqliteOptions& options) {
  // One process at a time: two hosts writing the same components' keys would break the
  // exactly-once story. flock is independent of SQLite's own (fcntl) locks.
  const int fd = ::open((options.path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(ErrorCode::kIo, "storage '" + options.path + "': cannot create its lock file: " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return make_error(ErrorCode::kIo, "storage '" + options.path + "': locked by another process (another wactor run?)");
  }
  auto store = std::make_unique<SqliteStore>(options.path, fd);
  WACTOR_TRY(store->open(options));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace wactor::storage
