// Per-component key-value storage through real guests on every engine (docs/STORAGE.md):
// isolation, rollback on trap / stop / non-zero return, quota, bad input, outputs held until
// durable, restarts of the component and of the host, a full disk.
#include <filesystem>
#include <fstream>
#include <future>

#include <unistd.h>

#include "test_support.h"
#include "wactor/manifest.h"

namespace wactor {
namespace {

namespace fs = std::filesystem;

class Storage : public test::EngineRuntimeTest {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("wactor-kv-" + GetParam() + "-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    if (HasFailure()) {
      for (const auto& e : collector.events_matching(".")) std::cerr << "event: " << e << "\n";
    }
    if (runtime) runtime->stop();
    runtime.reset();
    fs::remove_all(dir);
  }
  ComponentSpec kv(const std::string& id, std::string config = {}) {
    return ComponentSpec{id, test::guest_bytes("kv_probe.wasm"), test::guest_path("kv_probe.wasm"), std::move(config),
                         0, {}, Capabilities::all(), {}, {}, {}, {}};
  }
  RuntimeOptions kv_options() {
    auto o = options();
    o.storage.path = (dir / "state.db").string();
    return o;
  }
  // A request from the host; its reply (or "status <s>: <payload>" for another ending).
  std::string ask(const std::string& to, const std::string& command) {
    auto done = std::make_shared<std::promise<HostReply>>();
    auto f = done->get_future();
    const auto id = runtime->request(HostRequest{to, command, std::chrono::milliseconds(10000), "$host", nullptr},
                                     [done](HostReply&& r) { done->set_value(std::move(r)); });
    if (id <= 0) return "refused " + std::to_string(id);
    if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready) return "no reply";
    auto r = f.get();
    if (r.status != 0) return "status " + std::to_string(r.status);
    return r.payload;
  }
  void restart_host(std::vector<ComponentSpec> specs, RuntimeOptions o) {
    runtime->stop();
    runtime.reset();
    start(std::move(specs), std::move(o));
  }
  fs::path dir;
};

TEST_P(Storage, SetGetDeleteAndOwnWritesVisible) {
  start({kv("a")}, kv_options());
  EXPECT_EQ(ask("a", "get k"), "#-1");
  EXPECT_EQ(ask("a", "set k hello"), "0");
  EXPECT_EQ(ask("a", "get k"), "hello");
  EXPECT_EQ(ask("a", "getbuf k 2"), "5:he..............");  // the full length, at most cap bytes copied
  EXPECT_EQ(ask("a", "set e"), "0");                       // an empty value
  EXPECT_EQ(ask("a", "getbuf e 8"), "0:................");
  EXPECT_EQ(ask("a", "incr n"), "1");
  EXPECT_EQ(ask("a", "incr n"), "2");
  EXPECT_EQ(ask("a", "del k"), "0");
  EXPECT_EQ(ask("a", "del k"), "-1");
  EXPECT_EQ(ask("a", "get k"), "#-1");
  EXPECT_EQ(ask("a", "usage"), std::to_string(1 + 1 + 1));  // "e"="" and "n"="2"
}

TEST_P(Storage, ComponentsSeeOnlyTheirOwnKeys) {
  start({kv("a"), kv("b")}, kv_options());
  EXPECT_EQ(ask("a", "set k from-a"), "0");
  EXPECT_EQ(ask("b", "get k"), "#-1");
  EXPECT_EQ(ask("b", "set k from-b"), "0");
  EXPECT_EQ(ask("a", "get k"), "from-a");
  EXPECT_EQ(ask("b", "list - - 4096"), "1:k");
  EXPECT_EQ(ask("b", "usage"), "7");
}

TEST_P(Storage, TrapStopAndNonZeroReturnDiscardTheHandlersWrites) {
  auto o = kv_options();
  o.limits.fuel = 5'000'000;
  start({kv("a")}, o);
  EXPECT_EQ(ask("a", "incr n"), "1");
  EXPECT_EQ(ask("a", "incr-trap n"), "status 1");
  EXPECT_EQ(ask("a", "get n"), "1");
  EXPECT_EQ(ask("a", "incr-fail n"), "");  // it answered, but returned 3: not committed
  EXPECT_EQ(ask("a", "get n"), "1");
  EXPECT_EQ(ask("a", "incr-loop n"), "status 1");  // stopped by the fuel budget
  EXPECT_EQ(ask("a", "get n"), "1");
  EXPECT_EQ(ask("a", "incr n"), "2");
}

