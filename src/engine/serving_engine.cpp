#include "engine/serving_engine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <utility>

#include "engine/token_logprobs.h"
#include "r1/error.h"

namespace r1::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::size_t common_prefix(std::span<const TokenId> a, std::span<const TokenId> b) {
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RequestHandle

std::vector<StreamEvent> RequestHandle::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !events_.empty(); });
  std::vector<StreamEvent> taken(std::make_move_iterator(events_.begin()),
                                 std::make_move_iterator(events_.end()));
  events_.clear();
  return taken;
}

bool RequestHandle::done() const {
  std::lock_guard lock(mutex_);
  return open_choices_ == 0 && events_.empty();
}

void RequestHandle::push(StreamEvent event) {
  {
    std::lock_guard lock(mutex_);
    if (event.kind != StreamEvent::Kind::tokens) --open_choices_;
    events_.push_back(std::move(event));
  }
  ready_.notify_all();
}

// ---------------------------------------------------------------------------------------------
// Engine state

struct ServingEngine::Pending {
  ServeRequest request;
  std::shared_ptr<RequestHandle> handle;
  Clock::time_point submitted;
};

struct ServingEngine::Sequence {
  Sequence(const Tokenizer& tokenizer, SamplingParams params, std::vector<std::string> stops)
      : sampler(std::move(params)), stops(std::move(stops)), detokenizer(tokenizer) {}

  std::shared_ptr<RequestHandle> handle;
  std::int32_t choice = 0;
  std::int32_t slot = 0;
  std::vector<TokenId> tokens;  // prompt, then the generated ids
  std::size_t n_prompt = 0;
  std::size_t n_computed = 0;  // tokens[0, n_computed) have keys/values in the slot
  Sampler sampler;
  StopMatcher stops;
  IncrementalDetokenizer detokenizer;
  std::int32_t max_tokens = 0;
  std::int32_t limit = 0;  // positions it may reach: prompt + max_tokens
  std::int32_t logprobs = -1;
  std::optional<std::int32_t> max_reasoning_tokens;
  bool in_reasoning = false;
  bool budget_spent = false;
  std::deque<TokenId> forced;  // ids the thinking budget inserts, one per step
  // Choices after the first share the prompt's blocks of the first choice's slot.
  Sequence* copy_from = nullptr;
  ChoiceStats stats;
  Clock::time_point submitted;
  bool finished = false;
};

ServingEngine::ServingEngine(model::Transformer& transformer, const Tokenizer& tokenizer,
                             StopTokenIds stop_ids, model::KvCache& cache, EngineOptions options)
    : transformer_(transformer),
      tokenizer_(tokenizer),
      stop_ids_(std::move(stop_ids)),
      cache_(cache),
      options_(std::move(options)),
      open_id_(tokenizer.token_to_id(options_.reasoning_open)),
      close_id_(tokenizer.token_to_id(options_.reasoning_close)),
      slots_(static_cast<std::size_t>(cache.n_slots())) {
  if (!options_.budget_close_text.empty()) {
    budget_close_ids_ = tokenizer_.encode(options_.budget_close_text,
                                          {.special_tokens = SpecialTokens::skip});
  }
  metrics_.slots = cache.n_slots();
  metrics_.kv_blocks_total = cache.n_blocks();
  thread_ = std::thread([this] { loop(); });
}

ServingEngine::~ServingEngine() { shutdown(); }

void ServingEngine::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

EngineMetrics ServingEngine::metrics() const {
  std::lock_guard lock(mutex_);
  EngineMetrics m = metrics_;
  m.queued = static_cast<std::int64_t>(queue_.size());
  return m;
}

