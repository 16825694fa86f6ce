// The BPE model of Hugging Face tokenizers: splits one pre-tokenized piece into vocabulary ids by
// applying merges, lowest rank first and leftmost among equal ranks.
//
// The model works in "symbol space": for byte-level tokenizers the vocabulary and merges have
// already been converted from the GPT-2 alphabet to raw bytes (see pre_tokenizer.h), so the
// initial symbols of a piece are its single bytes; otherwise they are its Unicode characters.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "r1/tokenizer.h"

namespace r1::tok {

/// Hash for heterogeneous lookup of std::string keys by std::string_view.
struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept;
};

/// std::string -> id map that can be queried with a std::string_view without allocating.
using StringIdMap = std::unordered_map<std::string, TokenId, StringViewHash, std::equal_to<>>;

struct BpeOptions {
  std::optional<std::string> unk_token;   // symbol-space string, must be in the vocabulary
  std::string continuing_subword_prefix;  // symbol space; prepended to every non-first symbol
  std::string end_of_word_suffix;         // symbol space; appended to the last symbol
  bool fuse_unk = false;                  // consecutive unknown characters become one unk
  bool byte_fallback = false;             // unknown characters become <0xXX> tokens
  bool ignore_merges = false;             // a piece that is itself in the vocabulary is one token
  bool byte_level = false;                // initial symbols are bytes, not characters
};

/// One merge rule in symbol space, in rank order.
struct BpeMerge {
  std::string left;
  std::string right;
};

/// A merge rule resolved to ids: `left` followed by `right` becomes `merged`.
struct BpeMergeIds {
  TokenId left;
  TokenId right;
  TokenId merged;
};

class BpeCache;

class BpeModel {
 public:
  /// `vocab` and `merges` are in symbol space. A merge whose parts or result are not in the
  /// vocabulary is ignored (the loader reports those as errors before this point).
  BpeModel(const std::vector<std::pair<std::string, TokenId>>& vocab,
           const std::vector<BpeMerge>& merges, BpeOptions options);
  /// Same with merges already resolved to ids (in rank order), as the loader has them.
  BpeModel(const std::vector<std::pair<std::string, TokenId>>& vocab,
           const std::vector<BpeMergeIds>& merges, BpeOptions options);
  ~BpeModel();
  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  /// Appends the ids of one piece to `out`. Thread-safe.
  void encode_piece(std::string_view piece, std::vector<TokenId>& out) const;

  /// Id of a symbol-space string, if it is in the vocabulary.
  std::optional<TokenId> find(std::string_view symbol) const;

  const BpeOptions& options() const { return options_; }

 private:
  struct MergeTable;

  void init_vocabulary(const std::vector<std::pair<std::string, TokenId>>& vocab);
  void init_symbols();
  void initial_symbols(std::string_view piece, std::vector<TokenId>& symbols) const;
  void apply_merges(std::vector<TokenId>& symbols) const;
  void apply_merges_linear(std::vector<TokenId>& symbols) const;
  void apply_merges_heap(std::vector<TokenId>& symbols) const;

  BpeOptions options_;
  StringIdMap vocab_;
  std::unique_ptr<MergeTable> merges_;
  std::array<TokenId, 256> byte_ids_{};      // id of each single byte (byte-level), or -1
  std::array<TokenId, 256> fallback_ids_{};  // id of "<0xXX>", or -1
  std::optional<TokenId> unk_id_;
  std::unique_ptr<BpeCache> cache_;
};

}  // namespace r1::tok
