// Batches (src/cluster/batch.h): several frames of one host in one NATS message. The wire form
// and its decoder (all or nothing), the Batcher's bounds and order without NATS, and two hosts
// over a real nats-server: a burst crosses in bounded batches in order, and a malformed batch
// is refused whole and counted.
#include <gtest/gtest.h>

#include <nats/nats.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>

#include "cluster/batch.h"
#include "cluster/link.h"
#include "cluster_support.h"
#include "nats_support.h"
#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using cluster::Frame;
using cluster::Kind;

Frame send_frame(const std::string& host, const std::string& payload, const std::string& target = "bob") {
  return Frame{Kind::kSend, host, "alice", target, payload, 0, 0, 0, 0, 0, {}};
}

TEST(ClusterBatchWire, RoundTripsAndEveryPrefixIsRefused) {
  const std::vector<std::string> frames = {
      cluster::encode(send_frame("h1", "one")),
      cluster::encode(Frame{Kind::kRequest, "h1", "alice", "bob", "two", 7, 0, 100, 0, 0, {}}),
      cluster::encode(Frame{Kind::kPublish, "h1", "alice", "news", "three", 0, 0, 0, 0, 0, {}})};
  const std::string bytes = cluster::encode_batch("h1", frames);
  auto m = cluster::decode_message(bytes);
  ASSERT_EQ(m.frames.size(), 3u) << m.error;
  EXPECT_TRUE(m.batch);
  EXPECT_EQ(m.frames[0].payload, "one");
  EXPECT_EQ(m.frames[1].request_id, 7);
  EXPECT_EQ(m.frames[2].kind, Kind::kPublish);
  for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_TRUE(cluster::decode_message(bytes.substr(0, n)).frames.empty()) << n;
  EXPECT_NE(cluster::decode_message(bytes + "x").error.find("trailing"), std::string::npos);
  // A single frame is a message of one frame.
  auto single = cluster::decode_message(frames[0]);
  ASSERT_EQ(single.frames.size(), 1u);
  EXPECT_FALSE(single.batch);
}

TEST(ClusterBatchWire, AMalformedBatchIsRefusedWhole) {
  const std::string good = cluster::encode(send_frame("h1", "ok"));
  auto refused = [](const std::string& bytes) {
    auto m = cluster::decode_message(bytes);
    EXPECT_TRUE(m.frames.empty());
    EXPECT_EQ(m.error.rfind("batch: ", 0), 0u) << m.error;
    return m.error;
  };
  EXPECT_NE(refused(cluster::encode_batch("h1", {good, good.substr(0, good.size() - 1)})).find("frame 1"), std::string::npos);
  EXPECT_NE(refused(cluster::encode_batch("h1", {good, cluster::encode(send_frame("h2", "x"))})).find("another host"),
            std::string::npos);
  const std::string hb = cluster::encode(Frame{Kind::kHeartbeat, "h1", "", "", "", 0, 0, 0, 1, 50, {"bob"}});
  EXPECT_NE(refused(cluster::encode_batch("h1", {good, hb})).find("kind"), std::string::npos);
  const std::string reply = cluster::encode(Frame{Kind::kReply, "h1", "", "bob", "", 3, 0, 0, 0, 0, {}});
  EXPECT_NE(refused(cluster::encode_batch("h1", {reply})).find("kind"), std::string::npos);
  const std::string nested = cluster::encode_batch("h1", {good});
  EXPECT_NE(refused(cluster::encode_batch("h1", {nested})).find("frame 0"), std::string::npos);
  EXPECT_NE(refused(cluster::encode_batch("h1", {})).find("count"), std::string::npos);
  std::string too_many = cluster::encode_batch("h1", {good});
  const std::size_t at = 2 + 4 + 2;  // the count
  too_many[at] = static_cast<char>(0xff);
  too_many[at + 1] = static_cast<char>(0xff);
  EXPECT_NE(refused(too_many).find("count"), std::string::npos);
  EXPECT_NE(refused(cluster::encode_batch("bad host", {good})).find("host"), std::string::npos);
}