std::shared_ptr<RequestHandle> ServingEngine::submit(ServeRequest request) {
  if (request.prompt.empty()) throw Error(ErrorCode::invalid_argument, "the prompt has no tokens");
  if (request.n < 1 || request.n > cache_.n_slots()) {
    throw Error(ErrorCode::invalid_argument,
                "n must be between 1 and " + std::to_string(cache_.n_slots()) +
                    " (the server's parallel sequences), not " + std::to_string(request.n));
  }
  if (request.max_tokens < 1) {
    throw Error(ErrorCode::invalid_argument,
                "max_tokens must be at least 1, not " + std::to_string(request.max_tokens));
  }
  const std::int64_t vocab = transformer_.config().vocab_size;
  for (const TokenId id : request.prompt) {
    if (id < 0 || id >= vocab) {
      throw Error(ErrorCode::invalid_argument, "token id " + std::to_string(id) +
                                                   " is outside the vocabulary [0, " +
                                                   std::to_string(vocab) + ")");
    }
  }
  for (const auto& [id, bias] : request.sampling.logit_bias) {
    if (id < 0 || id >= vocab) {
      throw Error(ErrorCode::invalid_argument, "logit_bias names token id " + std::to_string(id) +
                                                   ", outside the vocabulary [0, " +
                                                   std::to_string(vocab) + ")");
    }
  }
  validate_sampling_params(request.sampling);
  const std::size_t needed = request.prompt.size() + static_cast<std::size_t>(request.max_tokens);
  if (needed > static_cast<std::size_t>(cache_.ctx_size())) {
    throw ContextLengthExceeded(
        ErrorCode::limit_exceeded,
        "This model's maximum context length is " + std::to_string(cache_.ctx_size()) +
            " tokens. However, you requested " + std::to_string(needed) + " tokens (" +
            std::to_string(request.prompt.size()) + " in the messages, " +
            std::to_string(request.max_tokens) +
            " in the completion). Please reduce the length of the messages or completion.");
  }
  const std::int64_t blocks = request.n * model::KvCache::blocks_for(static_cast<std::int64_t>(needed));
  if (blocks > cache_.n_blocks()) {
    throw ContextLengthExceeded(
        ErrorCode::limit_exceeded,
        "This server's KV cache holds " +
            std::to_string(cache_.n_blocks() * model::KvCache::kBlockTokens) + " positions, but " +
            std::to_string(request.n) + " choices of up to " + std::to_string(needed) +
            " tokens each may need " +
            std::to_string(blocks * model::KvCache::kBlockTokens) +
            ". Please request fewer choices (n) or fewer tokens.");
  }
  auto pending = std::make_unique<Pending>();
  pending->handle = std::make_shared<RequestHandle>(request.n);
  pending->request = std::move(request);
  pending->submitted = Clock::now();
  std::shared_ptr<RequestHandle> handle = pending->handle;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw EngineOverloaded(ErrorCode::limit_exceeded, "the server is shutting down");
    if (static_cast<std::int32_t>(queue_.size()) >= options_.max_queue) {
      throw EngineOverloaded(ErrorCode::limit_exceeded,
                             "the server is busy: " + std::to_string(queue_.size()) +
                                 " requests are already waiting; retry later");
    }
    queue_.push_back(std::move(pending));
  }
  wake_.notify_all();
  return handle;
}

// ---------------------------------------------------------------------------------------------
// The inference thread

void ServingEngine::loop() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || !active_.empty(); });
      if (stopping_) break;
      if (active_.empty() && options_.batch_window.count() > 0) {
        // Idle until now: give a burst's other requests the window to arrive.
        const std::size_t free_slots = slots_.size();
        wake_.wait_for(lock, options_.batch_window,
                       [&] { return stopping_ || queue_.size() >= free_slots; });
        if (stopping_) break;
      }
    }
    admit_waiting();
    if (active_.empty()) continue;
    try {
      step();
    } catch (const std::exception& error) {
      fail_all(std::string("the forward pass failed: ") + error.what());
    }
  }
  // Shutting down: everything still running or waiting ends as cancelled.
  for (auto& sequence : active_) finish(*sequence, FinishReason::cancelled);
  active_.clear();
  std::deque<std::unique_ptr<Pending>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(queue_);
  }
  for (auto& pending : left) {
    for (std::int32_t c = 0; c < pending->request.n; ++c) {
      StreamEvent event;
      event.kind = StreamEvent::Kind::finished;
      event.choice = c;
      event.stats.n_prompt = pending->request.prompt.size();
      event.stats.finish_reason = FinishReason::cancelled;
      pending->handle->push(std::move(event));
    }
  }
}

