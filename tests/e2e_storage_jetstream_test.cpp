// Per-component storage on the JetStream backend ([storage] backend = "jetstream"), on every
// engine, against a nats-server -js of the test's own: the Storage semantics that apply, the
// state following a component to another host, JetStream unavailable at start, a failed put,
// and the backend's roll forward and fencing (docs/STORAGE.md, "JetStream backend").
#include <filesystem>
#include <future>

#include <nats/nats.h>
#include <unistd.h>

#include "nats_support.h"
#include "storage/jetstream_store.h"
#include "test_support.h"

namespace wactor {
namespace {

namespace fs = std::filesystem;

std::string test_name() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

class JetStreamStorage : public test::EngineRuntimeTest {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("wactor-js-" + GetParam() + "-" + std::to_string(::getpid()) + "-" + test_name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    nats.enable_jetstream((dir / "js").string());
    ASSERT_TRUE(nats.start()) << "nats-server -js did not start";
  }
  void TearDown() override {
    if (HasFailure()) {
      for (const auto& e : collector.events_matching(".")) std::cerr << "event: " << e << "\n";
    }
    if (runtime) runtime->stop();
    runtime.reset();
    nats.stop();
    fs::remove_all(dir);
  }
  ComponentSpec kv(const std::string& id, std::string config = {}) {
    return ComponentSpec{id, test::guest_bytes("kv_probe.wasm"), test::guest_path("kv_probe.wasm"), std::move(config),
                         0, {}, Capabilities::all(), {}, {}, {}, {}};
  }
  RuntimeOptions kv_options(const std::string& host = "h1") {
    auto o = options();
    o.storage.backend = "jetstream";
    o.cluster.url = nats.url();
    o.cluster.lattice = "t" + std::to_string(::getpid());
    o.cluster.host_id = host;
    return o;
  }
  static std::string ask(Runtime& rt, const std::string& to, const std::string& command) {
    auto done = std::make_shared<std::promise<HostReply>>();
    auto f = done->get_future();
    const auto id = rt.request(HostRequest{to, command, std::chrono::milliseconds(10000), "$host", nullptr},
                               [done](HostReply&& r) { done->set_value(std::move(r)); });
    if (id <= 0) return "refused " + std::to_string(id);
    if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready) return "no reply";
    auto r = f.get();
    if (r.status != 0) return "status " + std::to_string(r.status);
    return r.payload;
  }
  std::string ask(const std::string& to, const std::string& command) { return ask(*runtime, to, command); }
  void restart_host(std::vector<ComponentSpec> specs, RuntimeOptions o) {
    runtime->stop();
    runtime.reset();
    start(std::move(specs), std::move(o));
  }
  fs::path dir;
  test::NatsServer nats;
};

TEST_P(JetStreamStorage, SetGetDeleteAndOwnWritesVisible) {
  start({kv("a")}, kv_options());
  EXPECT_EQ(ask("a", "get k"), "#-1");
  EXPECT_EQ(ask("a", "set k hello"), "0");
  EXPECT_EQ(ask("a", "get k"), "hello");
  EXPECT_EQ(ask("a", "getbuf k 2"), "5:he..............");
  EXPECT_EQ(ask("a", "set e"), "0");  // an empty value
  EXPECT_EQ(ask("a", "getbuf e 8"), "0:................");
  EXPECT_EQ(ask("a", "incr n"), "1");
  EXPECT_EQ(ask("a", "incr n"), "2");
  EXPECT_EQ(ask("a", "del k"), "0");
  EXPECT_EQ(ask("a", "del k"), "-1");
  EXPECT_EQ(ask("a", "get k"), "#-1");
  EXPECT_EQ(ask("a", "usage"), "3");
}

TEST_P(JetStreamStorage, ComponentsSeeOnlyTheirOwnKeys) {
  start({kv("a"), kv("b"), kv("a.b")}, kv_options());
  EXPECT_EQ(ask("a", "set k from-a"), "0");
  EXPECT_EQ(ask("b", "get k"), "#-1");
  EXPECT_EQ(ask("b", "set k from-b"), "0");
  EXPECT_EQ(ask("a", "get k"), "from-a");
  EXPECT_EQ(ask("b", "list - - 4096"), "1:k");
  EXPECT_EQ(ask("a.b", "list - - 4096"), "0:");  // ids that look like subject tokens stay apart
  EXPECT_EQ(ask("b", "usage"), "7");
}

TEST_P(JetStreamStorage, TrapStopAndNonZeroReturnDiscardTheHandlersWrites) {
  auto o = kv_options();
  o.limits.fuel = 5'000'000;
  start({kv("a")}, o);
  EXPECT_EQ(ask("a", "incr n"), "1");
  EXPECT_EQ(ask("a", "incr-trap n"), "status 1");
  EXPECT_EQ(ask("a", "get n"), "1");
  EXPECT_EQ(ask("a", "incr-fail n"), "");
  EXPECT_EQ(ask("a", "get n"), "1");
  EXPECT_EQ(ask("a", "incr-loop n"), "status 1");
  EXPECT_EQ(ask("a", "get n"), "1");
  EXPECT_EQ(ask("a", "incr2 n m"), "2");  // two keys, one handler
  EXPECT_EQ(ask("a", "get m"), "1");
}

TEST_P(JetStreamStorage, QuotaAndUsageSurviveAHostRestart) {
  auto o = kv_options();
  o.budget.storage_quota_bytes = 100;
  start({kv("a")}, o);
  EXPECT_EQ(ask("a", "big k 99"), "0");
  EXPECT_EQ(ask("a", "set x y"), "-7");
  EXPECT_EQ(ask("a", "big k 98"), "0");
  EXPECT_EQ(ask("a", "set x"), "0");
  EXPECT_EQ(ask("a", "usage"), "100");
  restart_host({kv("a")}, o);
  EXPECT_EQ(ask("a", "usage"), "100");
  EXPECT_EQ(ask("a", "set z z"), "-7");
}

TEST_P(JetStreamStorage, QuotaZeroAndBadInput) {
  auto o = kv_options();
  o.max_payload_bytes = 1000;
  start({kv("a"), kv("off")}, o);
  EXPECT_EQ(ask("a", "bad"), "-4 -4 -4 -4 -4 -4 -4 0");  // a 1 KiB key fits the subject alphabet too
  EXPECT_EQ(ask("a", "big v 1001"), "-5");
  EXPECT_EQ(ask("a", "big v 1000"), "0");
  runtime->stop();
  runtime.reset();
  o.budget.storage_quota_bytes = 0;
  start({kv("off")}, o);
  EXPECT_EQ(ask("off", "set k v"), "-2");
  EXPECT_EQ(ask("off", "get k"), "#-2");
}

TEST_P(JetStreamStorage, ListByPrefixPagesAndSeesUncommittedWrites) {
  start({kv("a")}, kv_options());
  for (const char* k : {"user.b", "user.a", "user.c", "other", "user.d"}) {
    EXPECT_EQ(ask("a", std::string("set ") + k + " 1"), "0");
  }
  EXPECT_EQ(ask("a", "list user. - 4096"), "4:user.a,user.b,user.c,user.d");
  EXPECT_EQ(ask("a", "list user. user.b 4096"), "2:user.c,user.d");
  EXPECT_EQ(ask("a", "list user. - 20"), "2:user.a,user.b");
  EXPECT_EQ(ask("a", "del user.b"), "0");
  EXPECT_EQ(ask("a", "list - - 4096"), "4:other,user.a,user.c,user.d");
}

TEST_P(JetStreamStorage, OutputsLeaveOnlyAfterTheCommitAndInOrder) {
  start({kv("a"), probe("b")}, kv_options());
  for (int i = 0; i < 100; ++i) post("a", "incr-send n b");
  auto got = collector.wait_logs_more_than("^b: msg from=a .*payload=n=", 99);
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_NE(got[static_cast<std::size_t>(i)].find("payload=n=" + std::to_string(i + 1)), std::string::npos);
  }
  EXPECT_EQ(ask("a", "get n"), "100");
}

