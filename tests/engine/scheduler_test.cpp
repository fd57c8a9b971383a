// The scheduler alone, over a BlockManager and bare sequences (no model).
#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <list>

namespace rocmforge::engine {
namespace {

constexpr int32_t kBs = 4;

class SchedulerTest : public ::testing::Test {
 protected:
  explicit SchedulerTest(SchedulerLimits limits = {16, 4}) : sched_(kv_, limits) {}
  SequenceState* add(int n_prompt, int32_t first_token) {
    SequenceState& s = seqs_.emplace_back();
    s.serial = seqs_.size();
    for (int i = 0; i < n_prompt; ++i) s.tokens.push_back(first_token + i);
    s.n_prompt = n_prompt;
    sched_.enqueue(&s);
    return &s;
  }
  // Runs the plan as the engine would: commit, then one sampled token per sampling chunk.
  StepPlan step(int64_t prompt_budget = INT64_MAX) {
    StepPlan plan = sched_.schedule(prompt_budget);
    kv_.end_step();
    for (const ScheduledChunk& c : plan.chunks) {
      kv_.commit(c.seq->blocks, c.seq->tokens, c.n_past + c.n_tokens);
      if (!c.sample) continue;
      if (c.seq->state == RequestState::kPrefilling) transition(c.seq->state, RequestState::kDecoding);
      c.seq->tokens.push_back(7);
    }
    return plan;
  }