void ServingEngine::admit_waiting() {
  while (true) {
    Pending* front = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;
      front = queue_.front().get();  // only this thread pops, so it stays valid
    }
    const ServeRequest& request = front->request;
    if (front->handle->cancelled()) {
      for (std::int32_t c = 0; c < request.n; ++c) {
        StreamEvent event;
        event.kind = StreamEvent::Kind::finished;
        event.choice = c;
        event.stats.n_prompt = request.prompt.size();
        event.stats.finish_reason = FinishReason::cancelled;
        front->handle->push(std::move(event));
      }
    } else if (!admit(*front)) {
      return;  // FIFO: it waits for slots or blocks
    }
    std::lock_guard lock(mutex_);
    queue_.pop_front();
  }
}

std::int64_t ServingEngine::blocks_still_needed() const {
  std::int64_t needed = 0;
  for (const auto& sequence : active_) {
    if (sequence->finished) continue;
    needed += cache_.blocks_to_reserve(sequence->slot,
                                       static_cast<std::int32_t>(sequence->n_computed),
                                       sequence->limit);
  }
  return needed;
}

bool ServingEngine::admit(Pending& pending) {
  const ServeRequest& request = pending.request;
  std::vector<std::int32_t> idle;  // least recently used first
  for (std::size_t s = 0; s < slots_.size(); ++s) {
    if (slots_[s].sequence == nullptr) idle.push_back(static_cast<std::int32_t>(s));
  }
  if (static_cast<std::int32_t>(idle.size()) < request.n) return false;
  std::sort(idle.begin(), idle.end(), [&](std::int32_t a, std::int32_t b) {
    return slots_[static_cast<std::size_t>(a)].last_used <
           slots_[static_cast<std::size_t>(b)].last_used;
  });

  // The slot holding the longest prefix of the prompt: a finished sequence's cached ids, or a
  // running one's computed ids in whole blocks (it still writes its last block). Ties go to an
  // idle slot (reused in place), then to the least recently used.
  std::int32_t source = -1;
  std::size_t source_prefix = 0;
  for (const std::int32_t s : idle) {
    const std::size_t prefix = common_prefix(slots_[static_cast<std::size_t>(s)].cached, request.prompt);
    if (prefix > source_prefix) source = s, source_prefix = prefix;
  }
  for (const auto& running : active_) {
    if (running->finished || running->copy_from != nullptr) continue;
    const std::size_t whole =
        running->n_computed / model::KvCache::kBlockTokens * model::KvCache::kBlockTokens;
    const std::size_t prefix =
        common_prefix(std::span(running->tokens).first(whole), request.prompt);
    if (prefix > source_prefix) source = running->slot, source_prefix = prefix;
  }
  // At least the last prompt token is computed again so that its logits exist.
  const std::size_t reuse = std::min(source_prefix, request.prompt.size() - 1);

  // Choice 0 goes to the source when it is idle, else to the least recently used idle slot; the
  // other choices to the next idle slots.
  std::vector<std::int32_t> chosen;
  const bool source_idle =
      source >= 0 && slots_[static_cast<std::size_t>(source)].sequence == nullptr;
  if (source_idle) chosen.push_back(source);
  for (const std::int32_t s : idle) {
    if (static_cast<std::int32_t>(chosen.size()) == request.n) break;
    if (s != source) chosen.push_back(s);
  }
  const auto limit = static_cast<std::int32_t>(request.prompt.size()) + request.max_tokens;
  const std::int32_t first = chosen[0];
  if (source >= 0 && reuse > 0) {
    cache_.share(source, first, static_cast<std::int32_t>(reuse));  // in place when idle
  } else {
    cache_.release(first);
  }
  for (std::size_t c = 1; c < chosen.size(); ++c) cache_.release(chosen[c]);
  for (const std::int32_t s : chosen) slots_[static_cast<std::size_t>(s)].cached.clear();

  // Does the pool hold what the running sequences and these choices may still need? If not,
  // reclaim finished sequences' blocks, least recently used first, when that is enough.
  auto needed = [&] {
    std::int64_t n = blocks_still_needed() +
                     cache_.blocks_to_reserve(first, static_cast<std::int32_t>(reuse), limit);
    for (std::size_t c = 1; c < chosen.size(); ++c) n += model::KvCache::blocks_for(limit);
    return n;
  };
  if (needed() > cache_.free_blocks()) {
    std::vector<char> pinned(static_cast<std::size_t>(cache_.n_blocks()), 0);
    std::int64_t n_pinned = 0;
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      const bool keep = slots_[s].sequence != nullptr ||
                        std::find(chosen.begin(), chosen.end(), s) != chosen.end();
      if (!keep) continue;
      for (const std::int32_t block : cache_.blocks(static_cast<std::int32_t>(s)))
        n_pinned += !std::exchange(pinned[static_cast<std::size_t>(block)], 1);
    }
    if (needed() > cache_.n_blocks() - n_pinned) {
      cache_.release(first);  // the shared prefix is not kept for a request that must wait
      return false;
    }
    for (const std::int32_t s : idle) {
      if (needed() <= cache_.free_blocks()) break;
      if (std::find(chosen.begin(), chosen.end(), s) != chosen.end()) continue;
      cache_.release(s);
      slots_[static_cast<std::size_t>(s)].cached.clear();
    }
  }

  Sequence* first_sequence = nullptr;
  for (std::int32_t c = 0; c < request.n; ++c) {
    const std::int32_t slot_index = chosen[static_cast<std::size_t>(c)];
    Slot& slot = slots_[static_cast<std::size_t>(slot_index)];
    slot.last_used = ++clock_;
    SamplingParams params = request.sampling;
    if (params.seed && c > 0) *params.seed += static_cast<std::uint64_t>(c);
    auto sequence = std::make_unique<Sequence>(tokenizer_, std::move(params), request.stop_strings);
    sequence->handle = pending.handle;
    sequence->choice = c;
    sequence->slot = slot_index;
    sequence->tokens = request.prompt;
    sequence->n_prompt = request.prompt.size();
    sequence->n_computed = c == 0 ? reuse : 0;
    sequence->max_tokens = request.max_tokens;
    sequence->limit = limit;
    sequence->logprobs = request.logprobs;
    sequence->max_reasoning_tokens = request.max_reasoning_tokens;
    sequence->in_reasoning = request.starts_in_reasoning;
    sequence->stats.n_prompt = request.prompt.size();
    sequence->stats.n_reused = sequence->n_computed;
    sequence->submitted = pending.submitted;
    if (c == 0) {
      first_sequence = sequence.get();
    } else {
      sequence->copy_from = first_sequence;
    }
    slot.sequence = sequence.get();
    {
      std::lock_guard lock(mutex_);
      metrics_.reused_tokens += sequence->n_computed;
      ++metrics_.active_sequences;
    }
    active_.push_back(std::move(sequence));
  }
  return true;
}

