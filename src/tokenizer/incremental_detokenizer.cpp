#include "core/utf8.h"
#include "r1/tokenizer.h"
#include "tokenizer/tokenizer_impl.h"

// Two strategies give text equal to Tokenizer::decode of all ids pushed so far:
// - byte-level decoders (the common case): the decoded text is the lossy UTF-8 of the
//   concatenated token bytes, so bytes are emitted as soon as they no longer end in an
//   incomplete sequence;
// - any other decoder: like HF's DecodeStream, the ids since the previous emission are decoded
//   behind the ids of that emission (the context) and the text after the context's own text is
//   emitted once it does not end in U+FFFD. The context's first token absorbs first-token rules
//   (Metaspace, WordPiece) and is never emitted again. <0xXX> runs are held until they end,
//   because HF's ByteFallback decodes a run as a whole.
namespace r1 {
namespace {

constexpr std::string_view kReplacementUtf8 = "\xEF\xBF\xBD";

bool is_byte_fallback_token(const std::string& text) {
  return text.size() == 6 && text.starts_with("<0x") && text[5] == '>';
}

}  // namespace

IncrementalDetokenizer::IncrementalDetokenizer(const Tokenizer& tokenizer,
                                               const DecodeOptions& options)
    : tokenizer_(&tokenizer), options_(options) {}

std::string IncrementalDetokenizer::push(TokenId id) {
  const TokenizerImpl& impl = tokenizer_->impl();
  impl.check_id(id);
  // decode() drops these before the decoder runs, so they never take part here either.
  if (options_.skip_special == SkipSpecial::yes && impl.skipped_when_skipping_special(id))
    return {};
  if (!impl.decodes_by_bytes()) return push_windowed(id);

  pending_bytes_ += impl.cached_token_bytes(id);
  const std::size_t held = utf8::incomplete_tail_length(pending_bytes_);
  if (held == pending_bytes_.size()) return {};
  const std::size_t ready = pending_bytes_.size() - held;
  std::string text = utf8::to_valid_lossy(std::string_view(pending_bytes_).substr(0, ready));
  pending_bytes_.erase(0, ready);
  return text;
}

std::string IncrementalDetokenizer::push_windowed(TokenId id) {
  const TokenizerImpl& impl = tokenizer_->impl();
  window_.push_back(id);
  if (is_byte_fallback_token(impl.token_text(id))) return {};
  std::string text = impl.decode(window_, {});
  if (text.size() <= context_.size() || text.ends_with(kReplacementUtf8) ||
      !text.starts_with(context_)) {
    return {};
  }
  text.erase(0, context_.size());
  // The ids just emitted become the context of the next window.
  window_.erase(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(emitted_ids_));
  emitted_ids_ = window_.size();
  context_ = impl.decode(window_, {});
  return text;
}

std::string IncrementalDetokenizer::finish() {
  const TokenizerImpl& impl = tokenizer_->impl();
  std::string text;
  if (impl.decodes_by_bytes()) {
    text = utf8::to_valid_lossy(pending_bytes_);
  } else if (emitted_ids_ < window_.size()) {
    text = impl.decode(window_, {});
    text.erase(0, std::min(context_.size(), text.size()));
  }
  reset();
  return text;
}

void IncrementalDetokenizer::reset() {
  pending_bytes_.clear();
  window_.clear();
  emitted_ids_ = 0;
  context_.clear();
}

}  // namespace r1
