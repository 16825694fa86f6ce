// Choosing the next token from the model's logits, and deciding when generation stops.
//
// The logit steps follow transformers' generate() (logits_process.py) and are applied in its
// order: logit bias (transformers' sequence_bias, which generate() adds before the repetition
// penalty) -> repetition penalty -> OpenAI presence/frequency penalties (not in transformers;
// placed with the other penalties, before temperature, as vLLM does) -> temperature -> top_k ->
// top_p -> min_p -> draw. Ids at or above n_vocab_valid (the vocab's padding rows) are masked
// before all of them. temperature 0 is greedy: the penalties and bias still apply, then the first
// index of the largest logit is taken, like torch.argmax.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "r1/random.h"

namespace r1 {

using TokenId = std::int32_t;

/// Sampling settings of one request. Defaults switch every step off (plain softmax sampling).
struct SamplingParams {
  float temperature = 1.0f;         ///< 0 = greedy; otherwise logits are divided by it; [0, 100]
  std::int32_t top_k = 0;           ///< keep the k largest logits (ties at the k-th kept); 0 = off
  float top_p = 1.0f;               ///< nucleus: smallest set with probability >= top_p; 1 = off
  float min_p = 0.0f;               ///< drop tokens with p < min_p * p_max; 0 = off; [0, 1]
  float repetition_penalty = 1.0f;  ///< CTRL penalty over prompt + generated ids; 1 = off; > 0
  float presence_penalty = 0.0f;    ///< OpenAI: minus this once per id generated; [-2, 2]
  float frequency_penalty = 0.0f;   ///< OpenAI: minus this per occurrence generated; [-2, 2]
  std::map<TokenId, float> logit_bias;  ///< added to the logit of the id; [-100, 100] or -inf (ban)
  std::optional<std::uint64_t> seed;    ///< none = a random seed from std::random_device
  std::size_t n_vocab_valid = 0;  ///< ids >= this are never sampled (vocab padding); 0 = all valid
};

/// Throws Error(invalid_argument) naming the first field out of its allowed range.
void validate_sampling_params(const SamplingParams& params);

/// Picks next tokens for one sequence. Owns its random generator, so the same params with the same
/// seed and the same logits give the same ids on every machine. Buffers are kept between calls:
/// after the first call with a given vocab size, sample() does not allocate (unless the id history
/// outgrows its previous length).
class Sampler {
 public:
  /// Validates `params` (Error(invalid_argument)) and seeds the generator.
  explicit Sampler(SamplingParams params);

  /// The next token for `logits` (one row of the model's output). `prompt_and_generated` holds the
  /// prompt ids followed by the ids generated so far; the first `n_prompt` of them are the prompt
  /// (the repetition penalty looks at all of them, presence/frequency penalties only at the rest).
  /// Throws Error(invalid_argument) for ids outside the logits, n_vocab_valid or a logit_bias id
  /// beyond the logits, or when no token is left to choose (all logits -inf or NaN).
  TokenId sample(std::span<const float> logits, std::span<const TokenId> prompt_and_generated,
                 std::size_t n_prompt);

  /// Restarts the generator from `seed` (none = a fresh random seed).
  void reset(std::optional<std::uint64_t> seed);

  const SamplingParams& params() const { return params_; }

 private:
  /// Greedy with no penalty or bias: argmax straight on the caller's logits, no copy.
  bool is_plain_greedy() const;
  void check_inputs(std::span<const float> logits, std::span<const TokenId> ids,
                    std::size_t n_prompt) const;

  SamplingParams params_;
  Xoshiro256StarStar rng_;
  std::vector<float> work_;                  // edited copy of the logits
  std::vector<float> penalty_scratch_;       // repetition penalty's gathered values
  std::vector<TokenId> count_scratch_;       // sorted generated ids for frequency counts
  std::vector<float> top_k_scratch_;         // top_k's selection buffer
  std::vector<std::int32_t> top_p_scratch_;  // top_p's sorted candidate indices
};

/// What StopMatcher::feed says about one piece of text.
struct StopFeedResult {
  std::string text;      ///< text that is safe to show now (never part of a stop string)
  bool stopped = false;  ///< a stop string was found; nothing after it will be released
};

/// Finds stop strings in streamed, decoded text even when they straddle token boundaries. Text is
/// released as soon as it can no longer be the start of a stop string; the stop string itself and
/// everything after it are never released. Matching is on bytes (UTF-8 pieces stay whole: a held
/// suffix starts where a stop string starts).
class StopMatcher {
 public:
  /// Throws Error(invalid_argument) for an empty stop string.
  explicit StopMatcher(std::vector<std::string> stop_strings);

  /// Appends `piece` and returns the text that can be shown now. After a stop, returns nothing.
  StopFeedResult feed(std::string_view piece);
  /// At the end of generation (eos, max_tokens): the held-back text, which can no longer become a
  /// stop string. Empty after a stop.
  std::string flush();
  /// Forgets held text and any stop, for a new generation.
  void reset();

  bool stopped() const { return stopped_; }
  /// The stop string that matched (empty before a stop).
  const std::string& matched_stop() const { return matched_stop_; }

 private:
  std::size_t held_suffix_length() const;

  std::vector<std::string> stop_strings_;
  std::string pending_;  // text not yet released: a possible start of a stop string
  bool stopped_ = false;
  std::string matched_stop_;
};

/// The ids that end generation (end-of-sequence tokens).
class StopTokenIds {
 public:
  StopTokenIds() = default;
  explicit StopTokenIds(std::vector<TokenId> ids);
  bool contains(TokenId id) const;
  std::span<const TokenId> ids() const { return ids_; }

 private:
  std::vector<TokenId> ids_;  // sorted, unique
};

/// Reads `eos_token_id` (an int, a list of ints, null or absent) from a generation_config.json or
/// config.json text. Returns none when absent or null. `where` names the file in errors (Error
/// invalid_file for malformed JSON or a value that is not a non-negative int or list of them).
std::optional<std::vector<TokenId>> read_eos_token_ids(std::string_view json_text,
                                                       std::string_view where);

/// The stop ids as transformers chooses them: generation_config's eos_token_id when it has one,
/// else config.json's.
StopTokenIds choose_stop_token_ids(const std::optional<std::vector<TokenId>>& generation_config_eos,
                                   const std::optional<std::vector<TokenId>>& config_eos);

}  // namespace r1
