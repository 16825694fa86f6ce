// The BPE model against Hugging Face `tokenizers`' models.BPE: merge priority (lowest rank,
// leftmost among equals), unk and fuse_unk, byte fallback, ignore_merges, subword prefix / word
// suffix and long pieces (priority-queue path). Cases: tests/data/tokenizer_synthetic/
// bpe_model_cases.json (tools/reference/gen_synthetic_tokenizer_cases.py).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_paths.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/tokenizer_test_support.h"

namespace r1 {
namespace {

using nlohmann::json;

std::unique_ptr<tok::BpeModel> model_from_case(const json& c) {
  std::vector<std::pair<std::string, TokenId>> vocab;
  for (const auto& [token, id] : c.at("vocab").items())
    vocab.emplace_back(token, id.get<TokenId>());
  std::vector<tok::BpeMerge> merges;
  for (const json& merge : c.at("merges"))
    merges.push_back({merge[0].get<std::string>(), merge[1].get<std::string>()});
  const json& options = c.at("options");
  tok::BpeOptions bpe;
  if (options.contains("unk_token")) bpe.unk_token = options["unk_token"].get<std::string>();
  bpe.continuing_subword_prefix = options.value("continuing_subword_prefix", "");
  bpe.end_of_word_suffix = options.value("end_of_word_suffix", "");
  bpe.fuse_unk = options.value("fuse_unk", false);
  bpe.byte_fallback = options.value("byte_fallback", false);
  bpe.ignore_merges = options.value("ignore_merges", false);
  return std::make_unique<tok::BpeModel>(vocab, merges, bpe);
}

TEST(BpeModel, MatchesReference) {
  const json file =
      json::parse(test::read_file(test::data_path("tokenizer_synthetic/bpe_model_cases.json")));
  std::size_t pieces = 0;
  for (const json& c : file.at("cases")) {
    const std::unique_ptr<tok::BpeModel> model = model_from_case(c);
    for (const json& piece : c.at("pieces")) {
      ++pieces;
      const std::string text = piece.at("piece").get<std::string>();
      const std::vector<TokenId> expected = piece.at("ids").get<std::vector<TokenId>>();
      // Twice: the second answer comes from the cache.
      for (int round = 0; round < 2; ++round) {
        std::vector<TokenId> ids;
        model->encode_piece(text, ids);
        EXPECT_EQ(ids, expected) << c.at("name").get<std::string>() << " piece \""
                                 << test::escape_text(text) << "\" round " << round;
      }
    }
  }
  EXPECT_GT(pieces, 50u);
}

TEST(BpeModel, AppendsToExistingIds) {
  const tok::BpeModel model({{"a", 0}, {"b", 1}, {"ab", 2}}, {{"a", "b"}}, {});
  std::vector<TokenId> ids{7};
  model.encode_piece("abab", ids);
  model.encode_piece("", ids);
  EXPECT_EQ(ids, (std::vector<TokenId>{7, 2, 2}));
}

}  // namespace
}  // namespace r1
