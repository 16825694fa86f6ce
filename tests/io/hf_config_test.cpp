// parse_model_config and parse_generation_config. The real files' expected numbers are read off the
// files themselves (assets/models/deepseek-r1-distill-qwen-1.5b); the rest are hand-written configs
// checked for the parser's documented behaviour.
#include "io/hf_config.h"

#include <gtest/gtest.h>

#include "io/generation_config.h"
#include "io_test_support.h"
#include "test_paths.h"

namespace r1::io {
namespace {

using nlohmann::json;
using test::catch_error;
using test::expect_mentions;

TEST(ModelConfig, ParsesDeepSeekR1DistillQwen) {
  const auto path = r1::test::deepseek_model_dir() / "config.json";
  const ModelConfig config = parse_model_config(r1::test::read_file(path), path.string());
  EXPECT_EQ(config.architecture, ModelArchitecture::qwen2);
  EXPECT_STREQ(architecture_name(config.architecture), "qwen2");
  EXPECT_EQ(config.num_hidden_layers, 28);
  EXPECT_EQ(config.hidden_size, 1536);
  EXPECT_EQ(config.num_attention_heads, 12);
  EXPECT_EQ(config.num_key_value_heads, 2);
  EXPECT_EQ(config.head_dim, 128);
  EXPECT_EQ(config.intermediate_size, 8960);
  EXPECT_EQ(config.vocab_size, 151936);
  EXPECT_EQ(config.max_position_embeddings, 131072);
  EXPECT_DOUBLE_EQ(config.rope_theta, 10000.0);
  EXPECT_DOUBLE_EQ(config.rms_norm_eps, 1e-6);
  EXPECT_EQ(config.rope_scaling.type, RopeScalingType::none);
  EXPECT_FALSE(config.tie_word_embeddings);
  EXPECT_TRUE(config.qkv_bias);
  EXPECT_FALSE(config.o_proj_bias);
  EXPECT_FALSE(config.mlp_bias);
  EXPECT_EQ(config.bos_token_id, 151643);
  EXPECT_EQ(config.eos_token_ids, (std::vector<std::int64_t>{151643}));
  EXPECT_EQ(config.torch_dtype, "bfloat16");
}

json llama_config() {
  return json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
    "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
    "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "max_position_embeddings": 131072,
    "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "tie_word_embeddings": true, "attention_bias": false, "mlp_bias": false,
    "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "torch_dtype": "bfloat16"
  })");
}

ModelConfig parse(const json& config) {
  return parse_model_config(config.dump(), "config.json");
}

