// Tokenizer throughput: encode, decode and incremental detokenization of 1 MB of mixed
// Chinese / English / code (tests/data/bench/mixed_1mb.txt) with the DeepSeek-R1-Distill-Qwen
// tokenizer. Run: build/bench/r1_bench_tokenizer
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "r1/tokenizer.h"

namespace {

const std::filesystem::path kSourceDir = R1_SOURCE_DIR;

const r1::Tokenizer& tokenizer() {
  static const r1::Tokenizer instance =
      r1::Tokenizer::load(kSourceDir / "assets/models/deepseek-r1-distill-qwen-1.5b");
  return instance;
}

const std::string& bench_text() {
  static const std::string text = [] {
    const std::filesystem::path path = kSourceDir / "tests/data/bench/mixed_1mb.txt";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("missing benchmark input " + path.string());
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
  }();
  return text;
}

const std::vector<r1::TokenId>& bench_ids() {
  static const std::vector<r1::TokenId> ids = tokenizer().encode(bench_text());
  return ids;
}

void BM_Encode(benchmark::State& state) {
  const std::string& text = bench_text();
  const r1::Tokenizer& tok = tokenizer();
  for (auto _ : state) {
    // Like the HF reference (tools/bench_hf_tokenizers.py): no special tokens.
    std::vector<r1::TokenId> ids = tok.encode(text, {.special_tokens = r1::SpecialTokens::skip});
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
  state.counters["tokens"] = static_cast<double>(bench_ids().size());
}
BENCHMARK(BM_Encode)->Unit(benchmark::kMillisecond);

void BM_Decode(benchmark::State& state) {
  const std::vector<r1::TokenId>& ids = bench_ids();
  const r1::Tokenizer& tok = tokenizer();
  for (auto _ : state) {
    std::string text = tok.decode(ids);
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bench_text().size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(ids.size()));
}
BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond);

void BM_IncrementalDetokenize(benchmark::State& state) {
  const std::vector<r1::TokenId>& ids = bench_ids();
  const r1::Tokenizer& tok = tokenizer();
  for (auto _ : state) {
    r1::IncrementalDetokenizer detokenizer(tok);
    std::size_t total = 0;
    for (r1::TokenId id : ids) total += detokenizer.push(id).size();
    total += detokenizer.finish().size();
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bench_text().size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(ids.size()));
}
BENCHMARK(BM_IncrementalDetokenize)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
