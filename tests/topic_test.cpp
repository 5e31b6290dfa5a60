#include "messaging/topic.h"

#include <gtest/gtest.h>

namespace wactor::messaging {
namespace {

TEST(Topic, Validity) {
  EXPECT_TRUE(valid_topic("a"));
  EXPECT_TRUE(valid_topic("orders.eu-west.created_1"));
  EXPECT_FALSE(valid_topic(""));
  EXPECT_FALSE(valid_topic(".a"));
  EXPECT_FALSE(valid_topic("a."));
  EXPECT_FALSE(valid_topic("a..b"));
  EXPECT_FALSE(valid_topic("a.*"));
  EXPECT_FALSE(valid_topic("a b"));
  EXPECT_FALSE(valid_topic(std::string(257, 'a')));
  EXPECT_TRUE(valid_pattern("a.*.c"));
  EXPECT_TRUE(valid_pattern("#"));
  EXPECT_TRUE(valid_pattern("a.#"));
  EXPECT_FALSE(valid_pattern("a.#.c"));  // '#' only last
  EXPECT_FALSE(valid_pattern("a*"));     // wildcards are whole segments
  EXPECT_FALSE(valid_pattern("*.internal*"));
}

TEST(Topic, SegmentAwareMatching) {
  EXPECT_TRUE(topic_matches("a.*", "a.b"));
  EXPECT_FALSE(topic_matches("a.*", "ab.c"));
  EXPECT_FALSE(topic_matches("a.*", "a.b.c"));
  EXPECT_FALSE(topic_matches("a.*", "a"));
  EXPECT_TRUE(topic_matches("*.internal", "x.internal"));
  EXPECT_FALSE(topic_matches("*.internal", "evilinternal"));
  EXPECT_FALSE(topic_matches("*.internal", "x.evilinternal"));
  EXPECT_TRUE(topic_matches("a.#", "a"));
  EXPECT_TRUE(topic_matches("a.#", "a.b.c"));
  EXPECT_FALSE(topic_matches("a.#", "ab"));
  EXPECT_TRUE(topic_matches("#", "anything.at.all"));
  EXPECT_TRUE(topic_matches("a.b", "a.b"));
  EXPECT_FALSE(topic_matches("a.b", "a.bc"));
  EXPECT_FALSE(topic_matches("a.b.c", "a.b"));
}

}  // namespace
}  // namespace wactor::messaging

namespace wactor::messaging {
namespace {
TEST(Topic, PatternCoverage) {
  EXPECT_TRUE(pattern_covers("#", "a.*.#"));
  EXPECT_TRUE(pattern_covers("a.#", "a.*"));
  EXPECT_TRUE(pattern_covers("a.*", "a.b"));
  EXPECT_TRUE(pattern_covers("a.*", "a.*"));
  EXPECT_FALSE(pattern_covers("a.*", "a.#"));
  EXPECT_FALSE(pattern_covers("a.b", "a.*"));
  EXPECT_FALSE(pattern_covers("a.*", "a.b.c"));
  EXPECT_FALSE(pattern_covers("a.#", "#"));
}
}  // namespace
}  // namespace wactor::messaging
