#include "engine/stop_matcher.h"

#include <gtest/gtest.h>

#include "engine/request_state.h"

namespace rocmforge::engine {
namespace {

TEST(StopMatcher, PassesTextThroughWithoutStops) {
  StopMatcher m({});
  EXPECT_EQ(m.push("hello").text, "hello");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, HoldsBackAPossibleStartAndReleasesIt) {
  StopMatcher m({"END"});
  StopMatcher::Output o = m.push("abcE");
  EXPECT_EQ(o.text, "abc");
  o = m.push("N");
  EXPECT_EQ(o.text, "");
  o = m.push("x");
  EXPECT_EQ(o.text, "ENx");
  EXPECT_FALSE(o.matched);
}

TEST(StopMatcher, FindsAStopSpreadOverPieces) {
  StopMatcher m({"END", "zz"});
  EXPECT_EQ(m.push("abE").text, "ab");
  EXPECT_EQ(m.push("N").text, "");
  const StopMatcher::Output o = m.push("Dtail");
  EXPECT_EQ(o.text, "");
  EXPECT_EQ(o.matched, "END");
}

TEST(StopMatcher, TheEarliestStopWins) {
  StopMatcher m({"cd", "b"});
  const StopMatcher::Output o = m.push("abcd");
  EXPECT_EQ(o.text, "a");
  EXPECT_EQ(o.matched, "b");
}

TEST(StopMatcher, FlushReturnsTheHeldText) {
  StopMatcher m({"xyz"});
  EXPECT_EQ(m.push("axy").text, "a");
  EXPECT_EQ(m.flush(), "xy");
}

TEST(StopMatcher, KeepsMultiByteCharactersWhole) {
  StopMatcher m({"\xC3\xA9t\xC3\xA9"});  // "été"
  const StopMatcher::Output o = m.push("caf\xC3\xA9");
  EXPECT_EQ(o.text, "caf");
  EXPECT_EQ(m.push("!").text, "\xC3\xA9!");
}

TEST(RequestState, OnlyTheDrawnTransitionsAreLegal) {
  using S = RequestState;
  EXPECT_TRUE(is_legal_transition(S::kWaiting, S::kPrefilling));
  EXPECT_TRUE(is_legal_transition(S::kPrefilling, S::kDecoding));
  EXPECT_TRUE(is_legal_transition(S::kDecoding, S::kPreempted));
  EXPECT_TRUE(is_legal_transition(S::kPreempted, S::kWaiting));
  EXPECT_TRUE(is_legal_transition(S::kDecoding, S::kFinished));
  EXPECT_TRUE(is_legal_transition(S::kWaiting, S::kFinished));
  EXPECT_FALSE(is_legal_transition(S::kWaiting, S::kDecoding));
  EXPECT_FALSE(is_legal_transition(S::kDecoding, S::kPrefilling));
  EXPECT_FALSE(is_legal_transition(S::kPreempted, S::kFinished));
  EXPECT_FALSE(is_legal_transition(S::kFinished, S::kWaiting));
  EXPECT_EQ(request_state_name(S::kPreempted), "preempted");
}

}  // namespace
}  // namespace rocmforge::engine
