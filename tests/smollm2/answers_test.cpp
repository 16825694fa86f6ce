// `r1 run` and `r1 perplexity` on the trained SmolLM2 model, as a user runs them.
//
// Questions with one right answer, asked through the GGUF's own chat template (rendered by r1's
// Jinja engine) and answered greedily; the word each answer must contain is the question's
// answer. With the template's default system prompt ("You are a helpful AI assistant named
// SmolLM, ...") this Q4_1 file answers the France question with "L'Étoile, la Marseillaise..."
// in llama.cpp and r1 alike (its first token wins by 0.03 logits over "The"), so the questions
// are asked with a plain system prompt, the one of tools/reference/gen_smollm2_cases.py (whose
// llama_cpp_answer fields show llama.cpp's answers).
#include <gtest/gtest.h>

#include "cli/run_process.h"
#include "smollm2/smollm2_fixture.h"
#include "test_paths.h"

namespace r1::test {
namespace {

class Smollm2Answers : public testing::TestWithParam<int> {};

TEST_P(Smollm2Answers, GreedyRunAnswersTheQuestion) {
  R1_REQUIRE_SMOLLM2();
  const nlohmann::json& q = llama_cpp_reference().at("questions").at(GetParam());
  const ProcessResult run =
      run_process({r1_binary().string(), "run", "--model", smollm2_path().string(), "--system",
                   llama_cpp_reference().at("system_prompt").get<std::string>(), "--prompt",
                   q.at("question").get<std::string>(), "--temperature", "0", "--max-tokens", "64",
                   "--threads", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::printf("%s -> %s\n", q.at("question").get<std::string>().c_str(), run.out.c_str());
  EXPECT_NE(run.out.find(q.at("expect").get<std::string>()), std::string::npos)
      << q.at("question") << " answered: " << run.out;
}

INSTANTIATE_TEST_SUITE_P(Questions, Smollm2Answers, testing::Range(0, 6));

// r1 tokenize / detokenize take the GGUF file itself (its tokenizer.ggml.* metadata) and agree
// with llama.cpp's tokenizer on the fixture's prompts (chat markers included) and its output
// (llama_detokenize without unparse_special leaves control tokens out, as --skip-special does).
TEST(Smollm2Cli, TokenizeAndDetokenizeTheGgufFileAsLlamaCppDoes) {
  R1_REQUIRE_SMOLLM2();
  for (const nlohmann::json& c : llama_cpp_reference().at("greedy")) {
    const ProcessResult tokenize =
        run_process({r1_binary().string(), "tokenize", "--model", smollm2_path().string(),
                     "--text", c.at("prompt").get<std::string>()});
    ASSERT_EQ(tokenize.exit_code, 0) << tokenize.err;
    EXPECT_EQ(nlohmann::json::parse(tokenize.out), c.at("prompt_ids")) << c.at("prompt");

    const ProcessResult detokenize =
        run_process({r1_binary().string(), "detokenize", "--model", smollm2_path().string(),
                     "--ids", c.at("ids").dump(), "--skip-special"});
    ASSERT_EQ(detokenize.exit_code, 0) << detokenize.err;
    EXPECT_EQ(detokenize.out, c.at("text").get<std::string>()) << c.at("prompt");
  }
}

TEST(Smollm2Cli, PerplexityPrintsLlamaPerplexitysLines) {
  R1_REQUIRE_SMOLLM2();
  const ProcessResult run = run_process(
      {r1_binary().string(), "perplexity", "--model", smollm2_path().string(), "--file",
       data_path("smollm2/coriolanus.txt").string(), "--chunks", "2", "--threads", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // "[1]28.7231,[2]42.9223,\nFinal estimate: PPL = 42.9223 +/- ..."
  const auto running = llama_cpp_reference().at("perplexity").at("running_ppl");
  double first = 0, second = 0, final_ppl = 0;
  ASSERT_EQ(std::sscanf(run.out.c_str(), "[1]%lf,[2]%lf,\nFinal estimate: PPL = %lf", &first,
                        &second, &final_ppl),
            3)
      << run.out;
  EXPECT_NEAR(first / running.at(0).get<double>(), 1.0, 0.01) << run.out;
  EXPECT_NEAR(second / running.at(1).get<double>(), 1.0, 0.01) << run.out;
  EXPECT_DOUBLE_EQ(final_ppl, second);
  EXPECT_NE(run.err.find("2 windows of 512"), std::string::npos) << run.err;
}

TEST(Smollm2Cli, PerplexityOfLongerWindowsEqualsLlamaCpps) {
  R1_REQUIRE_SMOLLM2();
  // Windows of 1024 tokens run as two forward pieces of 512 through one cache.
  const nlohmann::json& theirs = llama_cpp_reference().at("perplexity_long_window");
  const ProcessResult run = run_process(
      {r1_binary().string(), "perplexity", "--model", smollm2_path().string(), "--file",
       data_path("smollm2/coriolanus.txt").string(), "--ctx", "1024", "--threads", "2", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json ours = nlohmann::json::parse(run.out);
  EXPECT_EQ(ours.at("scored"), theirs.at("scored"));
  EXPECT_EQ(ours.at("n_chunks"), theirs.at("n_chunks"));
  EXPECT_NEAR(ours.at("ppl").get<double>() / theirs.at("ppl").get<double>(), 1.0, 0.005)
      << "r1 " << ours.at("ppl") << ", llama.cpp " << theirs.at("ppl");
}

TEST(Smollm2Cli, PerplexityOfATooShortTextSaysWhatItNeeds) {
  R1_REQUIRE_SMOLLM2();
  const auto text = scratch_dir("smollm2_cli") / "short.txt";
  {
    std::FILE* out = std::fopen(text.c_str(), "w");
    std::fputs("To be, or not to be, that is the question.\n", out);
    std::fclose(out);
  }
  const ProcessResult run =
      run_process({r1_binary().string(), "perplexity", "--model", smollm2_path().string(), "--file",
                   text.string(), "--ctx", "128"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("needs at least 256"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("smaller --ctx"), std::string::npos) << run.err;
  const ProcessResult odd =
      run_process({r1_binary().string(), "perplexity", "--model", smollm2_path().string(), "--file",
                   text.string(), "--ctx", "7"});
  EXPECT_EQ(odd.exit_code, 2);
  EXPECT_NE(odd.err.find("--ctx must be an even number"), std::string::npos) << odd.err;
}

}  // namespace
}  // namespace r1::test
