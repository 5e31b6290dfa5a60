// Hosts of one lattice over a real nats-server (started by the test): two or three Runtimes
// in this process, each with its own NATS connection, on every engine.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <optional>

#include <nats/nats.h>

#include "cluster/link.h"
#include "cluster/wire.h"
#include "cluster_support.h"
#include "nats_support.h"
#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::field;

using Host = test::ClusterHost;

class Cluster : public test::ClusterHosts {
 protected:
  // A host on this test's lattice, over `url` (default: the suite's nats-server).
  Host& host(const std::string& id, std::vector<ComponentSpec> specs, ClusterOptions c = {},
             const std::string& url = {}) {
    if (!url.empty()) c.url = url;
    return ClusterHosts::host(id, std::move(specs), std::move(c), [this](RuntimeOptions& o) {
      if (storage_) o.storage = *storage_;
    });
  }
  std::optional<StorageOptions> storage_;  // for the next host()
};

TEST_P(Cluster, SendCrossesHostsInOrderWithTheSendersId) {
  Host& a = host("host-a", {probe("alice")});
  Host& b = host("host-b", {probe("bob")});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  for (int i = 0; i < 50; ++i) a.post("alice", "send bob m" + std::to_string(i));
  auto got = b.collector.wait_logs_more_than("^bob: msg from=alice ", 49);
  ASSERT_EQ(got.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(got[i], "bob: msg from=alice req=0 payload=m" + std::to_string(i));
  EXPECT_EQ(a.collector.logs_matching("^alice: send rc=0$").size(), 50u);
  EXPECT_EQ(a.runtime->stats("alice")->messages_sent, 50u);
}

TEST_P(Cluster, RequestReplyAcrossHosts) {
  Host& a = host("host-a", {probe("alice")});
  Host& b = host("host-b", {probe("bob")});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("alice", "request bob 0 hello");
  const auto cb = a.collector.wait_log("^alice: callback id=");
  EXPECT_EQ(field(cb, "status"), 0) << cb;
  EXPECT_NE(cb.find("payload=echo:hello"), std::string::npos) << cb;
  EXPECT_FALSE(b.collector.wait_log("^bob: msg from=alice req=[1-9]").empty());
  EXPECT_EQ(a.runtime->stats("alice")->replies_ok, 1u);
  EXPECT_EQ(a.runtime->pending_requests(), 0u);
}

TEST_P(Cluster, NoHostRunsTheTargetIsNotFound) {
  Host& a = host("host-a", {probe("alice")});
  host("host-b", {probe("bob")});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("alice", "send nobody x");
  a.post("alice", "request nobody 0 x");
  EXPECT_FALSE(a.collector.wait_log("^alice: send rc=-1$").empty());
  EXPECT_FALSE(a.collector.wait_log("^alice: request id=-1$").empty());
  EXPECT_EQ(a.runtime->stats("alice")->refused_not_found, 2u);
}

TEST_P(Cluster, TimeoutThenLateReplyIsRefusedAndCounted) {
  Host& a = host("host-a", {probe("alice")});
  Host& b = host("host-b", {probe("bob")});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("alice", "request bob 200 defer");
  ASSERT_FALSE(b.collector.wait_log("^bob: msg from=alice req=[1-9]").empty());
  const auto cb = a.collector.wait_log("^alice: callback id=");
  EXPECT_EQ(field(cb, "status"), 2) << cb;
  // bob's host keeps the request a little longer than alice's: it still answers (late).
  b.post("bob", "flush too late");
  EXPECT_FALSE(a.collector.wait_event("^\\$cluster: late-reply: ").empty());
  EXPECT_EQ(a.cluster().late_replies, 1u);
  EXPECT_EQ(a.collector.logs_matching("^alice: callback id=").size(), 1u);
}

TEST_P(Cluster, CancelEndsTheRemoteRequestOnce) {
  Host& a = host("host-a", {probe("alice")});
  Host& b = host("host-b", {probe("bob")});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("alice", "request bob 0 defer");
  const long long id = field(a.collector.wait_log("^alice: request id="), "id");
  ASSERT_FALSE(b.collector.wait_log("^bob: msg from=alice req=[1-9]").empty());
  a.post("alice", "cancel " + std::to_string(id));
  EXPECT_EQ(field(a.collector.wait_log("^alice: callback id="), "status"), 3);
  b.post("bob", "flush after cancel");
  EXPECT_FALSE(a.collector.wait_event("^\\$cluster: late-reply: ").empty());
  EXPECT_EQ(a.collector.logs_matching("^alice: callback id=").size(), 1u);
}

TEST_P(Cluster, CapabilitiesAreCheckedAtBothHosts) {
  Capabilities none;
  Host& a = host("host-a", {probe("alice"), probe("mallory", none)});
  ClusterOptions strict;
  strict.accept_from = {"carol"};
  Host& b = host("host-b", {probe("bob")}, strict);
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("mallory", "send bob x");  // the sending host refuses: no grant
  EXPECT_FALSE(a.collector.wait_log("^mallory: send rc=-2$").empty());
  a.post("alice", "send bob y");  // granted at host-a, refused at host-b
  a.post("alice", "request bob 0 z");
  EXPECT_FALSE(b.collector.wait_event("^\\$cluster: refused: sender 'alice'").empty());
  const auto cb = a.collector.wait_log("^alice: callback id=");
  EXPECT_EQ(field(cb, "status"), 1) << cb;
  EXPECT_NE(cb.find("denied"), std::string::npos) << cb;
  EXPECT_EQ(b.cluster().refused_sender, 2u);
  EXPECT_TRUE(b.collector.logs_matching("^bob: msg").empty());
}

TEST_P(Cluster, PublishReachesEveryMatchingSubscriberOnce) {
  Host& a = host("host-a", {probe("alice"), probe("carol")});
  Host& b = host("host-b", {probe("bob"), probe("dave")});
  a.post("carol", "sub news.#");
  b.post("bob", "sub news.*");
  b.post("dave", "sub sport.*");
  ASSERT_FALSE(b.collector.wait_log("^dave: sub rc=0").empty());
  ASSERT_FALSE(b.collector.wait_log("^bob: sub rc=0").empty());
  ASSERT_FALSE(a.collector.wait_log("^carol: sub rc=0").empty());
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("alice", "pub news.eu hello");
  EXPECT_FALSE(b.collector.wait_log("^bob: msg from=alice req=0 payload=hello").empty());
  EXPECT_FALSE(a.collector.wait_log("^carol: msg from=alice req=0 payload=hello").empty());
  a.post("alice", "pub sport.x marker");  // after the first on the same connection: order tells
  EXPECT_FALSE(b.collector.wait_log("^dave: msg from=alice req=0 payload=marker").empty());
  EXPECT_EQ(b.collector.logs_matching("^bob: msg from=alice").size(), 1u);
  EXPECT_EQ(a.collector.logs_matching("^carol: msg from=alice").size(), 1u);
}

TEST_P(Cluster, ReplicasShareTheMessages) {
  Host& a = host("host-a", {probe("alice")});
  Host& b = host("host-b", {probe("worker")});
  Host& c = host("host-c", {probe("worker")});
  ASSERT_TRUE(a.runtime->wait_remote("worker", true, 5s));
  // Both replicas announced: wait until a's view counts two runners (host-c joined).
  ASSERT_FALSE(a.collector.wait_event("^\\$cluster: host-joined: host-c").empty());
  ASSERT_FALSE(a.collector.wait_event("^\\$cluster: host-joined: host-b").empty());
  a.post("alice", "burst 200 worker data");
  ASSERT_FALSE(a.collector.wait_log("^alice: burst sent=200 refused=0").empty());
  auto bn = b.collector.logs_matching("^worker: msg from=alice").size();
  auto cn = c.collector.logs_matching("^worker: msg from=alice").size();
  auto more = [&](Host& h, std::size_t n) { return h.collector.wait_logs_more_than("^worker: msg from=alice", n, 100ms).size(); };
  while (bn + cn < 200) {
    const auto nb = more(b, bn), nc = more(c, cn);
    if (nb == bn && nc == cn) break;
    bn = std::max(bn, nb);
    cn = std::max(cn, nc);
  }
  EXPECT_EQ(bn + cn, 200u);
  EXPECT_GT(bn, 0u);
  EXPECT_GT(cn, 0u);
}

TEST_P(Cluster, AHostThatLeavesEndsPendingRequestsWithStatus4) {
  Host& a = host("host-a", {probe("alice")});
  Host& b = host("host-b", {probe("bob")});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("alice", "monitor bob");
  EXPECT_FALSE(a.collector.wait_log("^alice: monitor rc=0$").empty());
  a.post("alice", "monitor nobody");
  EXPECT_FALSE(a.collector.wait_log("^alice: monitor rc=-1$").empty());
  a.post("alice", "request bob 0 defer");
  ASSERT_FALSE(b.collector.wait_log("^bob: msg from=alice req=[1-9]").empty());
  b.runtime->stop(1s);
  EXPECT_EQ(field(a.collector.wait_log("^alice: callback id="), "status"), 4);
  EXPECT_FALSE(a.collector.wait_log("^alice: msg from=\\$down req=0 payload=bob host-lost$").empty());
  EXPECT_TRUE(a.runtime->wait_remote("bob", false, 5s));
  a.post("alice", "send bob after");
  EXPECT_FALSE(a.collector.wait_log("^alice: send rc=-1$").empty());
  EXPECT_EQ(a.collector.logs_matching("^alice: callback id=").size(), 1u);
}

TEST_P(Cluster, UnreachableServerIsAClearErrorAtStart) {
  RuntimeOptions o;
  o.engine = GetParam();
  o.cluster.url = "nats://127.0.0.1:1";
  o.cluster.lattice = "x";
  auto rt = Runtime::create(std::move(o), {probe("alice")});
  ASSERT_TRUE(rt.ok());
  auto st = (*rt)->start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("cannot connect to NATS at nats://127.0.0.1:1"), std::string::npos)
      << st.error().message;
  EXPECT_EQ(st.error().message.find('\n'), std::string::npos);
}

