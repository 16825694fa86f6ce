// The server's inference engine: one thread owns the model and the KV cache and runs every active
// sequence in the same forward pass (continuous batching). HTTP threads submit requests and read
// their events from a RequestHandle; new requests join between steps, and long prompts are
// prefilled in chunks interleaved with the decode steps of the running streams.
//
// The KV cache is a pool of blocks shared by all sequences (model::KvCache), with one slot (block
// table) per parallel sequence (--parallel). Admission control: a request starts only when the
// pool can hold every block its choices may still need (prompt + max_tokens), counting the blocks
// running sequences may still take; otherwise it waits in the bounded queue.
//
// Prefix cache: a finished sequence leaves its blocks in its slot. A new request takes the blocks
// holding the longest prefix of its prompt from any slot, finished or running (the next turn of a
// conversation, a shared system prompt), shared rather than copied, and computes only the rest.
// Finished sequences' blocks are reclaimed, least recently used first, when the pool runs short.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/generator.h"
#include "model/kv_cache.h"
#include "model/transformer.h"
#include "r1/error.h"
#include "r1/sampler.h"
#include "r1/tokenizer.h"

namespace r1::engine {

struct TokenLogprob {
  TokenId id = 0;
  float logprob = 0.0f;
};

/// One generated token, with its log-probability under the model (log-softmax of the raw logits,
/// before penalties and temperature, as vLLM and OpenAI report it) when the request asked for it.
struct SampledToken {
  TokenId id = 0;
  float logprob = 0.0f;
  std::vector<TokenLogprob> top;  // the most likely ids, most likely first
  bool forced = false;            // inserted by the thinking budget, not sampled
};

struct ServeRequest {
  std::vector<TokenId> prompt;
  SamplingParams sampling;
  std::vector<std::string> stop_strings;
  std::int32_t max_tokens = 2048;
  /// Independent completions of the same prompt; choice i samples with seed + i when a seed is
  /// set. The prompt is computed once and its blocks shared by the other choices.
  std::int32_t n = 1;
  /// -1: no log-probabilities; k >= 0: each token's and the k most likely alternatives.
  std::int32_t logprobs = -1;
  /// Thinking budget: after this many tokens inside the thinking block the engine inserts
  /// `budget_close_text` (e.g. "\n</think>\n\n") and lets the model answer.
  std::optional<std::int32_t> max_reasoning_tokens;
  /// Whether generation starts inside the thinking block (the template ended the prompt with
  /// the open tag); otherwise the model enters it by generating the open tag id.
  bool starts_in_reasoning = false;
};

struct ChoiceStats {
  std::size_t n_prompt = 0;
  std::size_t n_reused = 0;  // prompt tokens whose keys/values were already in the slot
  std::size_t n_generated = 0;
  std::size_t n_reasoning = 0;  // generated tokens inside the thinking block
  double first_token_seconds = 0;  // submit to the first token (TTFT)
  double seconds = 0;              // submit to the end
  FinishReason finish_reason = FinishReason::stop;
};

struct StreamEvent {
  enum class Kind { tokens, finished, failed };
  Kind kind = Kind::tokens;
  std::int32_t choice = 0;
  std::string text;                  // tokens: newly printable text (whole UTF-8 characters)
  std::vector<SampledToken> tokens;  // tokens: the ids behind it (with logprobs if asked)
  ChoiceStats stats;                 // finished
  std::string error;                 // failed: what went wrong
};

/// What the submitting thread holds: the events of its choices, and the cancel switch.
class RequestHandle {
 public:
  explicit RequestHandle(std::int32_t n_choices) : open_choices_(n_choices) {}

  /// Events that arrived, waiting up to `timeout` for the first one (empty on timeout).
  std::vector<StreamEvent> wait(std::chrono::milliseconds timeout);
  /// Asks the engine to stop this request; its slots are freed within one step.
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }
  /// Every choice finished or failed and all events were taken.
  bool done() const;

  void push(StreamEvent event);  // engine side

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<StreamEvent> events_;
  std::int32_t open_choices_;
  std::atomic<bool> cancelled_{false};
};

