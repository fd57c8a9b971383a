#include "cli/generation.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <span>

#include "tokenizer/incremental_detokenizer.h"

namespace rocmforge::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

Status write_stdout(std::string_view text) {
  if (text.empty()) return ok();
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    return RF_ERROR(kIo, "cannot write to stdout");
  }
  return ok();
}

namespace {

// The token after `tokens`, drawn as sampler.sample() would from their last
// row of logits, reading back as little of it as the draw needs: its argmax
// for a greedy sampler, its best candidates when they settle the draw (the
// whole row otherwise), the whole row when log-probabilities are wanted.
class NextToken {
 public:
  NextToken(engine::Session& session, engine::Sampler& sampler, int top_logprobs)
      : session_(session), sampler_(sampler), top_logprobs_(top_logprobs) {}

  Result<int32_t> operator()(std::span<const int32_t> tokens, bool generated, Generation& g) {
    if (top_logprobs_ > 0) {
      const std::span<const float> logits = RF_TRY(session_.append(tokens, generated));
      g.top_logprobs.push_back(engine::top_logprobs(logits, top_logprobs_));
      return sampler_.sample(logits);
    }
    if (sampler_.picks_argmax()) return session_.append_argmax(tokens, generated);
    if (!sampler_.may_sample_from_top(session_.n_candidates())) {
      return sampler_.sample(RF_TRY(session_.append(tokens, generated)));
    }
    const model::TopCandidates top = RF_TRY(session_.append_top_k(tokens, generated));
    const auto k = static_cast<size_t>(top.k);
    const engine::TopRow row =
        engine::top_row(top.values.first(k), top.ids.first(k), top.sums[0], sampler_.n_vocab(), best_);
    if (const std::optional<int32_t> id = sampler_.sample_from_top(row)) return *id;
    return sampler_.sample(RF_TRY(session_.read_last_row()));
  }

 private:
  engine::Session& session_;
  engine::Sampler& sampler_;
  int top_logprobs_;
  std::vector<engine::Candidate> best_;
};

}  // namespace

Result<Generation> generate(engine::Session& session, engine::Sampler& sampler, const tokenizer::Tokenizer& tok,
                            std::vector<int32_t> prompt, const GenerateOptions& o) {
  Generation g;
  g.prompt_tokens = std::move(prompt);
  RF_TRY(sampler.accept(g.prompt_tokens));
  NextToken next(session, sampler, o.top_logprobs);
  const auto prompt_start = Clock::now();
  int32_t token = RF_TRY(next(g.prompt_tokens, /*generated=*/false, g));
  g.prompt_seconds = seconds_since(prompt_start);

  tokenizer::IncrementalDetokenizer detok(tok, {.render_special = false, .continues_text = true});
  const auto gen_start = Clock::now();
  const int64_t budget = o.n_predict < 0 ? session.n_ctx() - session.n_past() : o.n_predict;
  for (int64_t i = 0; i < budget; ++i) {
    if (!o.ignore_eos && tok.is_eog(token)) {
      g.stop_reason = "eos";
      if (o.top_logprobs > 0) g.top_logprobs.pop_back();
      break;
    }
    g.tokens.push_back(token);
    RF_TRY(sampler.accept(token));
    const std::string piece = detok.push(token);
    g.text += piece;
    if (o.stream) RF_TRY(write_stdout(piece));
    if (i + 1 == budget) break;
    if (session.n_past() >= session.n_ctx()) {
      g.stop_reason = "context";
      break;
    }
    token = RF_TRY(next(std::span<const int32_t>(&token, 1), /*generated=*/true, g));
  }
  const std::string rest = detok.flush();
  g.text += rest;
  if (o.stream) RF_TRY(write_stdout(rest));
  g.gen_seconds = seconds_since(gen_start);
  return g;
}

void print_speed(const Generation& g) {
  auto line = [](const char* what, size_t n, double s) {
    std::fprintf(stderr, "%-10s %6zu tokens in %8.2f ms = %9.2f tokens/s\n", what, n, s * 1e3,
                 s > 0 ? static_cast<double>(n) / s : 0.0);
  };
  line("prompt:", g.prompt_tokens.size(), g.prompt_seconds);
  line("generation:", g.tokens.size(), g.gen_seconds);
}

}  // namespace rocmforge::cli
