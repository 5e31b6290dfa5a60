// Storage through each SDK (docs/SDK-RUST.md, docs/SDK-CPP.md, docs/SDK-ASSEMBLYSCRIPT.md):
// the storage guest of Rust, C++ and AssemblyScript (guests/rust/kv.rs, guests/cpp/kv.cpp,
// guests/as/kv.ts) answers commands with what its SDK returned, on every engine.
#include <cstdio>
#include <filesystem>
#include <future>
#include <tuple>

#include <unistd.h>

#include "test_support.h"

namespace wactor {
namespace {

namespace fs = std::filesystem;

// (language, engine)
class SdkKv : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  void SetUp() override {
#if !WACTOR_HAVE_AS
    if (lang() == "as") GTEST_SKIP() << "AssemblyScript not installed (npm ci --prefix sdk/assemblyscript)";
#endif
    dir = fs::temp_directory_path() / ("wactor-sdkkv-" + lang() + "-" + std::get<1>(GetParam()) + "-" +
                                       std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    stop();
    fs::remove_all(dir);
  }
  std::string lang() const { return std::get<0>(GetParam()); }
  std::string file() const { return lang() == "rust" ? "kv_rust.wasm" : lang() + "/kv.wasm"; }
  RuntimeOptions options() {
    RuntimeOptions o;
    o.engine = std::get<1>(GetParam());
    o.workers = 2;
    o.storage.path = (dir / "state.db").string();
    return o;
  }
  void start(RuntimeOptions o) {
    ComponentSpec c{"a", test::guest_bytes(file()), test::guest_path(file()), {}, 0, {}, Capabilities::all(), {}, {},
                    {}, {}};
    auto rt = Runtime::create(std::move(o), {std::move(c)}, {});
    ASSERT_TRUE(rt.ok()) << rt.error().to_string();
    runtime = std::move(rt).value();
    ASSERT_TRUE(runtime->start().ok());
  }
  void stop() {
    if (runtime) runtime->stop();
    runtime.reset();
  }
  // A request from the host; its reply (or "status <s>" for another ending).
  std::string ask(const std::string& command) {
    auto done = std::make_shared<std::promise<HostReply>>();
    auto f = done->get_future();
    const auto id = runtime->request(HostRequest{"a", command, std::chrono::milliseconds(10000), "$host", nullptr},
                                     [done](HostReply&& r) { done->set_value(std::move(r)); });
    if (id <= 0) return "refused " + std::to_string(id);
    if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready) return "no reply";
    auto r = f.get();
    if (r.status != 0) return "status " + std::to_string(r.status);
    return r.payload;
  }
  std::unique_ptr<Runtime> runtime;
  fs::path dir;
};

TEST_P(SdkKv, SetGetDeleteAndAValueBiggerThanTheFirstBuffer) {
  start(options());
  EXPECT_EQ(ask("get k"), "none");
  EXPECT_EQ(ask("set k hello"), "ok");
  EXPECT_EQ(ask("get k"), "hello");
  EXPECT_EQ(ask("set k bye"), "ok");
  EXPECT_EQ(ask("get k"), "bye");
  EXPECT_EQ(ask("del k"), "deleted");
  EXPECT_EQ(ask("del k"), "absent");
  EXPECT_EQ(ask("get k"), "none");
  EXPECT_EQ(ask("big b 3000"), "ok");  // the SDKs read with 256 bytes first
  EXPECT_EQ(ask("getlen b"), "3000 true");
}

TEST_P(SdkKv, ListsByPrefixAcrossPagesAndCountsUsage) {
  start(options());
  EXPECT_EQ(ask("usage"), "0");
  EXPECT_EQ(ask("fill p. 30"), "ok");  // 30 keys of 300 bytes: 3 pages of 4 KiB
  EXPECT_EQ(ask("fill q. 2"), "ok");
  EXPECT_EQ(ask("set a 1"), "ok");
  std::string want = "30:";
  for (int i = 0; i < 30; ++i) {
    char k[16];
    std::snprintf(k, sizeof k, "%sp.%04dxx", i ? "," : "", i);
    want += k;
  }
  EXPECT_EQ(ask("list p."), want);
  EXPECT_EQ(ask("list q."), "2:q.0000xx,q.0001xx");
  EXPECT_EQ(ask("list nothing"), "0:");
  EXPECT_EQ(ask("list -").substr(0, 3), "33:");
  EXPECT_EQ(ask("usage"), std::to_string(32 * 301 + 2));
}

TEST_P(SdkKv, BadKeysTooLargeAndQuota) {
  auto o = options();
  o.max_payload_bytes = 1000;
  o.budget.storage_quota_bytes = 1500;
  start(o);
  EXPECT_EQ(ask("badkeys"), "invalid-argument invalid-argument invalid-argument invalid-argument");
  EXPECT_EQ(ask("big v 1001"), "too-large");
  EXPECT_EQ(ask("big v 1000"), "ok");    // 1001 bytes
  EXPECT_EQ(ask("big w 499"), "limit-reached");  // 1001 + 500 > 1500
  EXPECT_EQ(ask("big w 498"), "ok");     // exactly the quota
  EXPECT_EQ(ask("usage"), "1500");
}

TEST_P(SdkKv, StorageOffIsDenied) {
  auto o = options();
  o.budget.storage_quota_bytes = 0;
  start(o);
  EXPECT_EQ(ask("set k v"), "denied");
  EXPECT_EQ(ask("get k"), "denied");
  EXPECT_EQ(ask("del k"), "denied");
  EXPECT_EQ(ask("list -"), "denied");
  EXPECT_EQ(ask("usage"), "denied");
}

TEST_P(SdkKv, FailedHandlerRollsBackAndDataSurvivesRestarts) {
  start(options());
  EXPECT_EQ(ask("set k 1"), "ok");
  EXPECT_NE(ask("setfail k 2"), "ok");  // set, then the handler fails: discarded
  EXPECT_EQ(ask("get k"), "1");
  EXPECT_EQ(ask("crash"), "status 1");  // a trap: a fresh instance, storage kept
  EXPECT_EQ(ask("get k"), "1");
  stop();
  start(options());  // and the next host
  EXPECT_EQ(ask("get k"), "1");
}

INSTANTIATE_TEST_SUITE_P(Sdk, SdkKv,
                         ::testing::Combine(::testing::Values("rust", "cpp", "as"),
                                            ::testing::ValuesIn(test::engine_params())),
                         [](const auto& info) { return std::get<0>(info.param) + "_" + std::get<1>(info.param); });

}  // namespace
}  // namespace wactor
