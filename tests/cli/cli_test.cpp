// The r1 program's exact CLI forms, checked against the Hugging Face reference fixtures
// (tests/data, written by tools/reference/*.py).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/run_process.h"
#include "test_paths.h"

namespace r1::test {
namespace {

using json = nlohmann::ordered_json;  // keeps key order, as Python dicts do

std::string ids_to_json_line(const json& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(ids[i].get<int>());
  }
  return out + "]\n";
}

std::string ids_to_csv(const json& ids) {
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ",";
    out += std::to_string(ids[i].get<int>());
  }
  return out;
}

json load_json(const std::filesystem::path& path) {
  return json::parse(read_file(path));
}

ProcessResult r1(std::vector<std::string> args, const std::string& stdin_text = "") {
  args.insert(args.begin(), r1_binary().string());
  return run_process(args, stdin_text);
}

const json& deepseek_cases() {
  static const json cases =
      load_json(data_path("tokenizer/deepseek-r1-distill-qwen-1.5b/cases.json"));
  return cases;
}

// Every 24th reference case through the real program (each run loads the 11 MB tokenizer); the
// library tests check every case.
TEST(CliTokenize, MatchesHuggingFaceOnSampledCases) {
  const json& cases = deepseek_cases()["cases"];
  ASSERT_GT(cases.size(), 400u);
  const std::string model = deepseek_model_dir().string();
  int checked = 0;
  for (std::size_t i = 0; i < cases.size(); i += 24) {
    const json& c = cases[i];
    const std::string text = c["text"];
    std::vector<std::string> base = {"tokenize", "--model", model};
    // argv cannot carry NUL bytes: those texts go through --file - (stdin).
    const bool via_stdin = text.find('\0') != std::string::npos;
    auto with_text = [&](std::vector<std::string> args) {
      if (via_stdin) {
        args.insert(args.end(), {"--file", "-"});
      } else {
        args.insert(args.end(), {"--text", text});
      }
      return r1(args, via_stdin ? text : "");
    };
    const ProcessResult with_bos = with_text(base);
    ASSERT_EQ(with_bos.exit_code, 0) << c["name"] << ": " << with_bos.err;
    EXPECT_EQ(with_bos.out, ids_to_json_line(c["ids"])) << c["name"];

    auto args = base;
    args.push_back("--no-bos");
    EXPECT_EQ(with_text(args).out, ids_to_json_line(c["ids_no_bos"])) << c["name"];
    args = base;
    args.push_back("--split-special");
    EXPECT_EQ(with_text(args).out, ids_to_json_line(c["ids_split_special"])) << c["name"];
    ++checked;
  }
  EXPECT_GT(checked, 25);
}

TEST(CliDetokenize, MatchesHuggingFaceDecode) {
  const json& cases = deepseek_cases()["cases"];
  const std::string model = deepseek_model_dir().string();
  for (std::size_t i = 3; i < cases.size(); i += 40) {
    const json& c = cases[i];
    const ProcessResult plain = r1({"detokenize", "--model", model, "--ids", ids_to_csv(c["ids"])});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(plain.out, c["decode"].get<std::string>()) << c["name"];
    const ProcessResult skip =
        r1({"detokenize", "--model", model, "--ids", c["ids"].dump(), "--skip-special"});
    EXPECT_EQ(skip.out, c["decode_skip_special"].get<std::string>()) << c["name"];
  }
}

TEST(CliTemplate, MatchesTransformersForTheModelsTemplate) {
  const auto cases_path = data_path("templates/deepseek-r1-distill-qwen-1.5b/cases.json");
  const json cases = load_json(cases_path)["cases"];
  ASSERT_GE(cases.size(), 10u);
  const auto dir = scratch_dir("cli_template");
  std::filesystem::create_directories(dir);
  for (const json& c : cases) {
    // The CLI always passes add_generation_prompt and no extra variables.
    if (!c["add_generation_prompt"].is_boolean()) continue;
    if (c.contains("extra") && !c["extra"].empty()) continue;
    const auto messages_path = dir / "messages.json";
    std::ofstream(messages_path) << c["messages"].dump();
    std::vector<std::string> args = {"template", "--model", deepseek_model_dir().string(),
                                     "--messages", messages_path.string()};
    if (!c["add_generation_prompt"].get<bool>()) args.push_back("--no-generation-prompt");
    if (c.contains("tools") && !c["tools"].is_null()) {
      const auto tools_path = dir / "tools.json";
      std::ofstream(tools_path) << c["tools"].dump();
      args.insert(args.end(), {"--tools", tools_path.string()});
    }
    const ProcessResult result = r1(args);
    if (c.value("expected_error", false)) {
      EXPECT_EQ(result.exit_code, 1) << c["name"];
      continue;
    }
    ASSERT_EQ(result.exit_code, 0) << c["name"] << ": " << result.err;
    EXPECT_EQ(result.out, c["expected"].get<std::string>()) << c["name"];
  }
  std::filesystem::remove_all(dir);
}