  kv::BlockManager kv_{8, kBs, true};
  Scheduler sched_;
  std::list<SequenceState> seqs_;
};

TEST_F(SchedulerTest, ChunksAPromptUnderTheBudget) {
  SequenceState* a = add(40, 100);
  StepPlan p = step();
  ASSERT_EQ(p.chunks.size(), 1u);
  EXPECT_EQ(p.chunks[0].n_tokens, 16);
  EXPECT_FALSE(p.chunks[0].sample);
  EXPECT_EQ(p.started.size(), 1u);
  EXPECT_EQ(a->state, RequestState::kPrefilling);
  p = step();
  EXPECT_EQ(p.chunks[0].n_past, 16);
  EXPECT_EQ(p.chunks[0].n_tokens, 16);
  EXPECT_TRUE(p.started.empty());
}

TEST_F(SchedulerTest, KeepsBudgetForTheDecodesBehindAPrompt) {
  SequenceState* a = add(10, 100);  // prefills first, then b starts behind it
  step();
  step();  // a's remaining 0: its chunk of 10 ran whole in the first step; it decodes now
  EXPECT_EQ(a->state, RequestState::kDecoding);
  SequenceState* b = add(30, 200);
  StepPlan p = step();
  ASSERT_EQ(p.chunks.size(), 2u);
  EXPECT_EQ(p.chunks[0].seq, a);
  EXPECT_EQ(p.chunks[0].n_tokens, 1);
  EXPECT_EQ(p.chunks[1].seq, b);
  EXPECT_EQ(p.chunks[1].n_tokens, 15);
}

// The pacer's cap binds the prompt chunks of a step with a decode in it
// (running and newly admitted ones together), and no other step.
TEST_F(SchedulerTest, APromptBudgetCapsPromptsOnlyBesideDecodes) {
  SequenceState* a = add(10, 100);
  StepPlan p = step(3);  // nothing decodes yet: the whole token budget
  ASSERT_EQ(p.chunks.size(), 1u);
  EXPECT_EQ(p.chunks[0].n_tokens, 10);
  ASSERT_EQ(a->state, RequestState::kDecoding);
  SequenceState* b = add(8, 200);
  SequenceState* c = add(8, 300);
  p = step(3);
  ASSERT_EQ(p.chunks.size(), 2u);
  EXPECT_EQ(p.chunks[0].seq, a);
  EXPECT_EQ(p.chunks[0].n_tokens, 1);
  EXPECT_EQ(p.chunks[1].seq, b);
  EXPECT_EQ(p.chunks[1].n_tokens, 3);  // c waits: the prompt budget is spent
  EXPECT_EQ(sched_.waiting().front(), c);
  p = step(3);
  ASSERT_EQ(p.chunks.size(), 2u);  // b, running, takes the 3; c still waits
  EXPECT_EQ(p.chunks[1].seq, b);
  EXPECT_EQ(p.chunks[1].n_tokens, 3);
  p = step(4);
  ASSERT_EQ(p.chunks.size(), 3u);  // b's last 2, then c's first 2
  EXPECT_EQ(p.chunks[1].n_tokens, 2);
  EXPECT_EQ(p.chunks[2].seq, c);
  EXPECT_EQ(p.chunks[2].n_tokens, 2);
  EXPECT_TRUE(p.preempted.empty());
}

TEST_F(SchedulerTest, PreemptsTheMostRecentlyStartedSequence) {
  SequenceState* a = add(12, 100);  // 3 blocks
  SequenceState* b = add(15, 200);  // 4 blocks: 7 of 8 used, then decodes need more
  step();
  step();
  ASSERT_EQ(sched_.running().size(), 2u);
  // a and b grow one token a step; the pool runs out and b, started last, goes.
  int preempted = 0;
  for (int i = 0; i < 8 && preempted == 0; ++i) {
    const StepPlan p = step();
    for (SequenceState* s : p.preempted) {
      EXPECT_EQ(s, b);
      ++preempted;
    }
  }
  EXPECT_EQ(preempted, 1);
  EXPECT_EQ(b->state, RequestState::kWaiting);
  EXPECT_TRUE(b->blocks.empty());
  EXPECT_EQ(sched_.waiting().front(), b);
  EXPECT_GT(b->tokens.size(), 15u);  // its generated tokens are kept, to be recomputed
  EXPECT_EQ(a->state, RequestState::kDecoding);
}

// A sequence recomputed after preemption takes its prompt, then its
// generated tokens, in chunks that never mix the two (rows a backend may
// compute apart: Backend::matmul_prompt), and every plan lists the chunks of
// generated tokens first (model::Batch's order). Blocks are committed as the
// engine does when the two kinds of rows differ: only prompt tokens' blocks
// enter the prefix cache, so the recompute finds at most the prompt there.
TEST_F(SchedulerTest, ChunksNeverMixPromptAndGeneratedTokensAndGeneratedComeFirst) {
  SequenceState* a = add(12, 100);
  SequenceState* b = add(15, 200);
  std::vector<ScheduledChunk> b_recomputed;
  bool b_preempted = false;
  for (int i = 0; i < 40; ++i) {
    const StepPlan p = sched_.schedule();
    kv_.end_step();
    bool prompt_seen = false;
    for (const ScheduledChunk& c : p.chunks) {
      const bool generated = c.n_past >= c.seq->n_prompt;
      EXPECT_FALSE(generated && prompt_seen) << "step " << i << ": generated tokens after a prompt's";
      EXPECT_FALSE(!generated && c.n_past + c.n_tokens > c.seq->n_prompt) << "step " << i << ": a mixed chunk";
      prompt_seen = prompt_seen || !generated;
      if (b_preempted && c.seq == b) b_recomputed.push_back(c);
      kv_.commit(c.seq->blocks, c.seq->tokens, c.n_past + c.n_tokens, c.seq->n_prompt);
      if (!c.sample) continue;
      if (c.seq->state == RequestState::kPrefilling) transition(c.seq->state, RequestState::kDecoding);
      c.seq->tokens.push_back(7);
    }
    for (SequenceState* s : p.preempted) b_preempted = b_preempted || s == b;
    if (b_preempted && a->state == RequestState::kDecoding) sched_.remove(a);  // a finishes: b comes back
  }
  ASSERT_TRUE(b_preempted);
  ASSERT_GE(b_recomputed.size(), 2u);
  EXPECT_EQ(b_recomputed[0].n_past % kBs, 0) << "a cached prefix is whole blocks";
  EXPECT_EQ(b_recomputed[0].n_past + b_recomputed[0].n_tokens, 15) << "the rest of the prompt alone";
  EXPECT_EQ(b_recomputed[1].n_past, 15);
  EXPECT_GT(b_recomputed[1].n_tokens, 1) << "the generated tokens recomputed together";
}

// With cached_prompts_only, a sequence (here one recomputed after
// preemption) starts on cached blocks of its prompt alone, even where the
// cache also holds blocks for its generated tokens: another request's prompt.
TEST(SchedulerCache, CachedPromptsOnlyStopsTheStartAtTheSequencesOwnPrompt) {
  for (const bool prompts_only : {false, true}) {
    SCOPED_TRACE(prompts_only ? "prompts only" : "any cached block");
    kv::BlockManager kv(16, kBs, true);
    Scheduler sched(kv, {64, 4, prompts_only});
    std::list<SequenceState> seqs;
    auto add = [&](int n_prompt) {
      SequenceState& s = seqs.emplace_back();
      s.serial = seqs.size();
      for (int32_t t = 100; t < 116; ++t) s.tokens.push_back(t);
      s.n_prompt = n_prompt;
      sched.enqueue(&s);
      return &s;
    };
    SequenceState* a = add(16);  // its 16-token prompt computed and cached whole
    StepPlan p = sched.schedule();
    kv.end_step();
    kv.commit(a->blocks, a->tokens, 16);
    sched.remove(a);
    SequenceState* b = add(8);  // the first 8 as its prompt, the next 8 as tokens it generated
    p = sched.schedule();
    ASSERT_FALSE(p.chunks.empty());
    ASSERT_EQ(p.chunks[0].seq, b);
    if (prompts_only) {
      EXPECT_LE(p.chunks[0].n_past, 8);
    } else {
      EXPECT_GT(p.chunks[0].n_past, 8);
    }
  }
}

TEST_F(SchedulerTest, NeverOvertakesTheHeadOfTheQueue) {
  add(31, 100);                        // takes all 8 blocks
  SequenceState* big = add(16, 200);   // no room while the first runs
  SequenceState* small = add(2, 300);  // would need only one block, but must wait behind `big`
  for (int i = 0; i < 3; ++i) {
    const StepPlan p = step();
    ASSERT_EQ(p.chunks.size(), 1u);
    EXPECT_NE(p.chunks[0].seq, small);
  }
  EXPECT_EQ(sched_.waiting().front(), big);
  EXPECT_EQ(sched_.waiting().back(), small);
}

TEST_F(SchedulerTest, FailsASequenceThatCannotFitAlone) {
  SequenceState* a = add(30, 100);  // 8 blocks hold 32 positions
  StepPlan p;
  for (int i = 0; i < 8 && p.failed.empty(); ++i) p = step();
  ASSERT_EQ(p.failed.size(), 1u);
  EXPECT_EQ(p.failed[0], a);
  EXPECT_TRUE(sched_.running().empty());
  EXPECT_EQ(kv_.n_available(), 8);
}

TEST_F(SchedulerTest, StartsOnTheCachedPrefix) {
  SequenceState* a = add(12, 100);
  step();
  sched_.remove(a);
  SequenceState* b = add(12, 100);
  const StepPlan p = step();
  ASSERT_EQ(p.chunks.size(), 1u);
  EXPECT_EQ(p.chunks[0].n_past, 11);
  EXPECT_EQ(p.chunks[0].n_tokens, 1);
  EXPECT_EQ(b->n_cached_prompt, 11);
  EXPECT_EQ(p.prefix_hit_tokens, 11);
  EXPECT_EQ(p.prefix_queried_tokens, 12);
}

TEST_F(SchedulerTest, LimitsRunningSequences) {
  for (int i = 0; i < 6; ++i) add(1, 100 * (i + 1));
  const StepPlan p = step();
  EXPECT_EQ(p.chunks.size(), 4u);
  EXPECT_EQ(sched_.waiting().size(), 2u);
}

class SeparateStepsTest : public SchedulerTest {
 protected:
  SeparateStepsTest() : SchedulerTest({16, 4, false, /*separate_prompt_steps=*/true}) {}
};

bool all_decodes(const StepPlan& p) {
  return std::all_of(p.chunks.begin(), p.chunks.end(), [](const ScheduledChunk& c) { return c.n_past >= c.seq->n_prompt; });
}

// While a prompt is pending beside a decode, the two take steps in turn,
// never one step together; once no prompt is left, decodes run every step.
// (The pool holds 32 tokens: the sizes keep clear of preemption.)
TEST_F(SeparateStepsTest, DecodesAndPromptChunksTakeTurns) {
  SequenceState* a = add(4, 100);
  step();
  ASSERT_EQ(a->state, RequestState::kDecoding);
  SequenceState* b = add(20, 200);
  StepPlan p = step();  // the prompts' turn: b's first chunk alone, with the whole token budget
  ASSERT_EQ(p.chunks.size(), 1u);
  EXPECT_EQ(p.chunks[0].seq, b);
  EXPECT_EQ(p.chunks[0].n_tokens, 16);
  p = step();  // the decodes' turn
  ASSERT_EQ(p.chunks.size(), 1u);
  EXPECT_EQ(p.chunks[0].seq, a);
  EXPECT_EQ(p.chunks[0].n_tokens, 1);
  p = step();  // b's last 4 prompt tokens, sampling its first token
  ASSERT_EQ(p.chunks.size(), 1u);
  EXPECT_EQ(p.chunks[0].seq, b);
  EXPECT_EQ(p.chunks[0].n_tokens, 4);
  EXPECT_TRUE(p.chunks[0].sample);
  for (int i = 0; i < 2; ++i) {  // no prompt work left: both decode in every step
    p = step();
    EXPECT_EQ(p.chunks.size(), 2u);
    EXPECT_TRUE(all_decodes(p));
  }
}

// A request waiting for its start counts as prompt work too: it starts in
// the prompts' turn, and the decodes still run every other step.
TEST_F(SeparateStepsTest, AWaitingRequestStartsInThePromptsTurn) {
  SequenceState* a = add(4, 100);
  step();
  ASSERT_EQ(a->state, RequestState::kDecoding);
  SequenceState* b = add(20, 200);
  for (int i = 0; i < 4; ++i) {
    const StepPlan p = step();
    ASSERT_FALSE(p.chunks.empty()) << "step " << i;
    EXPECT_EQ(all_decodes(p), i % 2 == 1) << "step " << i;
  }
  EXPECT_EQ(b->state, RequestState::kDecoding);  // 20 tokens in two prompt steps of 16 and 4
}

}  // namespace
}  // namespace rocmforge::engine