TEST(ModelConfig, ParsesLlamaWithLlama3RopeTiedEmbeddingsAndEosList) {
  const ModelConfig config = parse(llama_config());
  EXPECT_EQ(config.architecture, ModelArchitecture::llama);
  EXPECT_EQ(config.head_dim, 64);
  EXPECT_EQ(config.num_key_value_heads, 8);
  EXPECT_DOUBLE_EQ(config.rope_theta, 500000.0);
  EXPECT_DOUBLE_EQ(config.rms_norm_eps, 1e-5);
  EXPECT_EQ(config.rope_scaling.type, RopeScalingType::llama3);
  EXPECT_DOUBLE_EQ(config.rope_scaling.factor, 32.0);
  EXPECT_DOUBLE_EQ(config.rope_scaling.low_freq_factor, 1.0);
  EXPECT_DOUBLE_EQ(config.rope_scaling.high_freq_factor, 4.0);
  EXPECT_EQ(config.rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_TRUE(config.tie_word_embeddings);
  EXPECT_FALSE(config.qkv_bias);
  EXPECT_FALSE(config.o_proj_bias);
  EXPECT_EQ(config.bos_token_id, 128000);
  EXPECT_EQ(config.eos_token_ids, (std::vector<std::int64_t>{128001, 128008, 128009}));
}

TEST(ModelConfig, AppliesDefaults) {
  json config = llama_config();
  for (const char* field : {"num_key_value_heads", "rope_theta", "rope_scaling",
                            "tie_word_embeddings", "attention_bias", "mlp_bias", "bos_token_id",
                            "eos_token_id", "max_position_embeddings", "torch_dtype"}) {
    config.erase(field);
  }
  ModelConfig parsed = parse(config);
  EXPECT_EQ(parsed.num_key_value_heads, 32);
  EXPECT_DOUBLE_EQ(parsed.rope_theta, 10000.0);
  EXPECT_EQ(parsed.rope_scaling.type, RopeScalingType::none);
  EXPECT_FALSE(parsed.tie_word_embeddings);
  EXPECT_EQ(parsed.max_position_embeddings, 2048);  // LlamaConfig's default
  EXPECT_EQ(parsed.bos_token_id, 1);                // LlamaConfig's defaults
  EXPECT_EQ(parsed.eos_token_ids, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(parsed.torch_dtype, "");

  config["bos_token_id"] = nullptr;
  config["eos_token_id"] = nullptr;
  config["rope_scaling"] = nullptr;
  parsed = parse(config);
  EXPECT_FALSE(parsed.bos_token_id.has_value());
  EXPECT_TRUE(parsed.eos_token_ids.empty());
  EXPECT_EQ(parsed.rope_scaling.type, RopeScalingType::none);
}

TEST(ModelConfig, ReadsExplicitHeadDimBiasesAndLinearScaling) {
  json config = llama_config();
  config["head_dim"] = 128;
  config["attention_bias"] = true;
  config["mlp_bias"] = true;
  config["rope_scaling"] = {{"type", "linear"}, {"factor", 4.0}};
  const ModelConfig parsed = parse(config);
  EXPECT_EQ(parsed.head_dim, 128);
  EXPECT_TRUE(parsed.qkv_bias);
  EXPECT_TRUE(parsed.o_proj_bias);
  EXPECT_TRUE(parsed.mlp_bias);
  EXPECT_EQ(parsed.rope_scaling.type, RopeScalingType::linear);
  EXPECT_DOUBLE_EQ(parsed.rope_scaling.factor, 4.0);
}

TEST(ModelConfig, ReadsTransformers5RopeParameters) {
  json config = llama_config();
  config.erase("rope_theta");
  config.erase("rope_scaling");
  config["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 1000000.0}};
  const ModelConfig parsed = parse(config);
  EXPECT_EQ(parsed.rope_scaling.type, RopeScalingType::none);
  EXPECT_DOUBLE_EQ(parsed.rope_theta, 1000000.0);
}

void expect_config_error(const json& config, ErrorCode code,
                         std::initializer_list<std::string> mentions) {
  const auto error = catch_error([&] { (void)parse(config); });
  EXPECT_EQ(error.code, code) << error.message;
  expect_mentions(error.message, mentions);
}

TEST(ModelConfigErrors, UnknownModelTypeOrArchitecture) {
  json config = llama_config();
  config["model_type"] = "mistral";
  expect_config_error(config, ErrorCode::unsupported, {"mistral", "qwen2, llama"});
  config = llama_config();
  config["architectures"] = {"LlamaForSequenceClassification"};
  expect_config_error(config, ErrorCode::unsupported,
                      {"LlamaForSequenceClassification", "Qwen2ForCausalLM, LlamaForCausalLM"});
  config = llama_config();
  config.erase("model_type");
  expect_config_error(config, ErrorCode::invalid_file, {"model_type"});
}

TEST(ModelConfigErrors, SlidingWindow) {
  json config = json::parse(r1::test::read_file(r1::test::deepseek_model_dir() / "config.json"));
  config["use_sliding_window"] = true;
  expect_config_error(config, ErrorCode::unsupported,
                      {"sliding-window attention is not implemented"});
}

TEST(ModelConfigErrors, RopeScaling) {
  json config = llama_config();
  config["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  expect_config_error(config, ErrorCode::unsupported, {"yarn", "none, linear, llama3"});
  config["rope_scaling"] = {{"type", "dynamic"}, {"factor", 2.0}};
  expect_config_error(config, ErrorCode::unsupported, {"dynamic"});
  config["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}};
  expect_config_error(config, ErrorCode::invalid_file, {"low_freq_factor"});
  config["rope_scaling"] = {{"rope_type", "linear"}, {"factor", -1.0}};
  expect_config_error(config, ErrorCode::invalid_file, {"factor", "positive"});
  config["rope_scaling"] = "linear";
  expect_config_error(config, ErrorCode::invalid_file, {"rope_scaling"});
}

TEST(ModelConfigErrors, SizesAndHeads) {
  json config = llama_config();
  config["num_attention_heads"] = 0;
  expect_config_error(config, ErrorCode::invalid_file, {"num_attention_heads", "0"});
  config = llama_config();
  config["num_key_value_heads"] = 5;
  expect_config_error(config, ErrorCode::invalid_file, {"num_key_value_heads", "5", "32"});
  config = llama_config();
  config["num_attention_heads"] = 24;
  config["num_key_value_heads"] = 8;
  config["hidden_size"] = 2000;
  expect_config_error(config, ErrorCode::invalid_file, {"num_attention_heads", "2000"});
  config = llama_config();
  config["hidden_size"] = 2048.5;
  expect_config_error(config, ErrorCode::invalid_file, {"hidden_size", "integer"});
  config = llama_config();
  config.erase("vocab_size");
  expect_config_error(config, ErrorCode::invalid_file, {"vocab_size", "missing"});
  config = llama_config();
  config["num_hidden_layers"] = -1;
  expect_config_error(config, ErrorCode::invalid_file, {"num_hidden_layers"});
  config = llama_config();
  config["rms_norm_eps"] = 0;
  expect_config_error(config, ErrorCode::invalid_file, {"rms_norm_eps"});
}

TEST(ModelConfigErrors, TokenIdsAndTypes) {
  json config = llama_config();
  config["eos_token_id"] = {128001, "x"};
  expect_config_error(config, ErrorCode::invalid_file, {"eos_token_id"});
  config = llama_config();
  config["eos_token_id"] = 200000;
  expect_config_error(config, ErrorCode::invalid_file, {"eos_token_id", "200000", "128256"});
  config = llama_config();
  config["tie_word_embeddings"] = "yes";
  expect_config_error(config, ErrorCode::invalid_file, {"tie_word_embeddings"});
  config = llama_config();
  config["hidden_act"] = "gelu";
  expect_config_error(config, ErrorCode::unsupported, {"gelu", "silu"});
}

TEST(ModelConfigErrors, NotJsonOrNotAnObject) {
  const auto error = catch_error([] { (void)parse_model_config("{\"model_type\": ", "cfg.json"); });
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"cfg.json", "JSON"});
  EXPECT_EQ(catch_error([] { (void)parse_model_config("[]", "cfg.json"); }).code,
            ErrorCode::invalid_file);
}

TEST(GenerationConfig, ParsesDeepSeekR1DistillQwen) {
  const auto path = r1::test::deepseek_model_dir() / "generation_config.json";
  const GenerationConfig config = parse_generation_config(r1::test::read_file(path), path.string());
  EXPECT_EQ(config.bos_token_id, 151646);
  EXPECT_EQ(config.eos_token_ids, (std::vector<std::int64_t>{151643}));
  EXPECT_DOUBLE_EQ(config.temperature.value(), 0.6);
  EXPECT_DOUBLE_EQ(config.top_p.value(), 0.95);
  EXPECT_EQ(config.do_sample, true);
  EXPECT_FALSE(config.top_k.has_value());
  EXPECT_FALSE(config.repetition_penalty.has_value());
  EXPECT_FALSE(config.max_new_tokens.has_value());
  EXPECT_FALSE(config.max_length.has_value());
}

TEST(GenerationConfig, ReadsEveryFieldAndEosLists) {
  const GenerationConfig config = parse_generation_config(R"({
    "bos_token_id": 1, "eos_token_id": [2, 7], "temperature": 0, "top_p": 1, "top_k": 40,
    "repetition_penalty": 1.1, "do_sample": false, "max_new_tokens": 512, "max_length": 4096,
    "pad_token_id": null, "unknown_field": {"x": 1}})",
                                                          "gen.json");
  EXPECT_EQ(config.bos_token_id, 1);
  EXPECT_EQ(config.eos_token_ids, (std::vector<std::int64_t>{2, 7}));
  EXPECT_DOUBLE_EQ(config.temperature.value(), 0.0);
  EXPECT_DOUBLE_EQ(config.top_p.value(), 1.0);
  EXPECT_EQ(config.top_k, 40);
  EXPECT_DOUBLE_EQ(config.repetition_penalty.value(), 1.1);
  EXPECT_EQ(config.do_sample, false);
  EXPECT_EQ(config.max_new_tokens, 512);
  EXPECT_EQ(config.max_length, 4096);

  const GenerationConfig empty = parse_generation_config("{}", "gen.json");
  EXPECT_FALSE(empty.bos_token_id.has_value());
  EXPECT_TRUE(empty.eos_token_ids.empty());
  EXPECT_FALSE(empty.temperature.has_value());
}

TEST(GenerationConfigErrors, WrongTypesAndRanges) {
  for (const char* text :
       {R"({"temperature": "hot"})", R"({"temperature": -1})", R"({"top_p": 1.5})",
        R"({"top_p": 0})", R"({"top_k": 2.5})", R"({"eos_token_id": -1})", R"({"do_sample": 1})",
        R"({"max_new_tokens": 0})", R"({"repetition_penalty": 0})", "[1]"}) {
    const auto error = catch_error([&] { (void)parse_generation_config(text, "gen.json"); });
    EXPECT_EQ(error.code, ErrorCode::invalid_file) << text;
    expect_mentions(error.message, {"gen.json"});
  }
}

}  // namespace
}  // namespace r1::io
