// Fixtures of the GGUF tokenizer conversion tests (tests/io and tests/gguf_tokenizer): the three
// reference tokenizers, their tests/data/gguf_tokenizer/<name>/ files, and a helper that writes a
// tokenizer-only GGUF file from Hugging Face files with r1's converter.
#pragma once

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "io/gguf_tokenizer.h"
#include "io/gguf_writer.h"
#include "test_paths.h"

namespace r1::test {

struct GgufTokenizerFixture {
  std::string name;              // tests/data/tokenizer/<name>, tests/data/gguf_tokenizer/<name>
  std::filesystem::path hf_dir;  // tokenizer.json + tokenizer_config.json
};

/// gtest prints the fixture by name.
inline void PrintTo(const GgufTokenizerFixture& fixture, std::ostream* out) {
  *out << fixture.name;
}

/// A gtest parameter name: `text` with every non-alphanumeric character as '_'.
inline std::string test_name(std::string text) {
  for (char& c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return text;
}

inline std::vector<GgufTokenizerFixture> gguf_tokenizer_fixtures() {
  return {
      {"deepseek-r1-distill-qwen-1.5b", deepseek_model_dir()},
      {"qwen2.5-instruct", data_path("tokenizers/qwen2.5-instruct")},
      {"smollm2-135m-instruct", data_path("tokenizers/smollm2-135m-instruct")},
  };
}

/// tests/data/gguf_tokenizer/<name>/<file> parsed.
inline nlohmann::json gguf_tokenizer_data(const std::string& name, const std::string& file) {
  return nlohmann::json::parse(read_file(data_path("gguf_tokenizer/" + name + "/" + file)));
}

/// The fixture's config.json when it has one (gguf-py's SpecialVocab reads it too), else "".
inline std::string model_config(const GgufTokenizerFixture& fixture) {
  const auto path = fixture.hf_dir / "config.json";
  return std::filesystem::exists(path) ? read_file(path) : std::string();
}

/// Writes `path` with only general.architecture and the tokenizer keys r1's converter makes
/// from the fixture's Hugging Face files, for a model of `n_vocab_rows` rows.
inline void write_tokenizer_gguf(const GgufTokenizerFixture& fixture, std::int64_t n_vocab_rows,
                                 const std::filesystem::path& path) {
  io::GgufWriter writer;
  writer.add_string("general.architecture", "llama");
  io::add_tokenizer_to_gguf(writer, read_file(fixture.hf_dir / "tokenizer.json"),
                            read_file(fixture.hf_dir / "tokenizer_config.json"), n_vocab_rows,
                            fixture.hf_dir.string(), model_config(fixture));
  writer.write(path);
}

}  // namespace r1::test
