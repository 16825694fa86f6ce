// One sequence's generation loop: prefill the prompt, then sample, detokenize and stop (eos ids,
// stop strings, max_tokens, or the caller). The server's continuous batching builds on the same
// pieces with a scheduler; the CLI uses this directly.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/kv_cache.h"
#include "model/transformer.h"
#include "r1/sampler.h"
#include "r1/tokenizer.h"

namespace r1::engine {

/// What to do with a prompt that leaves no room for max_tokens in the context.
enum class PromptOverflow {
  refuse,          // Error(invalid_argument) naming both numbers (the default)
  truncate_start,  // drop the oldest tokens (after a leading BOS) until prompt + max_tokens fit
};

struct GenerationRequest {
  std::vector<TokenId> prompt;
  SamplingParams sampling;
  std::vector<std::string> stop_strings;
  std::int32_t max_tokens = 2048;
  PromptOverflow overflow = PromptOverflow::refuse;
};

enum class FinishReason { stop, length, cancelled };

struct GenerationStats {
  std::size_t n_prompt = 0;     // prompt tokens computed with (after truncation)
  std::size_t n_truncated = 0;  // prompt tokens dropped by PromptOverflow::truncate_start
  std::size_t n_reused = 0;     // prompt tokens whose keys/values were already cached
  std::size_t n_generated = 0;
  double prefill_seconds = 0;      // prompt forward
  double first_token_seconds = 0;  // request start to the first sampled token (TTFT)
  double decode_seconds = 0;       // all one-token steps after the first token
  FinishReason finish_reason = FinishReason::stop;
};

/// Receives text as it becomes printable, with the id that completed it. Returning false cancels.
using TextCallback = std::function<bool(std::string_view text, TokenId id)>;

class Generator {
 public:
  /// `cache` holds one slot (slot 0) used by this generator; its ctx_size bounds prompt + output.
  Generator(model::Transformer& transformer, const Tokenizer& tokenizer, StopTokenIds stop_ids,
            model::KvCache& cache);

  /// Runs one request. Throws Error(invalid_argument) when the prompt is empty, or when prompt +
  /// max_tokens does not fit the context (naming both numbers) and the request does not ask to
  /// truncate, or max_tokens alone leaves no room for a prompt token. Keys/values of the longest
  /// prefix the previous call left in the cache are reused (a chat's earlier turns are not
  /// recomputed).
  GenerationStats generate(const GenerationRequest& request, const TextCallback& on_text);

  /// Forgets the cached prefix.
  void reset() { cached_.clear(); }

 private:
  model::Transformer& transformer_;
  const Tokenizer& tokenizer_;
  StopTokenIds stop_ids_;
  model::KvCache& cache_;
  std::vector<TokenId> cached_;  // ids whose keys/values slot 0 holds, from position 0
};

const char* finish_reason_name(FinishReason reason);

}  // namespace r1::engine