TEST_P(Cluster, ServerRestartReconnectsAndNothingHangs) {
  test::NatsServer own;
  ASSERT_TRUE(own.start());
  Host& a = host("host-a", {probe("alice")}, {}, own.url());
  Host& b = host("host-b", {probe("bob")}, {}, own.url());
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("alice", "request bob 1500 defer");  // in flight across the restart: ends by timeout
  ASSERT_FALSE(b.collector.wait_log("^bob: msg from=alice req=[1-9]").empty());
  ASSERT_TRUE(own.restart());
  EXPECT_EQ(field(a.collector.wait_log("^alice: callback id="), "status"), 2);
  // Both came back: a request goes through again.
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 10s));
  std::string cb;
  for (int attempt = 0; attempt < 20 && field(cb, "status") != 0; ++attempt) {
    a.post("alice", "request bob 500 again");
    auto cbs = a.collector.wait_logs_more_than("^alice: callback id=", static_cast<std::size_t>(attempt) + 1);
    ASSERT_GT(cbs.size(), static_cast<std::size_t>(attempt) + 1);
    cb = cbs.back();
  }
  EXPECT_EQ(field(cb, "status"), 0) << cb;
  EXPECT_GE(a.cluster().reconnects, 1u);
}

// Whatever else reaches the lattice's subjects is refused and counted; the hosts go on.
TEST_P(Cluster, HostileLatticeMessagesAreCountedRefusals) {
  Host& a = host("host-a", {probe("alice")});
  Host& b = host("host-b", {probe("bob"), probe("dave")});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("alice", "request bob 0 defer");  // pending while the forgeries arrive
  const long long id = field(a.collector.wait_log("^alice: request id="), "id");
  ASSERT_FALSE(b.collector.wait_log("^bob: msg from=alice req=[1-9]").empty());
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, server_->url().c_str()), NATS_OK);
  const std::string p = "wactor." + lattice() + ".";
  auto pub = [&](const std::string& subject, const std::string& data) {
    ASSERT_EQ(natsConnection_Publish(nc, subject.c_str(), data.data(), static_cast<int>(data.size())), NATS_OK);
  };
  const std::string bob = p + "c." + cluster::hex("bob");
  const std::string host_a = p + "h." + cluster::hex("host-a");
  pub(bob, "");
  pub(bob, std::string("\x01\x01\xff\xff\xff\xff", 6));
  pub(p + "hb", "not a frame");
  pub(host_a, std::string(1000, '\x01'));
  cluster::Frame stranger{cluster::Kind::kSend, "mallory-host", "mallory", "bob", "x", 0, 0, 0, 0, 0, {}};
  pub(bob, cluster::encode(stranger));  // a host that never announced itself
  cluster::Frame wrong_target{cluster::Kind::kReply, "host-b", "", "carol", "forged", id, 0, 0, 0, 0, {}};
  pub(host_a, cluster::encode(wrong_target));  // a member answering for a target it was not asked
  cluster::Frame hb_on_data{cluster::Kind::kHeartbeat, "host-x", "", "", "", 0, 0, 0, 1, 50, {"bob"}};
  pub(bob, cluster::encode(hb_on_data));  // membership only on the heartbeat subject
  cluster::Frame elsewhere{cluster::Kind::kSend, "host-a", "alice", "dave", "sneaky", 0, 0, 0, 0, 0, {}};
  pub(bob, cluster::encode(elsewhere));  // on bob's subject, naming dave
  ASSERT_EQ(natsConnection_Flush(nc), NATS_OK);
  natsConnection_Destroy(nc);
  EXPECT_FALSE(a.collector.wait_event("^\\$cluster: late-reply: ").empty());
  EXPECT_EQ(b.collector.wait_events_more_than("^\\$cluster: refused: ", 5).size(), 6u);
  // The real answer still ends the request, once.
  b.post("bob", "flush real");
  const auto cb = a.collector.wait_log("^alice: callback id=");
  EXPECT_NE(cb.find("status=0 payload=real"), std::string::npos) << cb;
  EXPECT_EQ(a.collector.logs_matching("^alice: callback id=").size(), 1u);
  const auto bs = b.cluster();
  // Two garbage frames, the heartbeat off its subject, the hb subject's garbage, dave's frame.
  EXPECT_EQ(bs.refused_malformed, 5u);
  EXPECT_EQ(bs.refused_unknown_host, 1u);
  EXPECT_GE(a.cluster().refused_malformed, 1u);
  EXPECT_EQ(a.cluster().late_replies, 1u);
  EXPECT_TRUE(b.collector.logs_matching("^bob: msg from=mallory").empty());
  EXPECT_TRUE(b.collector.logs_matching("^dave: msg").empty());
}

