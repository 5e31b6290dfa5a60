// A partition: one host's connection to NATS is cut (a TCP proxy between it and the
// server, closed by the test) while traffic flows, then healed (docs/CLUSTER.md, "Partitions").
#include <gtest/gtest.h>

#include "cluster_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::field;

class ClusterPartition : public test::ClusterHosts {};

TEST_P(ClusterPartition, ACutHostIsCountedDownBothWaysAndComesBack) {
  test::TcpProxy proxy(server_->port());
  ASSERT_TRUE(proxy.start());
  test::ClusterHost& a = host("host-a", {probe("alice")});
  test::ClusterHost& b = host("host-b", {probe("bob")});
  ClusterOptions via;
  via.url = proxy.url();
  test::ClusterHost& c = host("host-c", {probe("carol")}, via);
  ASSERT_TRUE(a.runtime->wait_remote("carol", true, 5s));
  ASSERT_TRUE(b.runtime->wait_remote("carol", true, 5s));
  ASSERT_TRUE(c.runtime->wait_remote("alice", true, 5s));
  ASSERT_TRUE(c.runtime->wait_remote("bob", true, 5s));

  // Monitors and requests in flight on both sides of the cut to be.
  a.post("alice", "monitor carol");
  c.post("carol", "monitor alice");
  ASSERT_FALSE(a.collector.wait_log("^alice: monitor rc=0$").empty());
  ASSERT_FALSE(c.collector.wait_log("^carol: monitor rc=0$").empty());
  a.post("alice", "request carol 0 defer");
  c.post("carol", "request alice 0 defer");
  ASSERT_FALSE(c.collector.wait_log("^carol: msg from=alice req=[1-9]").empty());
  ASSERT_FALSE(a.collector.wait_log("^alice: msg from=carol req=[1-9]").empty());
  // Traffic flowing when the cut comes: bursts into and out of host-c, requests with a
  // timeout. (What host-c sends at the cut goes to bob, so that what host-a counts below
  // is only what carol sends once cut off.)
  a.post("alice", "burst 300 carol data");
  c.post("carol", "burst 300 bob data");
  a.post("alice", "request carol 200 defer");
  c.post("carol", "request bob 200 hello");

  const auto cut_at = std::chrono::steady_clock::now();
  proxy.cut();
  ASSERT_FALSE(c.collector.wait_event("^\\$cluster: disconnected: ").empty());
  // What carol sends while cut off (and before it counts alice's host gone) the client holds
  // for the reconnect: each is delivered after the heal or refused there and counted.
  const auto refused_before = a.cluster().refused_unknown_host;
  c.post("carol", "burst 100 alice buffered");
  const auto bursts = c.collector.wait_logs_more_than("^carol: burst sent=[0-9]+ refused=[0-9]+$", 1);
  ASSERT_EQ(bursts.size(), 2u);
  const std::string& burst = bursts.back();
  const long long buffered = field(burst, "sent");
  const long long refused_at_c = field(burst, "refused");
  EXPECT_EQ(buffered + refused_at_c, 100);

  // Each side counts the other's components down within dead_after (+ one heartbeat, and
  // slack for a loaded machine): pending requests end with status 4, monitors hear it.
  const auto lost_a = a.collector.wait_log("^alice: msg from=\\$down req=0 payload=carol host-lost$", 10s);
  const auto a_took = std::chrono::steady_clock::now() - cut_at;
  const auto lost_c = c.collector.wait_log("^carol: msg from=\\$down req=0 payload=alice host-lost$", 10s);
  const auto c_took = std::chrono::steady_clock::now() - cut_at;
  EXPECT_FALSE(lost_a.empty());
  EXPECT_FALSE(lost_c.empty());
  EXPECT_LT(a_took, 1000ms + 1500ms);
  EXPECT_LT(c_took, 1000ms + 1500ms);
  EXPECT_TRUE(b.runtime->wait_remote("carol", false, 5s));
  // Every request of either side ended (reply, timeout or target down), once.
  auto ended = [](test::ClusterHost& h, const std::string& who) {
    return h.collector.wait_logs_more_than("^" + who + ": callback id=", 1, 10s);
  };
  const auto a_cbs = ended(a, "alice");
  const auto c_cbs = ended(c, "carol");
  ASSERT_EQ(a_cbs.size(), 2u);
  ASSERT_EQ(c_cbs.size(), 2u);
  // The first request of each (deferred, no timeout of its own) ends because its target's
  // host is gone; the others by reply, timeout or that.
  auto status_of = [](test::ClusterHost& h, const std::string& who, std::size_t nth) {
    const auto ids = h.collector.logs_matching("^" + who + ": request id=");
    if (ids.size() <= nth) return -999LL;
    const auto cb = h.collector.logs_matching("^" + who + ": callback id=" + std::to_string(field(ids[nth], "id")) + " ");
    return cb.size() == 1 ? field(cb[0], "status") : -999LL;
  };
  EXPECT_EQ(status_of(a, "alice", 0), 4);
  EXPECT_EQ(status_of(c, "carol", 0), 4);
  EXPECT_TRUE(status_of(a, "alice", 1) == 2 || status_of(a, "alice", 1) == 4) << status_of(a, "alice", 1);
  const auto c1 = status_of(c, "carol", 1);
  EXPECT_TRUE(c1 == 0 || c1 == 2 || c1 == 4) << c1;
  EXPECT_EQ(a.runtime->component("alice")->pending_requests, 0u);
  EXPECT_EQ(c.runtime->component("carol")->pending_requests, 0u);
  // Sends to a component no live host runs are -1 on both sides now.
  a.post("alice", "send carol during");
  c.post("carol", "send alice during");
  EXPECT_FALSE(a.collector.wait_log("^alice: send rc=-1$").empty());
  EXPECT_FALSE(c.collector.wait_log("^carol: send rc=-1$").empty());

  // The heal: both find each other again, and traffic resumes.
  proxy.heal();
  ASSERT_FALSE(c.collector.wait_event("^\\$cluster: reconnected: ").empty());
  ASSERT_TRUE(a.runtime->wait_remote("carol", true, 10s));
  ASSERT_TRUE(b.runtime->wait_remote("carol", true, 10s));
  ASSERT_TRUE(c.runtime->wait_remote("alice", true, 10s));
  ASSERT_TRUE(c.runtime->wait_remote("bob", true, 10s));
  // The requests they deferred before the cut ended on the requester's side: their answers
  // are late, refused and counted.
  c.post("carol", "flush after-heal");
  a.post("alice", "flush after-heal");
  EXPECT_FALSE(a.collector.wait_event("^\\$cluster: late-reply: ").empty());
  EXPECT_FALSE(c.collector.wait_event("^\\$cluster: late-reply: ").empty());
  a.post("alice", "request carol 0 again");
  c.post("carol", "request alice 0 again");
  const auto a_next = a.collector.wait_logs_more_than("^alice: callback id=", 2, 10s);
  const auto c_next = c.collector.wait_logs_more_than("^carol: callback id=", 2, 10s);
  ASSERT_EQ(a_next.size(), 3u);
  ASSERT_EQ(c_next.size(), 3u);
  EXPECT_NE(a_next.back().find("status=0 payload=echo:again"), std::string::npos) << a_next.back();
  EXPECT_NE(c_next.back().find("status=0 payload=echo:again"), std::string::npos) << c_next.back();

  // Nothing carol handed over while cut off was lost: delivered to alice, or refused by
  // host-a (it no longer counted host-c a member) and counted there.
  c.post("carol", "send alice marker");  // after every buffered frame on carol's connection
  ASSERT_FALSE(a.collector.wait_log("^alice: msg from=carol req=0 payload=marker$").empty());
  const auto delivered = a.collector.logs_matching("^alice: msg from=carol req=0 payload=buffered$").size();
  const auto refused_after = a.cluster().refused_unknown_host - refused_before;
  EXPECT_EQ(static_cast<long long>(delivered + refused_after), buffered)
      << delivered << " delivered, " << refused_after << " refused";
  EXPECT_GE(c.cluster().disconnects, 1u);
  EXPECT_GE(c.cluster().reconnects, 1u);
  EXPECT_GE(a.cluster().hosts_lost, 1u);
}