TEST_P(JetStreamStorage, StateFollowsTheComponentToAnotherHost) {
  start({kv("a")}, kv_options("host-a"));
  EXPECT_EQ(ask("a", "incr n"), "1");
  EXPECT_EQ(ask("a", "set where host-a"), "0");
  ASSERT_TRUE(runtime->stop_component("a").ok());
  ASSERT_TRUE(runtime->wait_idle(std::chrono::seconds(10)));
  // Host B, same lattice, its own runtime: "a" starts there and reads what it wrote on A.
  auto b = Runtime::create(kv_options("host-b"), {kv("a")}, {});
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  ASSERT_TRUE((*b)->start().ok());
  EXPECT_EQ(ask(**b, "a", "get where"), "host-a");
  EXPECT_EQ(ask(**b, "a", "incr n"), "2");
  (*b)->stop();
  // And back on A (a new instance): it sees B's write, and its commits are not fenced off.
  ASSERT_TRUE(runtime->spawn(kv("a")).ok());
  EXPECT_EQ(ask("a", "incr n"), "3");
}

TEST_P(JetStreamStorage, JetStreamUnavailableIsOneLineAtStart) {
  // A server without JetStream.
  test::NatsServer plain;
  ASSERT_TRUE(plain.start());
  auto o = kv_options();
  o.cluster.url = plain.url();
  auto rt = Runtime::create(o, {kv("a")}, {});
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.error().message.find("JetStream"), std::string::npos) << rt.error().message;
  EXPECT_EQ(rt.error().message.find('\n'), std::string::npos);
  // Nobody listening.
  const std::string url = plain.url();
  plain.stop();
  o.cluster.url = url;
  rt = Runtime::create(o, {kv("a")}, {});
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.error().message.find('\n'), std::string::npos);
  EXPECT_NE(rt.error().message.find(url), std::string::npos) << rt.error().message;
  // No [cluster] url at all.
  o.cluster.url.clear();
  rt = Runtime::create(o, {kv("a")}, {});
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.error().message.find("[cluster] url"), std::string::npos) << rt.error().message;
}