// A component that writes storage sends and publishes to other hosts only once its writes
// are durable, like it does on its own host (docs/STORAGE.md): in order, and never the
// output of a handler whose commit failed.
TEST_P(Cluster, StorageWritersOutputsCrossHostsOnlyAfterTheCommit) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("wactor-cluster-kv-" + GetParam() + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  storage_ = StorageOptions{};
  storage_->path = (dir / "state.db").string();
  storage_->max_pages = 12;  // full after a few big values
  auto kv = ComponentSpec{"writer", test::guest_bytes("kv_probe.wasm"), test::guest_path("kv_probe.wasm"), {}, 0, {},
                          Capabilities::all(), {}, {}, {}, {}};
  Host& a = host("host-a", {std::move(kv), probe("plain")});
  storage_.reset();
  Host& b = host("host-b", {probe("bob")});
  b.post("bob", "sub news");
  ASSERT_FALSE(b.collector.wait_log("^bob: sub rc=0").empty());
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  for (int i = 0; i < 50; ++i) a.post("writer", "incr-send n bob");
  auto got = b.collector.wait_logs_more_than("^bob: msg from=writer ", 49);
  ASSERT_EQ(got.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_NE(got[i].find("payload=n=" + std::to_string(i + 1)), std::string::npos) << got[i];
  // Fill the database until a handler's commit fails: its send and its publish never leave.
  std::string failed;
  for (int i = 0; i < 40 && failed.empty(); ++i) {
    for (const char* cmd : {"big-send", "big-pub"}) {
      const std::string key = std::string(cmd) + std::to_string(i);
      a.post("writer", std::string(cmd) + " " + key + " 3000 " + (cmd[4] == 's' ? "bob" : "news"));
      const auto line = a.collector.wait_log("^writer: " + std::string(cmd) + " " + key + " ");
      (void)line;
      ASSERT_TRUE(a.runtime->wait_idle(10s));
      if (!a.collector.events_matching("^writer: storage-failed: ").empty()) {
        failed = key;
        break;
      }
    }
  }
  ASSERT_FALSE(failed.empty()) << "the database never filled";
  // A marker on the same connection and subject after the failed handler: once bob has it,
  // anything the failed handler had put on the wire would have arrived before it.
  a.post("plain", "send bob marker");
  a.post("plain", "pub news marker");
  EXPECT_EQ(b.collector.wait_logs_more_than("^bob: msg from=plain req=0 payload=marker", 1).size(), 2u);
  EXPECT_TRUE(b.collector.logs_matching("^bob: msg from=writer req=0 payload=" + failed + "$").empty()) << failed;
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Engines, Cluster, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

// The frame decoder is fed by the network: everything but one well-formed frame is refused.
TEST(ClusterWire, EveryKindRoundTrips) {
  using cluster::Frame;
  using cluster::Kind;
  std::vector<Frame> frames(6);
  frames[0] = {Kind::kSend, "h1", "alice", "bob", std::string("p\0q", 3), 0, 0, 0, 0, 0, {}};
  frames[1] = {Kind::kRequest, "h1", "alice", "bob.x", "req", 42, 0, 1500, 0, 0, {}};
  frames[2] = {Kind::kReply, "h2", "", "bob.x", "answer", 42, 1, 0, 0, 0, {}};
  frames[3] = {Kind::kPublish, "h1", "alice", "news.eu", "", 0, 0, 0, 0, 0, {}};
  frames[4] = {Kind::kHeartbeat, "h3", "", "", "", 0, 0, 0, 7, 250, {"a", "b.c"}};
  frames[5] = {Kind::kBye, "h3", "", "", "", 0, 0, 0, 0, 0, {}};
  for (const auto& f : frames) {
    const auto bytes = cluster::encode(f);
    auto d = cluster::decode(bytes);
    ASSERT_TRUE(d.frame) << d.error;
    EXPECT_EQ(d.frame->kind, f.kind);
    EXPECT_EQ(d.frame->host, f.host);
    EXPECT_EQ(d.frame->sender, f.sender);
    EXPECT_EQ(d.frame->target, f.target);
    EXPECT_EQ(d.frame->payload, f.payload);
    EXPECT_EQ(d.frame->request_id, f.request_id);
    EXPECT_EQ(d.frame->status, f.status);
    EXPECT_EQ(d.frame->timeout_ms, f.timeout_ms);
    EXPECT_EQ(d.frame->ids, f.ids);
    // Every strict prefix is refused, and so is a trailing byte.
    for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(cluster::decode(bytes.substr(0, n)).frame) << n;
    EXPECT_FALSE(cluster::decode(bytes + "x").frame);
  }
}

TEST(ClusterWire, HostileFramesAreRefusedWithAReason) {
  cluster::Frame f{cluster::Kind::kSend, "h1", "alice", "bob", "p", 0, 0, 0, 0, 0, {}};
  std::string ok = cluster::encode(f);
  std::string bad_version = ok;
  bad_version[0] = 9;
  EXPECT_NE(cluster::decode(bad_version).error.find("version"), std::string::npos);
  std::string bad_kind = ok;
  bad_kind[1] = 77;
  EXPECT_NE(cluster::decode(bad_kind).error.find("kind"), std::string::npos);
  f.sender = "al ice";  // not an id
  EXPECT_FALSE(cluster::decode(cluster::encode(f)).frame);
  f.sender = std::string(200, 'a');
  EXPECT_FALSE(cluster::decode(cluster::encode(f)).frame);
  cluster::Frame r{cluster::Kind::kReply, "h2", "", "bob", "", 5, 9, 0, 0, 0, {}};
  EXPECT_NE(cluster::decode(cluster::encode(r)).error.find("status"), std::string::npos);
  std::string huge_len = ok.substr(0, 2) + std::string("\xff\xff\xff\xff", 4);
  EXPECT_FALSE(cluster::decode(huge_len).frame);
  EXPECT_FALSE(cluster::decode("").frame);
}

}  // namespace
}  // namespace wactor
