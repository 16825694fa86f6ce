// libFuzzer target for the tokenizer: encode arbitrary bytes (valid UTF-8 must encode, anything
// else must raise invalid_argument), decode ids derived from the bytes (in and out of range) and
// check that the incremental detokenizer reproduces decode() exactly in both skip modes.
// The tokenizer folder comes from R1_FUZZ_MODEL_DIR, else the source tree's DeepSeek model.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"
#include "r1/error.h"
#include "r1/tokenizer.h"

namespace {

const r1::Tokenizer& tokenizer() {
  static const r1::Tokenizer instance = [] {
    const char* dir = std::getenv("R1_FUZZ_MODEL_DIR");
    return r1::Tokenizer::load(dir && *dir ? dir : R1_FUZZ_DEFAULT_MODEL_DIR);
  }();
  return instance;
}

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_tokenizer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

void check_detokenizer(const r1::Tokenizer& tok, std::span<const r1::TokenId> ids,
                       r1::SkipSpecial skip) {
  const std::string expected = tok.decode(ids, {skip});
  r1::IncrementalDetokenizer detokenizer(tok, {skip});
  std::string streamed;
  for (r1::TokenId id : ids) streamed += detokenizer.push(id);
  streamed += detokenizer.finish();
  if (streamed != expected)
    fail("incremental detokenizer differs from decode", expected + "\n---\n" + streamed);
  if (r1::utf8::find_invalid(expected)) fail("decode produced invalid UTF-8", expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const r1::Tokenizer& tok = tokenizer();
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // 1. Encode: valid UTF-8 always encodes; invalid input raises invalid_argument.
  const bool valid = !r1::utf8::find_invalid(text).has_value();
  std::vector<r1::TokenId> ids;
  try {
    ids = tok.encode(text);
    if (!valid) fail("invalid UTF-8 was encoded", std::string(text));
  } catch (const r1::Error& e) {
    if (valid || e.code() != r1::ErrorCode::invalid_argument)
      fail("unexpected encode error", e.what());
  }
  if (valid) {
    tok.encode(text, {r1::SpecialTokens::skip, r1::AddedTokenText::split_special});
    tok.encode(text, {r1::SpecialTokens::skip, r1::AddedTokenText::split_all});
    check_detokenizer(tok, ids, r1::SkipSpecial::no);
    check_detokenizer(tok, ids, r1::SkipSpecial::yes);
  }

  // 2. Ids taken from the bytes: three bytes per id, spread over the whole vocabulary (the top
  //    ids are the added tokens, which byte patterns would rarely reach otherwise).
  std::vector<r1::TokenId> raw_ids;
  for (std::size_t i = 0; i + 3 <= size; i += 3) {
    const std::uint32_t value = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16);
    const auto vocab = static_cast<std::uint32_t>(tok.vocab_size());
    raw_ids.push_back(data[i] == 0xFF ? static_cast<r1::TokenId>(vocab - 1 - data[i + 1] % 32)
                                      : static_cast<r1::TokenId>(value % vocab));
  }
  check_detokenizer(tok, raw_ids, r1::SkipSpecial::no);
  check_detokenizer(tok, raw_ids, r1::SkipSpecial::yes);
  for (r1::TokenId id : raw_ids) (void)tok.token_bytes(id);

  // 3. An id out of range must raise invalid_argument, not crash.
  if (size > 0) {
    const r1::TokenId bad = data[0] % 2 ? tok.vocab_size() + data[0] : -1 - data[0];
    std::vector<r1::TokenId> with_bad = raw_ids;
    with_bad.push_back(bad);
    try {
      tok.decode(with_bad);
      fail("an out-of-range id was decoded", std::to_string(bad));
    } catch (const r1::Error& e) {
      if (e.code() != r1::ErrorCode::invalid_argument) fail("unexpected decode error", e.what());
    }
  }
  return 0;
}