// A partition that drops packets instead of closing the connection: the cut host's client
// notices by its unanswered pings (about dead_after), holds what its components send for the
// reconnect, and comes back when the path does.
TEST_P(ClusterPartition, ASilentlyDroppedConnectionIsNoticedAndComesBack) {
  test::TcpProxy proxy(server_->port());
  ASSERT_TRUE(proxy.start());
  test::ClusterHost& a = host("host-a", {probe("alice")});
  ClusterOptions via;
  via.url = proxy.url();
  test::ClusterHost& c = host("host-c", {probe("carol")}, via);
  ASSERT_TRUE(a.runtime->wait_remote("carol", true, 5s));
  ASSERT_TRUE(c.runtime->wait_remote("alice", true, 5s));
  a.post("alice", "monitor carol");
  ASSERT_FALSE(a.collector.wait_log("^alice: monitor rc=0$").empty());

  proxy.blackhole();
  // Without pings of its own (nats.c: every 2 minutes) the client would write into the void
  // for minutes; with them it gives up on the connection within about dead_after.
  EXPECT_FALSE(c.collector.wait_event("^\\$cluster: disconnected: ", 8s).empty());
  EXPECT_FALSE(a.collector.wait_log("^alice: msg from=\\$down req=0 payload=carol host-lost$").empty());
  EXPECT_TRUE(c.runtime->wait_remote("alice", false, 5s));

  proxy.heal();
  ASSERT_FALSE(c.collector.wait_event("^\\$cluster: reconnected: ", 10s).empty());
  ASSERT_TRUE(a.runtime->wait_remote("carol", true, 10s));
  ASSERT_TRUE(c.runtime->wait_remote("alice", true, 10s));
  c.post("carol", "request alice 0 back");
  const auto cb = c.collector.wait_log("^carol: callback id=");
  EXPECT_NE(cb.find("status=0 payload=echo:back"), std::string::npos) << cb;
}

INSTANTIATE_TEST_SUITE_P(Engines, ClusterPartition, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