struct EngineOptions {
  std::int32_t max_queue = 64;        // requests waiting for a slot before submit refuses
  std::int32_t prefill_chunk = 512;   // tokens per forward pass (decode tokens + prompt chunks)
  // When the engine is idle and a request arrives, how long it waits for more before the first
  // forward pass (or until the queue holds a request for every free slot), so that a burst of
  // requests is prefilled together instead of the first alone and the rest beside its decode
  // steps (like a dynamic batcher's queue delay). 0: start at once.
  std::chrono::milliseconds batch_window{10};
  std::string budget_close_text = "\n</think>\n\n";
  std::string reasoning_open = "<think>";
  std::string reasoning_close = "</think>";
};

struct EngineMetrics {
  std::int64_t queued = 0;
  std::int64_t active_sequences = 0;
  std::int64_t kv_blocks_used = 0;    // held by running sequences
  std::int64_t kv_blocks_cached = 0;  // held only by finished ones (prefix cache, reclaimable)
  std::int64_t kv_blocks_total = 0;
  std::int64_t slots = 0;
  std::uint64_t prompt_tokens = 0;     // computed (not reused) prompt tokens
  std::uint64_t reused_tokens = 0;     // prompt tokens served from the prefix cache
  std::uint64_t generated_tokens = 0;
  double prefill_seconds = 0;  // forward time of steps that computed prompt tokens
  double decode_seconds = 0;   // forward time of decode-only steps
  std::uint64_t prefill_passes = 0;  // forward passes that computed prompt tokens
};

/// Thrown by submit() when the queue is full (HTTP 503 + Retry-After).
class EngineOverloaded : public Error {
 public:
  using Error::Error;
};

/// Thrown by submit() when prompt + max_tokens do not fit a slot's context (or n choices of it
/// the whole cache).
class ContextLengthExceeded : public Error {
 public:
  using Error::Error;
};

class ServingEngine {
 public:
  /// `cache` has one slot per parallel sequence. Starts the inference thread.
  ServingEngine(model::Transformer& transformer, const Tokenizer& tokenizer,
                StopTokenIds stop_ids, model::KvCache& cache, EngineOptions options = {});
  ~ServingEngine();
  ServingEngine(const ServingEngine&) = delete;
  ServingEngine& operator=(const ServingEngine&) = delete;

  /// Queues a request. Throws ContextLengthExceeded (naming the numbers), EngineOverloaded,
  /// or Error(invalid_argument) for an empty prompt, n outside [1, slots], bad sampling params.
  std::shared_ptr<RequestHandle> submit(ServeRequest request);

  /// Cancels everything in flight (their handles get `finished` with reason cancelled) and stops
  /// the thread. Idempotent.
  void shutdown();

  EngineMetrics metrics() const;
  std::int32_t ctx_size() const { return cache_.ctx_size(); }

  struct Sequence;  // one choice being generated (serving_engine.cpp)
  struct Pending;   // a submitted request waiting for slots

 private:
  void loop();
  void admit_waiting();
  void step();
  void finish(Sequence& sequence, FinishReason reason);
  void fail_all(const std::string& message);
  void release(Sequence& sequence);
  void publish_kv_usage();  // metrics_.kv_blocks_* from the slots
  bool admit(Pending& pending);  // starts its choices if the pool has room
  std::int64_t blocks_still_needed() const;  // by the running sequences, at most
  void share_prompt(Sequence& from, Sequence& to);

  model::Transformer& transformer_;
  const Tokenizer& tokenizer_;
  StopTokenIds stop_ids_;
  model::KvCache& cache_;
  EngineOptions options_;
  std::optional<TokenId> open_id_, close_id_;
  std::vector<TokenId> budget_close_ids_;

  mutable std::mutex mutex_;  // guards queue_, stopping_, metrics_
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Pending>> queue_;
  bool stopping_ = false;
  EngineMetrics metrics_;

  // Inference-thread state.
  struct Slot {
    std::vector<TokenId> cached;  // idle: ids whose keys/values the slot holds, from position 0
    Sequence* sequence = nullptr;  // the running sequence in it, if any
    std::uint64_t last_used = 0;
  };
  std::vector<Slot> slots_;
  std::vector<std::unique_ptr<Sequence>> active_;
  std::uint64_t clock_ = 0;
  std::vector<float> logits_;
  std::thread thread_;
};

}  // namespace r1::engine
