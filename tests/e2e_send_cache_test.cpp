// The sender's cached target (actor/send_cache.h): a send or request always reaches what the
// directory maps the id to now, through stops, re-spawns under the same id and many targets.
#include <gtest/gtest.h>

#include "test_support.h"
#include "wactor/runtime.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;

class SendCache : public test::EngineRuntimeTest {};

TEST_P(SendCache, ASendAfterTheTargetIsReplacedReachesTheNewInstance) {
  start({probe("alice"), probe("bob")});
  post("alice", "send bob one");
  ASSERT_TRUE(runtime->wait_idle(10s));
  ASSERT_EQ(collector.logs_matching("^bob: msg from=alice req=0 payload=one$").size(), 1u);

  ASSERT_TRUE(runtime->stop_component("bob").ok());
  ASSERT_TRUE(runtime->wait_idle(10s));
  post("alice", "send bob two");  // the cached bob is stopped: refused, not queued to it
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^alice: send rc=0$").size(), 1u);
  EXPECT_TRUE(collector.logs_matching("payload=two$").empty());

  ASSERT_TRUE(runtime->spawn(probe("bob")).ok());
  ASSERT_TRUE(runtime->wait_idle(10s));
  post("alice", "send bob three");
  post("alice", "request bob 0 four");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^alice: send rc=0$").size(), 2u);
  EXPECT_EQ(collector.logs_matching("^bob: msg from=alice req=0 payload=three$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=0 payload=echo:four$").size(), 1u);
  EXPECT_EQ(runtime->stats("bob")->messages_handled, 2u);  // the new instance's own count
}

TEST_P(SendCache, AlternatingTargetsEachGetTheirOwn) {
  start({probe("alice"), probe("bob"), probe("carol")});
  for (int i = 0; i < 20; ++i) post("alice", std::string("send ") + (i % 2 ? "carol" : "bob") + " m" + std::to_string(i));
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(runtime->stats("bob")->messages_handled, 10u);
  EXPECT_EQ(runtime->stats("carol")->messages_handled, 10u);
  EXPECT_EQ(collector.logs_matching("^carol: msg from=alice req=0 payload=m1$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^bob: msg from=alice req=0 payload=m0$").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Engines, SendCache, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
