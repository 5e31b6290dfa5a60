// The NATS link on its own (cluster/link.h), between two links over a real nats-server, with
// a LinkHost of the test's: what the host does with a frame is the test's to choose.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "cluster/link.h"
#include "nats_support.h"

namespace wactor::cluster {
namespace {

using namespace std::chrono_literals;

// Runs `ids`; each send's payload is recorded, except that "bad-alloc" and "throw" make
// on_send throw (what running out of memory, or any other host failure, looks like to the
// link's NATS thread).
class TestHost : public LinkHost {
 public:
  explicit TestHost(std::vector<std::string> ids) : ids_(std::move(ids)) {}
  std::vector<std::string> local_ids() override { return ids_; }
  void on_send(Frame&& f) override {
    if (f.payload == "bad-alloc") throw std::bad_alloc();
    if (f.payload == "throw") throw std::runtime_error("the host failed");
    std::lock_guard lock(mu_);
    received_.push_back(f.payload);
    cv_.notify_all();
  }
  void on_request(Frame&&) override {}
  void on_reply(Frame&&) override {}
  void on_publish(Frame&&) override {}
  void on_ids_lost(const std::vector<std::string>&) override {}

  std::vector<std::string> wait_received(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 10s, [&] { return received_.size() >= n; });
    return received_;
  }

 private:
  const std::vector<std::string> ids_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> received_;
};

struct Events {
  std::mutex mu;
  std::vector<std::string> seen;
  Link::EventFn sink() {
    return [this](std::string_view kind, const std::string& detail) {
      std::lock_guard lock(mu);
      seen.push_back(std::string(kind) + ": " + detail);
    };
  }
  std::vector<std::string> matching(const std::string& part) {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& s : seen) {
      if (s.find(part) != std::string::npos) out.push_back(s);
    }
    return out;
  }
};

ClusterOptions options(const test::NatsServer& server, const std::string& host, bool asap) {
  ClusterOptions o;
  o.url = server.url();
  o.lattice = "link-test";
  o.host_id = host;
  o.heartbeat = 50ms;
  o.dead_after = 60s;  // a loaded machine's stall must not end the membership
  o.send_asap = asap;  // false: the five frames below travel batched, in one NATS message or a few
  return o;
}

class ClusterLink : public ::testing::TestWithParam<bool> {};

// A frame whose handling throws on this host (out of memory, say) is dropped, counted and
// told; the NATS thread goes on, and the frames after it (in its batch too) arrive as usual.
TEST_P(ClusterLink, AFrameWhoseHandlingThrowsIsDroppedAndTheNextArrive) {
  test::NatsServer server;
  ASSERT_TRUE(server.start()) << "nats-server did not start";
  TestHost host_a({}), host_b({"x"});
  Events events_a, events_b;
  std::string error;
  auto a = Link::connect(options(server, "host-a", GetParam()), host_a, events_a.sink(), error);
  ASSERT_NE(a, nullptr) << error;
  auto b = Link::connect(options(server, "host-b", GetParam()), host_b, events_b.sink(), error);
  ASSERT_NE(b, nullptr) << error;
  ASSERT_TRUE(a->wait_runs("x", true, 10s));
  for (const char* payload : {"one", "bad-alloc", "two", "throw", "three"}) {
    Frame f{Kind::kSend, "", "s", "x", payload, 0, 0, 0, 0, 0, {}};
    ASSERT_EQ(a->to_component(f), 0) << payload;
  }
  // Ordered on one connection: "three" is the last of them.
  EXPECT_EQ(host_b.wait_received(3), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(b->stats().dropped_host_error, 2u);
  const auto told = events_b.matching("dropped: host error");
  ASSERT_EQ(told.size(), 2u);
  EXPECT_NE(told[0].find("refused: frame on wactor.link-test.c."), std::string::npos) << told[0];
  EXPECT_NE(told[0].find("bad_alloc"), std::string::npos) << told[0];
  EXPECT_NE(told[1].find("the host failed"), std::string::npos) << told[1];
  EXPECT_EQ(a->stats().dropped_host_error, 0u);
  b->close();
  a->close();
}

INSTANTIATE_TEST_SUITE_P(Delivery, ClusterLink, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "asap" : "batched"; });

}  // namespace
}  // namespace wactor::cluster
