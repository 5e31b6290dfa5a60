// What the lattice may not do (a host claiming an id it should not) and the imports whose
// meaning across hosts is defined in docs/ABI.md: send-after reaches a remote target when it
// fires; broadcast stays on the sender's host.
#include <gtest/gtest.h>

#include <nats/nats.h>

#include "cluster/link.h"
#include "cluster/wire.h"
#include "cluster_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::field;

class ClusterLattice : public test::ClusterHosts {
 protected:
  // Raw NATS, as a foreign client on the lattice would publish.
  void forge(const std::string& subject, const cluster::Frame& f) {
    natsConnection* nc = nullptr;
    ASSERT_EQ(natsConnection_ConnectTo(&nc, server_->url().c_str()), NATS_OK);
    const std::string data = cluster::encode(f);
    ASSERT_EQ(natsConnection_Publish(nc, subject.c_str(), data.data(), static_cast<int>(data.size())), NATS_OK);
    ASSERT_EQ(natsConnection_Flush(nc), NATS_OK);
    natsConnection_Destroy(nc);
  }
  [[nodiscard]] std::string subject(const std::string& rest) const { return "wactor." + lattice() + "." + rest; }

  ManualClock clock_;  // outlives the hosts (TearDown stops them)
};

// A second host started with an id already live in the lattice would take the first one's
// replies (both listen on the id's reply subject): it does not start, and the first counts it.
TEST_P(ClusterLattice, ASecondHostWithALiveHostsIdDoesNotStart) {
  ClusterOptions slow;
  slow.heartbeat = 200ms;  // the newcomer waits one interval for the answer
  test::ClusterHost& a = host("host-a", {probe("alice")}, slow);
  test::ClusterHost twin;
  RuntimeOptions o = options(twin, [&] {
    ClusterOptions c = slow;
    c.host_id = "host-a";
    return c;
  }());
  auto rt = Runtime::create(std::move(o), {probe("other")});
  ASSERT_TRUE(rt.ok());
  auto st = (*rt)->start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("host_id 'host-a' is already in use in lattice"), std::string::npos)
      << st.error().message;
  (*rt)->stop(1s);
  EXPECT_FALSE(a.collector.wait_event("^\\$cluster: refused: frame from another connection claiming this host's id").empty());
  EXPECT_GE(a.cluster().refused_unknown_host, 1u);
}

// A heartbeat (or any frame) naming this host as its sender comes from another connection:
// refused and counted, never taken as ours.
TEST_P(ClusterLattice, AFrameClaimingOurHostIdIsACountedRefusal) {
  test::ClusterHost& a = host("host-a", {probe("alice")});
  test::ClusterHost& b = host("host-b", {probe("bob")});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  cluster::Frame hb{cluster::Kind::kHeartbeat, "host-a", "", "", "", 0, 0, 0, 1, 50, {"evil"}};
  forge(subject("hb"), hb);
  cluster::Frame send{cluster::Kind::kSend, "host-a", "mallory", "alice", "x", 0, 0, 0, 0, 0, {}};
  forge(subject("c." + cluster::hex("alice")), send);
  EXPECT_EQ(a.collector.wait_events_more_than("^\\$cluster: refused: frame from another connection claiming", 1).size(),
            2u);
  EXPECT_EQ(a.cluster().refused_unknown_host, 2u);
  EXPECT_FALSE(a.runtime->wait_remote("evil", true, 0ms));
  EXPECT_TRUE(a.collector.logs_matching("^alice: msg from=mallory").empty());
  // The host goes on: a request across still works.
  a.post("alice", "request bob 0 fine");
  EXPECT_NE(a.collector.wait_log("^alice: callback id=").find("status=0 payload=echo:fine"), std::string::npos);
  (void)b;
}

