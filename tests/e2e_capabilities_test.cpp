// Capabilities: deny by default, segment-aware grants, -2 to the guest and a report.
#include <gtest/gtest.h>

#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;

class Caps : public test::EngineRuntimeTest {
 protected:
  ComponentSpec granted(const std::string& id, Capabilities caps, std::string config = {}) {
    auto spec = probe(id, std::move(config));
    spec.capabilities = std::move(caps);
    return spec;
  }
};

TEST_P(Caps, NothingIsGrantedByDefault) {
  start({granted("a", {}), probe("b")});
  post("a", "send b x");
  post("a", "request b 0 x");
  post("a", "pub t.x x");
  post("a", "sub t.#");
  post("a", "bcast x");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^a: send rc=-2$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^a: request id=-2$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^a: pub rc=-2$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^a: sub rc=-2$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^a: bcast rc=-2$").size(), 1u);
  EXPECT_TRUE(collector.logs_matching("^b: msg from=a").empty());
  EXPECT_EQ(collector.events_matching("^a: denied: ").size(), 5u);
  EXPECT_EQ(stats("a").refused_denied, 5u);
}

TEST_P(Caps, GrantsAreSegmentAware) {
  start({granted("a", {{"workers.*"}, {"*.internal"}, {}, {}, {}}), probe("workers.one"), probe("workersx.one"),
         probe("workers.one.two"), probe("x.internal"), probe("evilinternal")});
  post("a", "send workers.one ok");
  post("a", "send workersx.one no");
  post("a", "send workers.one.two no");
  post("a", "request x.internal 0 ok");
  post("a", "request evilinternal 0 no");
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto sends = collector.logs_matching("^a: send rc=");
  ASSERT_EQ(sends.size(), 3u);
  EXPECT_EQ(sends[0], "a: send rc=0");
  EXPECT_EQ(sends[1], "a: send rc=-2");
  EXPECT_EQ(sends[2], "a: send rc=-2");
  EXPECT_EQ(collector.logs_matching("^a: request id=-2$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^a: callback id=[0-9]+ status=0 payload=echo:ok$").size(), 1u);
  EXPECT_TRUE(collector.logs_matching("^(workersx.one|workers.one.two|evilinternal): msg from=a").empty());
}

TEST_P(Caps, AGrantedTargetKeptBetweenSendsNeverCoversAnotherOrTheOtherGrant) {
  // The send cache remembers the last target a send (request) was granted for: a send to it
  // again skips the checks; a send to any other id, and a request to the same id under a
  // send-only grant, are checked (and each denial reported) every time.
  start({granted("a", {{"b"}, {}, {}, {}, {}}), probe("b"), probe("c")});
  for (const char* cmd : {"send b 1", "send c 2", "send b 3", "request b 0 4", "send b 5", "send c 6", "send b 7",
                          "request b 0 8", "send b\x01 9"}) {
    post("a", cmd);
  }
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto sends = collector.logs_matching("^a: send rc=");
  ASSERT_EQ(sends.size(), 7u);
  const std::vector<std::string> expected = {"0", "-2", "0", "0", "-2", "0", "-4"};
  for (std::size_t i = 0; i < sends.size(); ++i) EXPECT_EQ(sends[i], "a: send rc=" + expected[i]) << i;
  EXPECT_EQ(collector.logs_matching("^a: request id=-2$").size(), 2u);
  EXPECT_EQ(collector.logs_matching("^b: msg from=a").size(), 4u);
  EXPECT_TRUE(collector.logs_matching("^c: msg from=a").empty());
  EXPECT_EQ(collector.events_matching("^a: denied: ").size(), 4u);
  EXPECT_EQ(stats("a").refused_denied, 4u);
}

TEST_P(Caps, SubscribeMustBeCoveredAndPublishGranted) {
  start({granted("pub", {{}, {}, {"news.*"}, {}, {}}), granted("s", {{}, {}, {}, {"news.#"}, {}})});
  post("s", "sub news.*");
  post("s", "sub news.#");
  post("s", "sub #");
  post("s", "sub other.x");
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto subs = collector.logs_matching("^s: sub rc=");
  ASSERT_EQ(subs.size(), 4u);
  EXPECT_EQ(subs[0], "s: sub rc=0");
  EXPECT_EQ(subs[1], "s: sub rc=0");
  EXPECT_EQ(subs[2], "s: sub rc=-2");
  EXPECT_EQ(subs[3], "s: sub rc=-2");
  post("pub", "pub news.today n");
  post("pub", "pub news.today.late no");
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto pubs = collector.logs_matching("^pub: pub rc=");
  ASSERT_EQ(pubs.size(), 2u);
  EXPECT_EQ(pubs[0], "pub: pub rc=1");
  EXPECT_EQ(pubs[1], "pub: pub rc=-2");
}

TEST_P(Caps, InvalidGrantPatternsAreRefusedAtCreate) {
  auto rt = Runtime::create(options(), {granted("a", {{"a*"}, {}, {}, {}, {}})});
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.error().message.find("invalid capability pattern 'a*'"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Engines, Caps, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