// What a Batcher published, decoded.
struct Sink {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, cluster::Message>> messages;
  std::vector<std::size_t> sizes;
  std::size_t frames = 0;
  cluster::Batcher::PublishFn fn() {
    return [this](const std::string& subject, std::string_view data, std::size_t n) {
      auto m = cluster::decode_message(data);
      EXPECT_EQ(m.frames.size(), n) << m.error;
      std::lock_guard lock(mu);
      frames += m.frames.size();
      sizes.push_back(data.size());
      messages.emplace_back(subject, std::move(m));
      cv.notify_all();
      return 0;
    };
  }
  bool wait_frames(std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 10s, [&] { return frames >= n; });
  }
};

TEST(ClusterBatcher, BatchesAreBoundedAndKeepTheOrderPerSubject) {
  Sink sink;
  cluster::Batcher::Limits limits;
  limits.max_bytes = 2000;
  limits.max_frames = 16;
  limits.window = 50us;
  cluster::Batcher b("h1", limits, sink.fn());
  constexpr int kN = 3000;
  for (int i = 0; i < kN; ++i) {
    const std::string subject = i % 3 == 0 ? "s.a" : "s.b";
    const std::string payload = std::to_string(i) + (i % 7 == 0 ? std::string(300, 'x') : "");
    // Every 50th goes at once (as a request does), with what was batched before it.
    EXPECT_EQ(b.add(subject, cluster::encode(send_frame("h1", payload)), i % 50 == 0), 0);
  }
  ASSERT_TRUE(sink.wait_frames(kN));
  b.stop();
  std::lock_guard lock(sink.mu);
  EXPECT_EQ(sink.frames, static_cast<std::size_t>(kN));
  std::map<std::string, std::vector<int>> seen;
  std::size_t batches = 0;
  for (std::size_t i = 0; i < sink.messages.size(); ++i) {
    const auto& [subject, m] = sink.messages[i];
    EXPECT_LE(m.frames.size(), limits.max_frames);
    EXPECT_LE(sink.sizes[i], limits.max_bytes);
    batches += m.batch ? 1 : 0;
    for (const auto& f : m.frames) seen[subject].push_back(std::stoi(f.payload));
  }
  EXPECT_GT(batches, 0u);
  for (const auto& [subject, order] : seen) {
    EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << subject;
  }
  EXPECT_EQ(seen["s.a"].size() + seen["s.b"].size(), static_cast<std::size_t>(kN));
}

TEST(ClusterBatcher, ALoneFrameGoesWithinTheWindowAndABigOneAlone) {
  Sink sink;
  cluster::Batcher::Limits limits;
  limits.max_bytes = 1000;
  cluster::Batcher b("h1", limits, sink.fn());
  EXPECT_EQ(b.add("s", cluster::encode(send_frame("h1", "lone")), false), 0);
  ASSERT_TRUE(sink.wait_frames(1));  // no flush asked: the window sends it
  EXPECT_EQ(b.add("s", cluster::encode(send_frame("h1", "small")), false), 0);
  EXPECT_EQ(b.add("s", cluster::encode(send_frame("h1", std::string(5000, 'x'))), false), 0);
  ASSERT_TRUE(sink.wait_frames(3));
  std::lock_guard lock(sink.mu);
  ASSERT_EQ(sink.messages.size(), 3u);  // the small one did not wait in a batch grown past the bound
  EXPECT_FALSE(sink.messages[2].second.batch);
  EXPECT_EQ(sink.messages[1].second.frames[0].payload, "small");
}

TEST(ClusterBatcher, AFrameCapPerAddAndStopSendsWhatIsLeft) {
  Sink sink;
  cluster::Batcher::Limits limits;
  limits.window = 10s;  // only the bounds and stop() send here
  cluster::Batcher b("h1", limits, sink.fn());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(b.add("s", cluster::encode(send_frame("h1", std::to_string(i))), false, 8), 0);
  ASSERT_TRUE(sink.wait_frames(16));
  b.stop();
  std::lock_guard lock(sink.mu);
  ASSERT_EQ(sink.messages.size(), 3u);
  EXPECT_EQ(sink.messages[0].second.frames.size(), 8u);
  EXPECT_EQ(sink.messages[2].second.frames.size(), 4u);
  EXPECT_EQ(sink.messages[2].second.frames.back().payload, "19");
}