TEST_P(Storage, InitIsAHandler) {
  start({kv("ok", "init-set boot yes")}, kv_options());
  EXPECT_EQ(ask("ok", "get boot"), "yes");
  runtime->stop();
  runtime.reset();
  {  // "bad" fails its init: the host does not start, and what the init wrote is gone
    auto rt = Runtime::create(kv_options(), {kv("bad", "init-fail boot yes")}, {});
    ASSERT_TRUE(rt.ok());
    EXPECT_FALSE((*rt)->start().ok());
  }
  start({kv("bad")}, kv_options());
  EXPECT_EQ(ask("bad", "get boot"), "#-1");
}

TEST_P(Storage, QuotaCountsKeysAndValues) {
  auto o = kv_options();
  o.budget.storage_quota_bytes = 100;
  start({kv("a")}, o);
  EXPECT_EQ(ask("a", "big k 99"), "0");   // 1 + 99 = 100: exactly the quota
  EXPECT_EQ(ask("a", "set x y"), "-7");   // 2 more bytes
  EXPECT_EQ(ask("a", "big k 98"), "0");   // shrinking is fine
  EXPECT_EQ(ask("a", "set x"), "0");      // 1 + 0
  EXPECT_EQ(ask("a", "usage"), "100");
  EXPECT_EQ(ask("a", "del k"), "0");
  EXPECT_EQ(ask("a", "usage"), "1");
  // Usage survives a restart of the host.
  EXPECT_EQ(ask("a", "big k 98"), "0");
  restart_host({kv("a")}, o);
  EXPECT_EQ(ask("a", "usage"), "100");
  EXPECT_EQ(ask("a", "set z z"), "-7");
}

TEST_P(Storage, QuotaZeroTurnsStorageOff) {
  auto o = kv_options();
  o.budget.storage_quota_bytes = 0;
  start({kv("a")}, o);
  EXPECT_EQ(ask("a", "set k v"), "-2");
  EXPECT_EQ(ask("a", "get k"), "#-2");
  EXPECT_EQ(ask("a", "del k"), "-2");
  EXPECT_EQ(ask("a", "list - - 64"), "#-2");
  EXPECT_EQ(ask("a", "usage"), "-2");
  EXPECT_FALSE(fs::exists(dir / "state.db"));  // nothing opened for nobody
}

TEST_P(Storage, BadInput) {
  auto o = kv_options();
  o.max_payload_bytes = 1000;
  start({kv("a")}, o);
  EXPECT_EQ(ask("a", "bad"), "-4 -4 -4 -4 -4 -4 -4 0");
  EXPECT_EQ(ask("a", "big v 1001"), "-5");
  EXPECT_EQ(ask("a", "big v 1000"), "0");
}

TEST_P(Storage, ListByPrefixPagesAndSeesUncommittedWrites) {
  start({kv("a")}, kv_options());
  for (const char* k : {"user.b", "user.a", "user.c", "other", "user.d"}) EXPECT_EQ(ask("a", std::string("set ") + k + " 1"), "0");
  EXPECT_EQ(ask("a", "list user. - 4096"), "4:user.a,user.b,user.c,user.d");
  EXPECT_EQ(ask("a", "list user. user.b 4096"), "2:user.c,user.d");
  EXPECT_EQ(ask("a", "list user. - 20"), "2:user.a,user.b");  // 2 x (4 + 6) bytes fit
  EXPECT_EQ(ask("a", "list user. - 5"), "#-5");                // not even one key
  EXPECT_EQ(ask("a", "del user.b"), "0");
  EXPECT_EQ(ask("a", "list - - 4096"), "4:other,user.a,user.c,user.d");
}

TEST_P(Storage, SurvivesComponentRestartAndHostRestart) {
  start({kv("a")}, kv_options());
  EXPECT_EQ(ask("a", "incr n"), "1");
  EXPECT_EQ(ask("a", "incr-trap n"), "status 1");  // a fresh instance: memory gone, storage kept
  EXPECT_EQ(ask("a", "incr n"), "2");
  ASSERT_TRUE(runtime->stop_component("a").ok());  // stopped for good keeps its data
  restart_host({kv("a")}, kv_options());
  EXPECT_EQ(ask("a", "incr n"), "3");
}