TEST_P(JetStreamStorage, AFailedPutTurnsTheRepliesIntoErrors) {
  // The bucket made beforehand with a small value limit: a batch record over it is refused
  // by JetStream, as a full disk would refuse it.
  {
    natsConnection* nc = nullptr;
    ASSERT_EQ(natsConnection_ConnectTo(&nc, nats.url().c_str()), NATS_OK);
    jsCtx* js = nullptr;
    ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
    kvConfig c;
    kvConfig_Init(&c);
    const std::string bucket = storage::jetstream_bucket(kv_options().cluster.lattice);
    c.Bucket = bucket.c_str();
    c.History = 1;
    c.MaxValueSize = 2000;
    kvStore* kv = nullptr;
    ASSERT_EQ(js_CreateKeyValue(&kv, js, &c), NATS_OK);
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  start({kv("a")}, kv_options());
  EXPECT_EQ(ask("a", "incr n"), "1");
  EXPECT_EQ(ask("a", "big k 3000"), "status 1");
  EXPECT_FALSE(collector.wait_event("a: storage-failed: .*commit").empty());
  EXPECT_EQ(ask("a", "get k"), "#-1");  // nothing of the failed handler
  EXPECT_EQ(ask("a", "get n"), "1");
  EXPECT_EQ(ask("a", "incr n"), "2");
}

INSTANTIATE_TEST_SUITE_P(Engines, JetStreamStorage, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

// The backend alone: a record whose keys were never written (a host killed between the two)
// is rolled forward by the next reader; a host with a stale view of a space is fenced off.
class JetStreamBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("wactor-jsb-" + std::to_string(::getpid()) + "-" + test_name());
    fs::remove_all(dir);
    nats.enable_jetstream((dir / "js").string());
    ASSERT_TRUE(nats.start());
  }
  void TearDown() override {
    nats.stop();
    fs::remove_all(dir);
  }
  std::unique_ptr<storage::Store> open() {
    storage::JetStreamOptions o;
    o.url = nats.url();
    o.lattice = "unit";
    auto s = storage::open_jetstream(o);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  fs::path dir;
  test::NatsServer nats;
};

TEST_F(JetStreamBackend, AHalfAppliedRecordIsRolledForward) {
  auto store = open();
  ASSERT_TRUE(store);
  std::vector<storage::WriteSet> sets{{"c1", {{"a", "1"}, {"b", "1"}}}};
  ASSERT_TRUE(store->commit(sets).ok());
  // What a host killed after the record and before the keys leaves: a record only. Its
  // format: "WKV1", u32 count, per write u8 op, u32 key length, key, u32 value length, value.
  std::string rec = std::string("WKV1") + std::string("\x02\0\0\0", 4);
  for (const char* k : {"a", "b"}) rec += std::string("\x01\x01\0\0\0", 5) + k + std::string("\x01\0\0\0", 4) + "2";
  {
    natsConnection* nc = nullptr;
    ASSERT_EQ(natsConnection_ConnectTo(&nc, nats.url().c_str()), NATS_OK);
    jsCtx* js = nullptr;
    ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
    kvStore* kv = nullptr;
    ASSERT_EQ(js_KeyValue(&kv, js, storage::jetstream_bucket("unit").c_str()), NATS_OK);
    ASSERT_EQ(kvStore_Put(nullptr, kv, "c.6331.t", rec.data(), static_cast<int>(rec.size())), NATS_OK);  // hex("c1")
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  auto other = open();  // another host, the component starts there
  ASSERT_TRUE(other);
  auto a = other->get("c1", "a");
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->value_or("none"), "2");
  auto b = other->get("c1", "b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->value_or("none"), "2");
  auto keys = other->keys("c1", "", "", 10);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, (std::vector<std::string>{"a", "b"}));
  auto usage = other->usage("c1");
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(*usage, 4u);
}

TEST_F(JetStreamBackend, AStaleHostIsFencedOffAndRecoversOnReopen) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first && second);
  std::vector<storage::WriteSet> one{{"c", {{"k", "first"}}}};
  ASSERT_TRUE(first->commit(one).ok());
  std::vector<storage::WriteSet> two{{"c", {{"k", "second"}}}};
  ASSERT_TRUE(second->commit(two).ok());
  std::vector<storage::WriteSet> three{{"c", {{"k", "third"}}}};
  auto st = first->commit(three);  // first still believes its own record is the last
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("another host"), std::string::npos) << st.error().message;
  auto k = first->get("c", "k");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->value_or("none"), "second");  // nothing of the fenced commit
  first->open_space("c");  // the component starts again here
  ASSERT_TRUE(first->commit(three).ok());
  second->open_space("c");  // and then on the second host again: it reads what first wrote
  k = second->get("c", "k");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->value_or("none"), "third");
}

}  // namespace
}  // namespace wactor