void ServingEngine::share_prompt(Sequence& from, Sequence& to) {
  // The first choice's prompt blocks that it will not write again (whole blocks): the rest of
  // the prompt is computed again by each choice.
  const std::size_t whole = (to.n_prompt - 1) / model::KvCache::kBlockTokens *
                            model::KvCache::kBlockTokens;
  cache_.share(from.slot, to.slot, static_cast<std::int32_t>(whole));
  to.n_computed = whole;
  to.stats.n_reused = whole;
  to.copy_from = nullptr;
}

void ServingEngine::release(Sequence& sequence) {
  Slot& slot = slots_[static_cast<std::size_t>(sequence.slot)];
  slot.cached.assign(sequence.tokens.begin(),
                     sequence.tokens.begin() + static_cast<std::ptrdiff_t>(sequence.n_computed));
  cache_.truncate(sequence.slot, static_cast<std::int32_t>(sequence.n_computed));
  slot.sequence = nullptr;
  slot.last_used = ++clock_;
  std::lock_guard lock(mutex_);
  --metrics_.active_sequences;
}

void ServingEngine::finish(Sequence& sequence, FinishReason reason) {
  if (sequence.finished) return;
  sequence.finished = true;
  if (reason != FinishReason::cancelled && !sequence.stops.stopped()) {
    StreamEvent tail;
    tail.choice = sequence.choice;
    tail.text = sequence.stops.feed(sequence.detokenizer.finish()).text + sequence.stops.flush();
    if (!tail.text.empty()) sequence.handle->push(std::move(tail));
  }
  sequence.stats.finish_reason = reason;
  sequence.stats.seconds = seconds_between(sequence.submitted, Clock::now());
  StreamEvent done;
  done.kind = StreamEvent::Kind::finished;
  done.choice = sequence.choice;
  done.stats = sequence.stats;
  // The slot and its blocks are given back (and /metrics says so) before the client hears that
  // the choice is done.
  release(sequence);
  publish_kv_usage();
  sequence.handle->push(std::move(done));
}

