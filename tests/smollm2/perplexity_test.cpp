// r1's perplexity of the trained SmolLM2 model on a fixed public-domain text (the opening of
// Shakespeare's Coriolanus, tests/data/smollm2/coriolanus.txt) against llama.cpp's on the same
// file and tokens, and of the model requantized by r1's own GGUF writer.
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>

#include "engine/perplexity.h"
#include "model/gguf_export.h"
#include "r1/error.h"
#include "smollm2/smollm2_fixture.h"
#include "test_paths.h"

namespace r1::test {
namespace {

const nlohmann::json& reference() {
  return llama_cpp_reference().at("perplexity");
}

std::vector<TokenId> text_tokens(const Tokenizer& tokenizer) {
  return engine::perplexity_tokens(tokenizer, read_file(data_path("smollm2/coriolanus.txt")));
}

engine::PerplexityResult perplexity_of(model::LoadedModel& model, const Tokenizer& tokenizer) {
  engine::PerplexityOptions options;
  options.ctx = reference().at("ctx").get<std::int32_t>();
  options.bos = engine::window_bos(tokenizer);
  model::KvCache cache(model.config, 1, options.ctx, DType::f16);
  return engine::perplexity(*model.transformer, cache, text_tokens(tokenizer), options);
}

TEST(Smollm2Perplexity, TextTokenizesAsInLlamaCpp) {
  R1_REQUIRE_SMOLLM2();
  const auto expected = reference().at("tokens").get<std::vector<TokenId>>();
  EXPECT_EQ(text_tokens(smollm2()->tokenizer), expected);
  EXPECT_EQ(engine::window_bos(smollm2()->tokenizer).has_value(),
            reference().at("add_bos").get<bool>());
}

TEST(Smollm2Perplexity, EqualsLlamaCppsWithinHalfAPercent) {
  R1_REQUIRE_SMOLLM2();
  const engine::PerplexityResult ours = perplexity_of(*smollm2()->model, smollm2()->tokenizer);
  EXPECT_EQ(ours.n_tokens, reference().at("n_tokens").get<std::int64_t>());
  EXPECT_EQ(ours.n_chunks, reference().at("n_chunks").get<std::int32_t>());
  EXPECT_EQ(ours.scored, reference().at("scored").get<std::int64_t>());
  const double theirs = reference().at("ppl").get<double>();
  EXPECT_NEAR(ours.ppl / theirs, 1.0, 0.005) << "r1 " << ours.ppl << ", llama.cpp " << theirs;
  // The running value after every window too (the first windows average fewer tokens: 1 %).
  const auto running = reference().at("running_ppl").get<std::vector<double>>();
  ASSERT_EQ(ours.chunks.size(), running.size());
  for (std::size_t i = 0; i < running.size(); ++i) {
    EXPECT_NEAR(ours.chunks[i].running_ppl / running[i], 1.0, 0.01) << "after window " << i + 1;
  }
}

TEST(Smollm2Perplexity, TooShortATextIsRefusedWithTheNumbers) {
  R1_REQUIRE_SMOLLM2();
  engine::PerplexityOptions options;
  options.ctx = 512;
  model::KvCache cache(smollm2()->model->config, 1, 512, DType::f16);
  const std::vector<TokenId> tokens(1000, 100);
  try {
    engine::perplexity(*smollm2()->model->transformer, cache, tokens, options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("1000 tokens"), std::string::npos) << message;
    EXPECT_NE(message.find("at least 1024"), std::string::npos) << message;
  }
}

// The model written by r1 quantize in another format (from the Q4_1 weights: each matrix is
// dequantized and quantized again by ggml's reference quantizers), against two references:
// - llama.cpp's own requantization of the same file to the same format (llama-quantize
//   --allow-requantize, no importance matrix), scored by llama.cpp: r1's file and computation
//   must land within 1 % of it;
// - the shipped Q4_1 file's perplexity (llama.cpp's, 40.30): at most `max_rise` above it. The
//   bounds follow llama.cpp's published costs (q8_0 ~+0.1 %, lossless requantizing) where the
//   format can hold this model, and llama.cpp's own rise on this file where it cannot:
//   SmolLM2's rows are 576 wide, not a multiple of 256, so K-quants fall back (q4_k -> q5_0,
//   q6_k -> q8_0, as llama.cpp does) and q4_k_m is mostly q5_0 (llama.cpp: +5.3 %); q4_0 has
//   no per-block offset for the asymmetric Q4_1 blocks (llama.cpp: +19.4 %). Q4_1 blocks
//   requantized to q4_1 come back unchanged.
struct Format {
  const char* type;
  double max_rise;  // ppl / shipped file's ppl - 1
};

void PrintTo(const Format& format, std::ostream* out) {
  *out << format.type;
}

class Smollm2Quantized : public testing::TestWithParam<Format> {};

TEST_P(Smollm2Quantized, PerplexityStaysWithinItsBound) {
  R1_REQUIRE_SMOLLM2();
  const Format format = GetParam();
  const auto out = scratch_dir("smollm2_quantized") / (std::string(format.type) + ".gguf");
  model::export_gguf(*smollm2()->model, model::parse_export_type(format.type), nullptr, out);
  model::LoadOptions options;
  options.cpu.n_threads = 2;
  const auto quantized = model::load_model(out, options);
  const double ppl = perplexity_of(*quantized, smollm2()->tokenizer).ppl;
  const double original = reference().at("ppl").get<double>();
  const double llama_cpp = llama_cpp_reference().at("quantized").at(format.type).at("ppl");
  EXPECT_LE(ppl / original, 1.0 + format.max_rise)
      << format.type << ": r1 " << ppl << " against the shipped file's " << original
      << " (llama.cpp)";
  // llama.cpp's quantizer on the same file (llama-quantize --allow-requantize), scored by
  // llama.cpp: r1's file and computation land where llama.cpp's do.
  EXPECT_NEAR(ppl / llama_cpp, 1.0, 0.01)
      << format.type << ": r1 " << ppl << ", llama.cpp's own " << format.type << " " << llama_cpp;
}

INSTANTIATE_TEST_SUITE_P(Formats, Smollm2Quantized,
                         testing::Values(Format{"q8_0", 0.005}, Format{"q4_1", 0.005},
                                         Format{"q4_k_m", 0.07}, Format{"q4_0", 0.22}),
                         [](const auto& info) { return std::string(info.param.type); });

}  // namespace
}  // namespace r1::test