// A member that does not run the target answers a pending request (the id is guessable):
// refused and counted; the real answer still ends it.
TEST_P(ClusterLattice, AReplyFromAHostThatWasNotAskedIsRefused) {
  test::ClusterHost& a = host("host-a", {probe("alice")});
  test::ClusterHost& b = host("host-b", {probe("bob")});
  host("host-c", {probe("carol")});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  ASSERT_TRUE(a.runtime->wait_remote("carol", true, 5s));
  a.post("alice", "request bob 0 defer");
  const long long id = field(a.collector.wait_log("^alice: request id="), "id");
  ASSERT_FALSE(b.collector.wait_log("^bob: msg from=alice req=[1-9]").empty());
  cluster::Frame reply{cluster::Kind::kReply, "host-c", "", "bob", "forged", id, 0, 0, 0, 0, {}};
  forge(subject("h." + cluster::hex("host-a")), reply);
  EXPECT_FALSE(a.collector.wait_event("^\\$cluster: refused: reply to request " + std::to_string(id) +
                                      " from host 'host-c', which does not run 'bob'")
                   .empty());
  EXPECT_EQ(a.cluster().late_replies, 1u);
  b.post("bob", "flush real");
  const auto cb = a.collector.wait_log("^alice: callback id=");
  EXPECT_NE(cb.find("status=0 payload=real"), std::string::npos) << cb;
  EXPECT_EQ(a.collector.logs_matching("^alice: callback id=").size(), 1u);
}

// send-after to a component on another host: delivered through the cluster when it fires (a
// send from its owner); dropped and counted if no host runs the target by then.
TEST_P(ClusterLattice, SendAfterReachesARemoteTargetWhenItFires) {
  test::ClusterHost& a =
      host("host-a", {probe("alice")}, {}, [this](RuntimeOptions& o) { o.clock = &clock_; });
  test::ClusterHost& b = host("host-b", {probe("bob"), probe("bea")});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("alice", "sendafter bob 100 tick");
  EXPECT_GT(field(a.collector.wait_log("^alice: sendafter id="), "id"), 0);
  a.post("alice", "sendafter nobody 100 x");
  EXPECT_EQ(field(a.collector.wait_logs_more_than("^alice: sendafter id=", 1).back(), "id"), -1);
  clock_.advance(100ms);
  a.runtime->expire_timers();
  EXPECT_FALSE(b.collector.wait_log("^bob: msg from=alice req=0 payload=tick$").empty());
  EXPECT_EQ(a.runtime->stats("alice")->messages_sent, 1u);

  a.post("alice", "sendafter bob 100 too-late");
  EXPECT_GT(field(a.collector.wait_logs_more_than("^alice: sendafter id=", 2).back(), "id"), 0);
  ASSERT_TRUE(b.runtime->stop_component("bob").ok());
  ASSERT_TRUE(a.runtime->wait_remote("bob", false, 5s));
  clock_.advance(100ms);
  a.runtime->expire_timers();
  EXPECT_EQ(a.runtime->stats("alice")->timers_dropped, 1u);
  EXPECT_EQ(a.runtime->metrics().pending_timers, 0u);
  a.post("alice", "send bea marker");  // after the dropped one, had it gone out
  EXPECT_FALSE(b.collector.wait_log("^bea: msg from=alice req=0 payload=marker$").empty());
  EXPECT_TRUE(b.collector.logs_matching("payload=too-late").empty());
}

// broadcast reaches the sender's own host only (docs/ABI.md): its count is of local queues.
TEST_P(ClusterLattice, BroadcastStaysOnTheSendersHost) {
  test::ClusterHost& a = host("host-a", {probe("alice"), probe("ann")});
  test::ClusterHost& b = host("host-b", {probe("bob")});
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  a.post("alice", "bcast hi");
  EXPECT_EQ(field(a.collector.wait_log("^alice: bcast rc="), "rc"), 1);
  EXPECT_FALSE(a.collector.wait_log("^ann: msg from=alice req=0 payload=hi$").empty());
  a.post("alice", "send bob marker");  // same connection, after the broadcast
  EXPECT_FALSE(b.collector.wait_log("^bob: msg from=alice req=0 payload=marker$").empty());
  EXPECT_TRUE(b.collector.logs_matching("payload=hi").empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, ClusterLattice, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