TEST_P(Storage, OutputsLeaveOnlyAfterTheCommitAndInOrder) {
  // "a" counts and tells "b" each new value; "b" is a probe that logs what it receives.
  start({kv("a"), probe("b")}, kv_options());
  for (int i = 0; i < 200; ++i) post("a", "incr-send n b");
  auto got = collector.wait_logs_more_than("^b: msg from=a .*payload=n=", 199);
  ASSERT_EQ(got.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_NE(got[static_cast<std::size_t>(i)].find("payload=n=" + std::to_string(i + 1)), std::string::npos);
  EXPECT_EQ(ask("a", "get n"), "200");
}

TEST_P(Storage, HeldOutputsAreBoundedLikeAMailbox) {
  auto o = kv_options();
  o.budget.max_mailbox_bytes = 10'000;  // 228 bytes per held 100-byte message: 43 fit
  start({kv("a"), kv("b")}, o);
  EXPECT_EQ(ask("a", "incr-burst n b 100"), "43 57");
  ASSERT_TRUE(runtime->wait_idle(std::chrono::seconds(10)));
  EXPECT_EQ(runtime->stats("b")->messages_handled, 43u + 0u);
  EXPECT_EQ(ask("a", "get n"), "1");
}

TEST_P(Storage, CorruptOrLockedDatabaseIsOneLineAtStart) {
  {
    std::ofstream bad(dir / "state.db", std::ios::binary);
    bad << std::string(8192, 'x');
  }
  auto rt = Runtime::create(kv_options(), {kv("a")}, {});
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.error().message.find("corrupt"), std::string::npos) << rt.error().message;
  EXPECT_EQ(rt.error().message.find('\n'), std::string::npos);
  fs::remove(dir / "state.db");
  start({kv("a")}, kv_options());
  auto second = Runtime::create(kv_options(), {kv("b")}, {});  // the same file, another host
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("locked"), std::string::npos) << second.error().message;
}

TEST_P(Storage, FullDiskRefusesTheBatchAndItsReplies) {
  auto o = kv_options();
  o.storage.max_pages = 12;  // a few pages: the database is full after a few big values
  start({kv("a")}, o);
  EXPECT_EQ(ask("a", "incr n"), "1");
  std::string last;
  for (int i = 0; i < 40 && last != "status 1"; ++i) last = ask("a", "big k" + std::to_string(i) + " 3000");
  EXPECT_EQ(last, "status 1");  // the reply of a batch that could not commit is an error
  EXPECT_FALSE(collector.wait_event("a: storage-failed: .*full").empty());
  // Never half-applied: what the failed handler wrote is not there, earlier commits are.
  EXPECT_EQ(ask("a", "get n"), "1");
}

// send-after from a writing handler is held like a send: the timer starts only once the
// writes are durable, and a handler whose commit fails leaves no timer behind.
TEST_P(Storage, SendAfterWaitsForTheCommitAndGoesWithAFailedOne) {
  auto o = kv_options();
  o.storage.max_pages = 12;
  start({kv("a"), probe("b")}, o);
  std::string failed;
  for (int i = 0; i < 40 && failed.empty(); ++i) {
    const std::string key = "t" + std::to_string(i);
    const std::string r = ask("a", "big-after " + key + " 3000 b");
    if (r == "status 1") {
      failed = key;
    } else {
      ASSERT_GT(std::stoll(r), 0) << r;
      EXPECT_FALSE(collector.wait_log("^b: msg from=a req=0 payload=" + key + "$").empty()) << key;
    }
  }
  ASSERT_FALSE(failed.empty()) << "the database never filled";
  // A later 0 ms timer of the same owner fires after any earlier one would have.
  EXPECT_GT(std::stoll(ask("a", "after b marker")), 0);
  EXPECT_FALSE(collector.wait_log("^b: msg from=a req=0 payload=marker$").empty());
  ASSERT_TRUE(runtime->wait_idle(std::chrono::seconds(10)));
  EXPECT_TRUE(collector.logs_matching("^b: msg from=a req=0 payload=" + failed + "$").empty()) << failed;
  EXPECT_EQ(runtime->stats("a")->timers_dropped, 1u);
}

TEST(StorageManifest, PathSyncAndQuota) {
  const std::string comp = "[[component]]\nid = \"a\"\nwasm = \"a.wasm\"\n";
  auto m = parse_manifest(comp, "dir/app.toml");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->storage.path, "dir/state.db");  // beside the manifest by default
  EXPECT_FALSE(m->storage.full_sync);
  m = parse_manifest(comp + "storage_quota_bytes = 0\n[storage]\npath = \"data/kv.db\"\nsync = \"full\"\n"
                            "[runtime]\nstorage_quota_bytes = 1000\n",
                     "dir/app.toml");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->storage.path, "dir/data/kv.db");
  EXPECT_TRUE(m->storage.full_sync);
  EXPECT_EQ(m->runtime.budget.storage_quota_bytes, 1000u);
  EXPECT_EQ(m->components[0].budget.storage_quota_bytes, 0u);
  auto bad = parse_manifest(comp + "[storage]\nsync = \"fast\"\n", "dir/app.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "dir/app.toml:5: [storage] sync must be \"normal\" or \"full\"");
}

INSTANTIATE_TEST_SUITE_P(Engines, Storage, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