using Host = test::ClusterHost;

class ClusterBatch : public test::ClusterHosts {
 protected:
  Host& host(const std::string& id, const std::string& component) {
    return ClusterHosts::host(id, {probe(component)});
  }
};

// A burst larger than one batch, then a send and a request: bob sees them in that order, and
// the burst went in several batches.
TEST_P(ClusterBatch, ABurstCrossesInBatchesInOrder) {
  Host& a = host("host-a", "alice");
  Host& b = host("host-b", "bob");
  ASSERT_TRUE(a.runtime->wait_remote("bob", true, 5s));
  constexpr int kN = 3000;  // ~45 B frames: more than two 64 KiB batches
  ASSERT_EQ(a.runtime->post("alice", "burst " + std::to_string(kN) + " bob data"), 0);
  ASSERT_EQ(a.runtime->post("alice", "send bob after"), 0);
  ASSERT_EQ(a.runtime->post("alice", "request bob 0 last"), 0);
  const auto cb = a.collector.wait_log("^alice: callback id=");
  EXPECT_NE(cb.find("payload=echo:last"), std::string::npos) << cb;
  auto got = b.collector.wait_logs_more_than("^bob: msg from=alice ", kN + 1);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kN + 2));
  for (int i = 0; i < kN; ++i) ASSERT_EQ(got[i], "bob: msg from=alice req=0 payload=data") << i;
  EXPECT_EQ(got[kN], "bob: msg from=alice req=0 payload=after");
  EXPECT_NE(got[kN + 1].find("payload=last"), std::string::npos) << got[kN + 1];
  EXPECT_GE(a.cluster().batches_sent, 2u);
  EXPECT_EQ(b.cluster().refused_malformed, 0u);
}

// Batches forged by another connection in host-a's name: a malformed one is refused whole
// (none of its frames reaches bob) and counted; a well-formed one is delivered in order.
TEST_P(ClusterBatch, AMalformedBatchIsRefusedAndCounted) {
  host("host-a", "alice");
  Host& b = host("host-b", "bob");
  ASSERT_TRUE(b.runtime->wait_remote("alice", true, 5s));
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, server_->url().c_str()), NATS_OK);
  const std::string bob = "wactor." + lattice() + ".c." + cluster::hex("bob");
  auto pub = [&](const std::string& data) {
    ASSERT_EQ(natsConnection_Publish(nc, bob.c_str(), data.data(), static_cast<int>(data.size())), NATS_OK);
  };
  const std::string good = cluster::encode(send_frame("host-a", "forged"));
  pub(cluster::encode_batch("host-a", {good, good.substr(0, good.size() - 2)}));
  pub(cluster::encode_batch("host-a", {good, cluster::encode(send_frame("host-b", "x"))}));
  pub(cluster::encode_batch("host-a", {good, cluster::encode(send_frame("host-a", "x", "carol"))}));
  pub(cluster::encode_batch("host-a", {cluster::encode(send_frame("host-a", "ok1")),
                                       cluster::encode(send_frame("host-a", "ok2"))}));
  ASSERT_EQ(natsConnection_Flush(nc), NATS_OK);
  natsConnection_Destroy(nc);
  auto got = b.collector.wait_logs_more_than("^bob: msg from=alice ", 2);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "bob: msg from=alice req=0 payload=forged");
  EXPECT_EQ(got[1], "bob: msg from=alice req=0 payload=ok1");
  EXPECT_EQ(got[2], "bob: msg from=alice req=0 payload=ok2");
  // Two refused by the decoder; the third decodes, but its frame for carol on bob's subject
  // is refused (its first frame, for bob, is delivered: each frame is checked as a frame).
  const auto bs = b.cluster();
  EXPECT_EQ(bs.refused_malformed, 3u);
  EXPECT_TRUE(b.collector.logs_matching("payload=x").empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, ClusterBatch, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
