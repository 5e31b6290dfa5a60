// Publish/subscribe and broadcast through real guests, on every engine.
#include <gtest/gtest.h>

#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;

class PubSub : public test::EngineRuntimeTest {};

TEST_P(PubSub, DeliversToExactlyTheMatchingSubscribersOnce) {
  start({probe("pub"), probe("one", "run:sub orders.*"), probe("rest", "run:sub orders.#"),
         probe("exact", "run:sub orders.eu.created"), probe("none")});
  // "rest" also subscribes to a second matching pattern: still one copy.
  post("rest", "sub orders.eu.*");
  ASSERT_TRUE(runtime->wait_idle(10s));
  post("pub", "pub orders.eu.created O-1");
  post("pub", "pub orders.eu O-2");
  post("pub", "pub ordersx.eu O-3");
  post("pub", "pub orders O-4");
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto rcs = collector.logs_matching("^pub: pub rc=");
  ASSERT_EQ(rcs.size(), 4u);
  EXPECT_EQ(rcs[0], "pub: pub rc=2");  // rest, exact
  EXPECT_EQ(rcs[1], "pub: pub rc=2");  // one, rest
  EXPECT_EQ(rcs[2], "pub: pub rc=0");
  EXPECT_EQ(rcs[3], "pub: pub rc=1");  // rest: '#' matches zero segments
  EXPECT_EQ(collector.logs_matching("^exact: msg from=pub req=0 payload=O-1 topic=orders.eu.created$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^rest: msg from=pub req=0 payload=O-1 topic=orders.eu.created$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^one: msg from=pub req=0 payload=O-2 topic=orders.eu$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^rest: msg from=pub req=0 payload=O-").size(), 3u);
  EXPECT_EQ(collector.logs_matching("^one: msg from=pub").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^exact: msg from=pub").size(), 1u);
  EXPECT_TRUE(collector.logs_matching("^none: msg from=pub").empty());
  EXPECT_TRUE(collector.logs_matching("O-3").size() == 1u);  // only the publisher's own command line
}

TEST_P(PubSub, PatternsAreSegmentAwareAndValidated) {
  start({probe("pub"), probe("s", "run:sub a.*")});
  post("s", "sub a*");
  post("s", "sub *.internal.#.x");
  post("s", "sub a..b");
  ASSERT_TRUE(runtime->wait_idle(10s));
  post("pub", "pub ab.c no");
  post("pub", "pub a.b.c no");
  post("pub", "pub a.b yes");
  post("pub", "pub bad..topic no");
  post("pub", "pub a.* no");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^s: sub rc=-4$").size(), 3u);
  const auto rcs = collector.logs_matching("^pub: pub rc=");
  ASSERT_EQ(rcs.size(), 5u);
  EXPECT_EQ(rcs[0], "pub: pub rc=0");
  EXPECT_EQ(rcs[1], "pub: pub rc=0");
  EXPECT_EQ(rcs[2], "pub: pub rc=1");
  EXPECT_EQ(rcs[3], "pub: pub rc=-4");  // empty segment
  EXPECT_EQ(rcs[4], "pub: pub rc=-4");  // wildcards are not topics
  EXPECT_EQ(collector.logs_matching("^s: msg from=pub").size(), 1u);
}

TEST_P(PubSub, UnsubscribeStopsDeliveryAndCrashDropsSubscriptionsUntilInitResubscribes) {
  start({probe("pub"), probe("s", "run:sub news.#"), probe("t")});
  post("t", "sub news.#");
  post("t", "unsub news.#");
  post("t", "unsub news.#");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^t: unsub rc=").at(0), "t: unsub rc=0");
  EXPECT_EQ(collector.logs_matching("^t: unsub rc=").at(1), "t: unsub rc=-1");
  post("s", "sub extra.topic");
  post("s", "trap");  // fresh instance: init subscribes to news.# again, extra.topic is gone
  ASSERT_TRUE(runtime->wait_idle(10s));
  post("pub", "pub news.today n1");
  post("pub", "pub extra.topic e1");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^s: msg from=pub req=0 payload=n1").size(), 1u);
  EXPECT_TRUE(collector.logs_matching("^s: msg from=pub req=0 payload=e1").empty());
  EXPECT_TRUE(collector.logs_matching("^t: msg from=pub").empty());
}

TEST_P(PubSub, BroadcastReachesEveryOtherComponentOnce) {
  start({probe("a"), probe("b"), probe("c"), probe("d")});
  post("a", "bcast hello all");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^a: bcast rc=3$").size(), 1u);
  for (const char* id : {"b", "c", "d"}) {
    EXPECT_EQ(collector.logs_matching(std::string("^") + id + ": msg from=a req=0 payload=hello all$").size(), 1u) << id;
  }
  EXPECT_TRUE(collector.logs_matching("^a: msg from=a").empty());
  EXPECT_EQ(stats("a").messages_sent, 3u);
}

INSTANTIATE_TEST_SUITE_P(Engines, PubSub, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