void ServingEngine::fail_all(const std::string& message) {
  for (auto& sequence : active_) {
    if (sequence->finished) continue;
    sequence->finished = true;
    StreamEvent event;
    event.kind = StreamEvent::Kind::failed;
    event.choice = sequence->choice;
    event.error = message;
    event.stats = sequence->stats;
    sequence->handle->push(std::move(event));
    release(*sequence);
    // What the slot holds is no longer known.
    slots_[static_cast<std::size_t>(sequence->slot)].cached.clear();
    cache_.release(sequence->slot);
  }
  active_.clear();
  publish_kv_usage();
}

void ServingEngine::step() {
  // Cancelled requests leave first (their slots keep the computed prefix for reuse).
  for (auto& sequence : active_) {
    if (sequence->handle->cancelled()) finish(*sequence, FinishReason::cancelled);
  }
  std::erase_if(active_, [](const auto& s) { return s->finished; });
  publish_kv_usage();

  // Later choices of an n > 1 request share the first choice's prompt blocks once computed.
  auto copy_prompts = [&] {
    for (auto& sequence : active_) {
      Sequence* from = sequence->copy_from;
      if (from == nullptr || sequence->finished) continue;
      if (from->finished) {
        sequence->copy_from = nullptr;  // computes its prompt itself
      } else if (from->n_computed >= sequence->n_prompt - 1) {
        share_prompt(*from, *sequence);
      }
    }
  };
  copy_prompts();

  // The batch: one token per decoding sequence, then prompt chunks up to the token budget.
  model::Batch batch;
  std::vector<Sequence*> wanted;  // sequence of each logits row (batch order)
  std::vector<std::pair<Sequence*, std::size_t>> fed;  // tokens each sequence has in the batch
  std::size_t prompt_tokens = 0;
  for (auto& sequence : active_) {
    if (sequence->copy_from != nullptr || sequence->n_computed < sequence->n_prompt) continue;
    const std::size_t i = sequence->n_computed;
    batch.add(sequence->tokens[i], static_cast<std::int32_t>(i), sequence->slot, true);
    wanted.push_back(sequence.get());
    fed.emplace_back(sequence.get(), 1);
  }
  const auto budget = static_cast<std::size_t>(std::max(options_.prefill_chunk, 1));
  for (auto& sequence : active_) {
    if (sequence->copy_from != nullptr || sequence->n_computed >= sequence->n_prompt) continue;
    if (batch.size() >= budget) break;
    const std::size_t begin = sequence->n_computed;
    const std::size_t end = std::min(sequence->tokens.size(), begin + (budget - batch.size()));
    for (std::size_t i = begin; i < end; ++i) {
      const bool last = i + 1 == sequence->tokens.size();
      batch.add(sequence->tokens[i], static_cast<std::int32_t>(i), sequence->slot, last);
      if (last) wanted.push_back(sequence.get());
    }
    prompt_tokens += end - begin;
    fed.emplace_back(sequence.get(), end - begin);
  }
  if (batch.size() == 0) return;

  const auto start = Clock::now();
  transformer_.forward(batch, cache_, logits_);
  const double seconds = seconds_between(start, Clock::now());

  // Every batch token is now cached.
  for (const auto& [sequence, n] : fed) sequence->n_computed += n;
  copy_prompts();
  {
    std::lock_guard lock(mutex_);
    metrics_.prompt_tokens += prompt_tokens;
    if (prompt_tokens > 0) ++metrics_.prefill_passes;
    (prompt_tokens > 0 ? metrics_.prefill_seconds : metrics_.decode_seconds) += seconds;
  }

  // Each wanted row's next token: sampling the rows is independent (each sequence has its own
  // sampler), so it runs on the backend's threads; what follows it (events, stops) runs here.
  const auto vocab = static_cast<std::size_t>(transformer_.config().vocab_size);
  std::vector<SampledToken> sampled(wanted.size());
  std::vector<std::string> errors(wanted.size());
  transformer_.backend().for_each_index(
      static_cast<std::int64_t>(wanted.size()), [&](std::int64_t index) {
        const auto row = static_cast<std::size_t>(index);
        Sequence& sequence = *wanted[row];
        const std::span<const float> logits(logits_.data() + row * vocab, vocab);
        try {
          SampledToken& token = sampled[row];
          if (sequence.in_reasoning && sequence.max_reasoning_tokens && !sequence.budget_spent &&
              static_cast<std::int32_t>(sequence.stats.n_reasoning) >=
                  *sequence.max_reasoning_tokens) {
            sequence.budget_spent = true;
            sequence.forced.assign(budget_close_ids_.begin(), budget_close_ids_.end());
          }
          if (!sequence.forced.empty()) {
            token.id = sequence.forced.front();
            token.forced = true;
            sequence.forced.pop_front();
          } else {
            token.id = sequence.sampler.sample(logits, sequence.tokens, sequence.n_prompt);
          }
          if (sequence.logprobs >= 0) {
            const TokenLogprobs lp = token_logprobs(logits, token.id, sequence.logprobs,
                                                    sequence.sampler.params().n_vocab_valid);
            token.logprob = lp.logprob;
            token.top = lp.top;
          }
        } catch (const std::exception& error) {
          errors[row] = error.what();
          if (errors[row].empty()) errors[row] = "sampling failed";
        }
      });

  for (std::size_t row = 0; row < wanted.size(); ++row) {
    Sequence& sequence = *wanted[row];
    try {
      if (!errors[row].empty()) throw Error(ErrorCode::invalid_argument, errors[row]);
      SampledToken token = std::move(sampled[row]);
      if (sequence.stats.n_generated == 0) {
        sequence.stats.first_token_seconds = seconds_between(sequence.submitted, Clock::now());
      }
      ++sequence.stats.n_generated;
      {
        std::lock_guard lock(mutex_);
        ++metrics_.generated_tokens;
      }
      if (!token.forced && stop_ids_.contains(token.id)) {
        finish(sequence, FinishReason::stop);
        continue;
      }
      sequence.tokens.push_back(token.id);
      if (sequence.in_reasoning) {
        ++sequence.stats.n_reasoning;
        if (close_id_ && token.id == *close_id_) sequence.in_reasoning = false;
      } else if (open_id_ && token.id == *open_id_ && sequence.stats.n_generated == 1) {
        sequence.in_reasoning = true;
        ++sequence.stats.n_reasoning;
      }
      StreamEvent event;
      event.choice = sequence.choice;
      const StopFeedResult shown = sequence.stops.feed(sequence.detokenizer.push(token.id));
      event.text = shown.text;
      event.tokens.push_back(std::move(token));
      sequence.handle->push(std::move(event));
      if (shown.stopped) {
        finish(sequence, FinishReason::stop);
      } else if (sequence.stats.n_generated >= static_cast<std::size_t>(sequence.max_tokens)) {
        finish(sequence, FinishReason::length);
      }
    } catch (const std::exception& error) {
      sequence.finished = true;
      StreamEvent event;
      event.kind = StreamEvent::Kind::failed;
      event.choice = sequence.choice;
      event.error = error.what();
      event.stats = sequence.stats;
      sequence.handle->push(std::move(event));
      release(sequence);
    }
  }
  std::erase_if(active_, [](const auto& s) { return s->finished; });
  publish_kv_usage();
}

void ServingEngine::publish_kv_usage() {
  // A block is used while a running sequence holds it, cached while only finished ones do.
  std::vector<char> state(static_cast<std::size_t>(cache_.n_blocks()), 0);  // 1 cached, 2 used
  for (std::size_t s = 0; s < slots_.size(); ++s) {
    const char mark = slots_[s].sequence != nullptr ? 2 : 1;
    for (const std::int32_t block : cache_.blocks(static_cast<std::int32_t>(s))) {
      char& b = state[static_cast<std::size_t>(block)];
      b = std::max(b, mark);
    }
  }
  const auto used = std::count(state.begin(), state.end(), 2);
  const auto cached = std::count(state.begin(), state.end(), 1);
  std::lock_guard lock(mutex_);
  metrics_.kv_blocks_used = used;
  metrics_.kv_blocks_cached = cached;
}

}  // namespace r1::engine