TEST(CliErrors, ClearMessagesAndExitCodes) {
  const std::string model = deepseek_model_dir().string();
  ProcessResult result = r1({"tokenize", "--model", "/nonexistent/model", "--text", "hi"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("/nonexistent/model"), std::string::npos) << result.err;

  result = r1({"tokenize", "--model", model, "--text", "abc\xFF"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("offset 3"), std::string::npos) << result.err;

  result = r1({"tokenize", "--model", model, "--bogus"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--bogus"), std::string::npos) << result.err;

  result = r1({"detokenize", "--model", model, "--ids", "1,x,3"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("'x'"), std::string::npos) << result.err;

  result = r1({"detokenize", "--model", model, "--ids", "99999999"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("99999999"), std::string::npos) << result.err;

  result = r1({"frobnicate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("frobnicate"), std::string::npos);
}

TEST(CliHelp, EveryCommandDocumentsItsOptions) {
  const ProcessResult top = r1({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* command : {"tokenize", "detokenize", "template"}) {
    EXPECT_NE(top.out.find(command), std::string::npos);
    const ProcessResult help = r1({command, "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("--model"), std::string::npos) << command;
  }
}

}  // namespace
}  // namespace r1::test

namespace r1::test {
namespace {

TEST(CliMakeRandomModel, WritesACheckpointAndRejectsBadOptions) {
  const auto dir = scratch_dir("cli_random_model");
  std::filesystem::remove_all(dir);
  ProcessResult result = r1({"make-random-model", "--preset", "llama-tiny", "--dtype", "f16",
                             "--seed", "5", "--out", dir.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* file : {"config.json", "model.safetensors", "generation_config.json",
                           "tokenizer.json", "tokenizer_config.json"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / file)) << file;
  }
  // The embedded tokenizer files are the published ones, byte for byte.
  EXPECT_EQ(read_file(dir / "tokenizer.json"), read_file(deepseek_model_dir() / "tokenizer.json"));
  std::filesystem::remove_all(dir);

  result = r1({"make-random-model", "--preset", "gpt-5", "--out", dir.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("qwen2-tiny"), std::string::npos) << result.err;
  result =
      r1({"make-random-model", "--preset", "qwen2-tiny", "--dtype", "int3", "--out", dir.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("int3"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace r1::test

namespace r1::test {
namespace {

// A checkpoint made through the CLI, as a user would, for the fixture's preset/dtype/seed.
std::filesystem::path make_fixture_model(const json& fixture) {
  const auto dir = scratch_dir("cli_model_" + fixture["preset"].get<std::string>() + "-" +
                               fixture["dtype"].get<std::string>());
  std::filesystem::remove_all(dir);
  const ProcessResult made =
      r1({"make-random-model", "--preset", fixture["preset"], "--dtype", fixture["dtype"], "--seed",
          std::to_string(fixture["seed"].get<int>()), "--out", dir.string()});
  EXPECT_EQ(made.exit_code, 0) << made.err;
  return dir;
}

TEST(CliLogits, TopLogitsMatchTransformers) {
  const json fixture = load_json(data_path("model/qwen2-tiny-f32.json"));
  const auto dir = make_fixture_model(fixture);
  const ProcessResult result =
      r1({"logits", "--model", dir.string(), "--ids", ids_to_csv(fixture["ids"]), "--top", "5"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json top = json::parse(result.out)["top"];
  const json& expected = fixture["positions"].back();
  const double range = expected["max"].get<double>() - expected["min"].get<double>();
  ASSERT_EQ(top.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(top[i][0].get<int>(), expected["top_ids"][i].get<int>()) << i;
    EXPECT_NEAR(top[i][1].get<double>(), expected["top_logits"][i].get<double>(), 1e-3 * range);
  }
  const ProcessResult full = r1({"logits", "--model", dir.string(), "--ids", "151646,9707"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const json all = json::parse(full.out);
  EXPECT_EQ(all["n_vocab"].get<int>(), 151936);
  EXPECT_EQ(all["logits"].size(), 151936u);
  std::filesystem::remove_all(dir);
}

TEST(CliRun, GreedyRawPromptContinuesLikeTransformers) {
  for (const char* name : {"qwen2-tiny-f32", "llama-tiny-f32"}) {
    const json fixture = load_json(data_path(std::string("model/") + name + ".json"));
    const auto dir = make_fixture_model(fixture);
    const ProcessResult result =
        r1({"run", "--model", dir.string(), "--raw", "--prompt", fixture["prompt"], "--temperature",
            "0", "--max-tokens", "32", "--ctx-size", "256"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, fixture["greedy_text"].get<std::string>() + "\n") << name;
    EXPECT_NE(result.err.find("generated 32 (length)"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("decode"), std::string::npos) << result.err;
    std::filesystem::remove_all(dir);
  }
}

TEST(CliRun, SameSeedSameTextAndContextIsChecked) {
  const json fixture = load_json(data_path("model/qwen2-tiny-f32.json"));
  const auto dir = make_fixture_model(fixture);
  const std::vector<std::string> args = {"run",  "--model",      dir.string(), "--prompt",
                                         "你好", "--max-tokens", "12",         "--seed",
                                         "7",    "--ctx-size",   "128"};
  const ProcessResult first = r1(args), second = r1(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, second.out);
  const ProcessResult too_long = r1({"run", "--model", dir.string(), "--prompt", "hi",
                                     "--max-tokens", "500", "--ctx-size", "128"});
  EXPECT_EQ(too_long.exit_code, 1);
  EXPECT_NE(too_long.err.find("500"), std::string::npos) << too_long.err;
  EXPECT_NE(too_long.err.find("128"), std::string::npos) << too_long.err;
  std::filesystem::remove_all(dir);
}

TEST(CliChat, KeepsTheConversationAndSavesIt) {
  const json fixture = load_json(data_path("model/qwen2-tiny-f32.json"));
  const auto dir = make_fixture_model(fixture);
  const auto saved = scratch_dir("cli_chat") / "chat.json";
  const ProcessResult result =
      r1({"chat", "--model", dir.string(), "--max-tokens", "4", "--seed", "1", "--ctx-size", "256"},
         "hello\nsecond question\n/save " + saved.string() + "\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json messages = load_json(saved);
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0]["content"], "hello");
  EXPECT_EQ(messages[2]["content"], "second question");
  EXPECT_EQ(messages[3]["role"], "assistant");
  // The second turn reused the cached prefix of the first.
  EXPECT_NE(result.err.find("cached)"), std::string::npos);
  EXPECT_EQ(result.err.find("(0 cached)", result.err.find("(0 cached)") + 1), std::string::npos)
      << result.err;
  std::filesystem::remove_all(dir);
  std::filesystem::remove(saved);
}

}  // namespace
}  // namespace r1::test

namespace r1::test {
namespace {

// r1 quantize writes a GGUF file with the tokenizer and template inside; run on that file alone
// (no tokenizer.json beside it) must continue the fixture prompt exactly as transformers does on
// the safetensors checkpoint (f32 keeps the weights exact; llama's q/k rows are permuted in the
// file and rotated with the interleaved rope).
TEST(CliQuantize, AGgufFileAloneRunsLikeTheCheckpoint) {
  for (const char* name : {"qwen2-tiny-f32", "llama-tiny-f32"}) {
    const json fixture = load_json(data_path(std::string("model/") + name + ".json"));
    const auto dir = make_fixture_model(fixture);
    const auto gguf_dir = scratch_dir(std::string("cli_gguf_") + name);
    const auto gguf = gguf_dir / "model-f32.gguf";
    const ProcessResult made =
        r1({"quantize", "--model", dir.string(), "--out", gguf.string(), "--type", "f32"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    EXPECT_NE(made.err.find("wrote"), std::string::npos) << made.err;
    const ProcessResult result =
        r1({"run", "--model", gguf.string(), "--raw", "--prompt", fixture["prompt"],
            "--temperature", "0", "--max-tokens", "32", "--ctx-size", "256"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, fixture["greedy_text"].get<std::string>() + "\n") << name;
    const ProcessResult bad = r1({"quantize", "--model", dir.string(), "--out",
                                  (gguf_dir / "x.gguf").string(), "--type", "q3_k"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("q4_k_m"), std::string::npos) << bad.err;
    std::filesystem::remove_all(dir);
    std::filesystem::remove_all(gguf_dir);
  }
}

TEST(CliBench, PrintsLlamaBenchRowsForEachTestAndThreadCount) {
  const json fixture = load_json(data_path("model/qwen2-tiny-bf16.json"));
  const auto dir = make_fixture_model(fixture);
  const ProcessResult result = r1({"bench", "--model", dir.string(), "-p", "32", "-n", "8", "-t",
                                   "1,2", "-r", "1", "--quant", "q8_0"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // Header, separator, then pp32 and tg8 for 1 and 2 threads.
  std::vector<std::string> lines;
  std::stringstream stream(result.out);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u) << result.out;
  EXPECT_NE(lines[0].find("| model"), std::string::npos);
  EXPECT_NE(lines[0].find("t/s"), std::string::npos);
  EXPECT_NE(lines[2].find("pp32"), std::string::npos);
  EXPECT_NE(lines[3].find("tg8"), std::string::npos);
  EXPECT_NE(lines[3].find("q8_0"), std::string::npos);
  EXPECT_NE(lines[5].find("2 threads"), std::string::npos);
  const ProcessResult bad = r1({"bench", "--model", dir.string(), "-t", "x"});
  EXPECT_EQ(bad.exit_code, 2);
  // Several streams decoding together: one row per stream count, after the depth, on the file's
  // layout too.
  const ProcessResult streams =
      r1({"bench", "--model", dir.string(), "-p", "0", "-n", "4", "-b", "1,3", "-d", "5", "-r",
          "1", "--quant", "q8_0", "--file-layout"});
  ASSERT_EQ(streams.exit_code, 0) << streams.err;
  EXPECT_NE(streams.out.find("tg4 @ d5"), std::string::npos) << streams.out;
  EXPECT_NE(streams.out.find("tg4 x3 @ d5"), std::string::npos) << streams.out;
  EXPECT_EQ(r1({"bench", "--model", dir.string(), "-b", "two"}).exit_code, 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace r1::test

namespace r1::test {
namespace {

// r1 devices names the CPU's physical cores (as nproc counts them here, at least) and says what
// CUDA offers; without a driver it says so instead of failing.
TEST(CliDevices, ListsTheCpuAndSaysWhatCudaOffers) {
  const ProcessResult result = r1({"devices"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.rfind("cpu: ", 0), 0u) << result.out;
  EXPECT_NE(result.out.find(" physical cores"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\ncuda: "), std::string::npos) << result.out;
#if R1_HAVE_CUDA
  // Either devices are listed or the reason there are none.
  EXPECT_TRUE(result.out.find("  cuda:0 ") != std::string::npos ||
              result.out.find("  no GPU: ") != std::string::npos)
      << result.out;
#endif
}

TEST(CliDevices, DeviceOptionRefusesWhatItDoesNotKnow) {
  for (const char* device : {"gpu", "cuda:", "cuda:x", "cuda:1234"}) {
    const ProcessResult result = r1({"logits", "--model", deepseek_model_dir().string(), "--ids",
                                     "1,2", "--device", device});
    EXPECT_EQ(result.exit_code, 2) << device << ": " << result.err;
    EXPECT_NE(result.err.find("--device"), std::string::npos) << result.err;
  }
}

// --device auto computes wherever it can (here: the CPU without a GPU) and says where and why.
TEST(CliDevices, AutoSaysWhereItComputes) {
  const auto dir = make_fixture_model(load_json(data_path("model/qwen2-tiny-f32.json")));
  const ProcessResult result =
      r1({"logits", "--model", dir.string(), "--ids", "1,2", "--device", "auto"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("r1: --device auto: computing on "), std::string::npos) << result.err;
}

}  // namespace
}  // namespace r1::test
