// The forward pass against transformers on the random-weight checkpoints `r1 make-random-model`
// writes (fixtures: tools/reference/gen_model_cases.py -> tests/data/model/*.json). The test
// rebuilds the same checkpoint from the same preset, dtype and seed, then compares. Every check
// runs on the CPU backend (threads, SIMD) and on the scalar reference backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "model/loaded_model.h"
#include "model/random_checkpoint.h"
#include "r1/error.h"
#include "test_paths.h"

namespace r1::model {
namespace {

using nlohmann::json;

struct Fixture {
  json data;
  std::filesystem::path folder;
  std::unique_ptr<LoadedModel> model;
};

Fixture load_fixture(const std::string& name, BackendKind backend = BackendKind::cpu) {
  Fixture f;
  f.data = json::parse(test::read_file(test::data_path("model/" + name + ".json")));
  const std::string dtype = f.data["dtype"];
  f.folder = test::scratch_dir("parity_" + name);
  std::filesystem::remove_all(f.folder);
  write_random_checkpoint({*parse_random_preset(f.data["preset"].get<std::string>()),
                           dtype == "f32" ? io::DType::f32 : io::DType::bf16,
                           f.data["seed"].get<std::uint64_t>(), f.folder});
  LoadOptions options;
  options.backend = backend;
  options.cpu.n_threads = 2;
  f.model = load_model(f.folder, options);
  return f;
}

std::vector<std::int32_t> prompt_ids(const Fixture& f) {
  return f.data["ids"].get<std::vector<std::int32_t>>();
}

// All-position logits of one forward over the prompt.
std::vector<float> prompt_logits(Fixture& f) {
  const auto ids = prompt_ids(f);
  KvCache cache(f.model->config, 1, 256);
  Batch batch;
  for (std::size_t i = 0; i < ids.size(); ++i)
    batch.add(ids[i], static_cast<std::int32_t>(i), 0, true);
  std::vector<float> logits;
  f.model->transformer->forward(batch, cache, logits);
  return logits;
}

std::int32_t argmax(const float* row, std::int64_t n) {
  return static_cast<std::int32_t>(std::max_element(row, row + n) - row);
}

using FixtureAndBackend = std::tuple<std::string, BackendKind>;

// gtest names may not contain '-'.
std::string fixture_test_name(const testing::TestParamInfo<FixtureAndBackend>& info) {
  std::string name = std::get<0>(info.param);
  std::replace(name.begin(), name.end(), '-', '_');
  return name + (std::get<1>(info.param) == BackendKind::cpu ? "_cpu" : "_reference");
}

class TransformersParity : public testing::TestWithParam<FixtureAndBackend> {};

TEST_P(TransformersParity, LogitsAtEveryPosition) {
  Fixture f = load_fixture(std::get<0>(GetParam()), std::get<1>(GetParam()));
  const bool f32 = f.data["dtype"] == "f32";
  const std::int64_t vocab = f.model->config.vocab_size;
  const std::vector<float> logits = prompt_logits(f);
  const auto probe = f.data["probe_ids"].get<std::vector<std::int32_t>>();
  const json& positions = f.data["positions"];
  ASSERT_EQ(logits.size(), positions.size() * vocab);
  for (std::size_t p = 0; p < positions.size(); ++p) {
    const float* row = logits.data() + p * vocab;
    const json& expected = positions[p];
    EXPECT_EQ(argmax(row, vocab), expected["argmax"].get<std::int32_t>()) << "position " << p;
    // Compare the logits transformers recorded: its top 16 and 64 fixed probe ids.
    std::vector<double> ours, theirs;
    const auto top_ids = expected["top_ids"].get<std::vector<std::int32_t>>();
    const auto top_logits = expected["top_logits"].get<std::vector<double>>();
    const auto probe_logits = expected["probe_logits"].get<std::vector<double>>();
    for (std::size_t i = 0; i < top_ids.size(); ++i) {
      ours.push_back(row[top_ids[i]]);
      theirs.push_back(top_logits[i]);
    }
    for (std::size_t i = 0; i < probe.size(); ++i) {
      ours.push_back(row[probe[i]]);
      theirs.push_back(probe_logits[i]);
    }
    const double range = expected["max"].get<double>() - expected["min"].get<double>();
    double max_error = 0, dot = 0, norm_ours = 0, norm_theirs = 0;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      max_error = std::max(max_error, std::abs(ours[i] - theirs[i]));
      dot += ours[i] * theirs[i];
      norm_ours += ours[i] * ours[i];
      norm_theirs += theirs[i] * theirs[i];
    }
    if (f32) {
      EXPECT_LE(max_error, 1e-3 * range) << "position " << p;
    } else {
      EXPECT_GE(dot / std::sqrt(norm_ours * norm_theirs), 0.9999) << "position " << p;
    }
  }
}

// f32 only: with bf16 weights transformers computes in bf16 and r1 in fp32, so a continuation may
// part ways after a near tie; bf16 is held to the same argmax at every prompt position above.
class GreedyParity : public testing::TestWithParam<FixtureAndBackend> {};

TEST_P(GreedyParity, SameContinuation) {
  Fixture f = load_fixture(std::get<0>(GetParam()), std::get<1>(GetParam()));
  const std::int64_t vocab = f.model->config.vocab_size;
  auto ids = prompt_ids(f);
  KvCache cache(f.model->config, 1, 256);
  Batch prefill;
  for (std::size_t i = 0; i < ids.size(); ++i)
    prefill.add(ids[i], static_cast<std::int32_t>(i), 0, i + 1 == ids.size());
  std::vector<float> logits;
  f.model->transformer->forward(prefill, cache, logits);
  std::vector<std::int32_t> generated;
  const auto expected = f.data["greedy_continuation"].get<std::vector<std::int32_t>>();
  while (generated.size() < expected.size()) {
    const std::int32_t next = argmax(logits.data(), vocab);
    generated.push_back(next);
    Batch step;
    step.add(next, static_cast<std::int32_t>(ids.size() + generated.size() - 1), 0, true);
    f.model->transformer->forward(step, cache, logits);
  }
  EXPECT_EQ(generated, expected);
}

// transformers' output_hidden_states after layers 0 and 1, against the forward's trace of
// "layer.N.out": locates a mismatch at a layer rather than at the logits.
class HiddenStateParity : public testing::TestWithParam<FixtureAndBackend> {};

TEST_P(HiddenStateParity, AfterEachRecordedLayer) {
  Fixture f = load_fixture(std::get<0>(GetParam()), std::get<1>(GetParam()));
  const bool f32 = f.data["dtype"] == "f32";
  const std::int64_t hidden = f.model->config.hidden_size;
  std::map<std::string, std::vector<float>> traced;
  f.model->transformer->set_trace([&](const TraceTensor& t) {
    auto& rows = traced[std::string(t.name)];
    rows.insert(rows.end(), t.data, t.data + t.n_tokens * t.dim);
  });
  prompt_logits(f);
  const json& expected = f.data["hidden_after_layer"];
  ASSERT_FALSE(expected.empty());
  for (const auto& [layer, rows] : expected.items()) {
    const std::vector<float>& ours = traced["layer." + layer + ".out"];
    ASSERT_EQ(ours.size(), rows.size() * static_cast<std::size_t>(hidden)) << "layer " << layer;
    for (std::size_t p = 0; p < rows.size(); ++p) {
      const auto theirs = rows[p].get<std::vector<double>>();
      double max_error = 0, max_abs = 0, dot = 0, norm_ours = 0, norm_theirs = 0;
      for (std::int64_t i = 0; i < hidden; ++i) {
        const double a = ours[p * hidden + i], b = theirs[static_cast<std::size_t>(i)];
        max_error = std::max(max_error, std::abs(a - b));
        max_abs = std::max(max_abs, std::abs(b));
        dot += a * b;
        norm_ours += a * a;
        norm_theirs += b * b;
      }
      if (f32) {
        EXPECT_LE(max_error, 1e-4 * max_abs) << "layer " << layer << " position " << p;
      } else {
        EXPECT_GE(dot / std::sqrt(norm_ours * norm_theirs), 0.9999)
            << "layer " << layer << " position " << p;
      }
    }
  }
}

const auto kAllFixtures =
    testing::Values("qwen2-tiny-f32", "qwen2-tiny-bf16", "llama-tiny-f32", "llama-tiny-bf16");
const auto kBothBackends = testing::Values(BackendKind::cpu, BackendKind::reference);
INSTANTIATE_TEST_SUITE_P(Fixtures, TransformersParity,
                         testing::Combine(kAllFixtures, kBothBackends), fixture_test_name);
INSTANTIATE_TEST_SUITE_P(Fixtures, HiddenStateParity, testing::Combine(kAllFixtures, kBothBackends),
                         fixture_test_name);
INSTANTIATE_TEST_SUITE_P(F32Fixtures, GreedyParity,
                         testing::Combine(testing::Values("qwen2-tiny-f32", "llama-tiny-f32"),
                                          kBothBackends),
                         fixture_test_name);

// A bf16 model keeps its cache in bf16 (as transformers does with a bf16 model): still the same
// argmax at every position and cosine >= 0.9999 against transformers.
TEST(KvCacheConsistency, Bf16CacheKeepsBf16Parity) {
  for (const char* name : {"qwen2-tiny-bf16", "llama-tiny-bf16"}) {
    Fixture f = load_fixture(name);
    const std::int64_t vocab = f.model->config.vocab_size;
    const auto ids = prompt_ids(f);
    KvCache cache(f.model->config, 1, 256, DType::bf16);
    Batch batch;
    for (std::size_t i = 0; i < ids.size(); ++i)
      batch.add(ids[i], static_cast<std::int32_t>(i), 0, true);
    std::vector<float> logits;
    f.model->transformer->forward(batch, cache, logits);
    const json& positions = f.data["positions"];
    for (std::size_t p = 0; p < positions.size(); ++p) {
      const float* row = logits.data() + p * vocab;
      EXPECT_EQ(argmax(row, vocab), positions[p]["argmax"].get<std::int32_t>()) << name << " " << p;
      const auto top_ids = positions[p]["top_ids"].get<std::vector<std::int32_t>>();
      const auto top_logits = positions[p]["top_logits"].get<std::vector<double>>();
      double dot = 0, a2 = 0, b2 = 0;
      for (std::size_t i = 0; i < top_ids.size(); ++i) {
        dot += row[top_ids[i]] * top_logits[i];
        a2 += row[top_ids[i]] * row[top_ids[i]];
        b2 += top_logits[i] * top_logits[i];
      }
      EXPECT_GE(dot / std::sqrt(a2 * b2), 0.9999) << name << " " << p;
    }
  }
}

TEST(KvCacheConsistency, PrefillThenDecodeEqualsOneForward) {
  Fixture f = load_fixture("qwen2-tiny-f32");
  const std::int64_t vocab = f.model->config.vocab_size;
  const auto ids = prompt_ids(f);
  const std::vector<float> full = prompt_logits(f);
  // Prefill the first half, then feed the rest one token at a time.
  KvCache cache(f.model->config, 1, 256);
  const std::size_t half = ids.size() / 2;
  Batch prefill;
  for (std::size_t i = 0; i < half; ++i)
    prefill.add(ids[i], static_cast<std::int32_t>(i), 0, i + 1 == half);
  std::vector<float> logits;
  f.model->transformer->forward(prefill, cache, logits);
  for (std::size_t i = half; i < ids.size(); ++i) {
    Batch step;
    step.add(ids[i], static_cast<std::int32_t>(i), 0, true);
    f.model->transformer->forward(step, cache, logits);
    for (std::int64_t v = 0; v < vocab; v += 97) {
      ASSERT_NEAR(logits[v], full[i * vocab + v], 1e-4) << "position " << i << " id " << v;
    }
  }
}

TEST(BatchConsistency, BatchesLongerThanAChunkEqualShorterCalls) {
  // 700 tokens run as chunks of Transformer::kMaxChunkTokens inside one call; the logits asked
  // for (every 50th position) must equal those of two calls of 350 tokens.
  Fixture f = load_fixture("qwen2-tiny-f32");
  const std::int64_t vocab = f.model->config.vocab_size;
  const std::int32_t n = 700;
  static_assert(Transformer::kMaxChunkTokens < 700);
  auto want = [](std::int32_t i) { return i % 50 == 49; };
  KvCache one_cache(f.model->config, 1, 1024), two_cache(f.model->config, 1, 1024);
  Batch all, first, second;
  for (std::int32_t i = 0; i < n; ++i) {
    const std::int32_t id = (i * 7919) % 150000;
    all.add(id, i, 0, want(i));
    (i < 350 ? first : second).add(id, i, 0, want(i));
  }
  std::vector<float> logits_all, logits_first, logits_second;
  f.model->transformer->forward(all, one_cache, logits_all);
  f.model->transformer->forward(first, two_cache, logits_first);
  f.model->transformer->forward(second, two_cache, logits_second);
  logits_first.insert(logits_first.end(), logits_second.begin(), logits_second.end());
  ASSERT_EQ(logits_all.size(), 14u * vocab);
  ASSERT_EQ(logits_first.size(), logits_all.size());
  for (std::size_t i = 0; i < logits_all.size(); i += 13) {
    ASSERT_NEAR(logits_all[i], logits_first[i], 1e-4) << "row " << i / vocab;
  }
}

TEST(BatchConsistency, TwoSequencesInOneBatchEqualEachAlone) {
  Fixture f = load_fixture("llama-tiny-f32");
  const std::int64_t vocab = f.model->config.vocab_size;
  const auto ids = prompt_ids(f);
  const std::vector<std::int32_t> a(ids.begin(), ids.begin() + 20);
  const std::vector<std::int32_t> b(ids.begin() + 5, ids.begin() + 17);
  auto alone = [&](const std::vector<std::int32_t>& seq) {
    KvCache cache(f.model->config, 1, 64);
    Batch batch;
    for (std::size_t i = 0; i < seq.size(); ++i)
      batch.add(seq[i], static_cast<std::int32_t>(i), 0, i + 1 == seq.size());
    std::vector<float> logits;
    f.model->transformer->forward(batch, cache, logits);
    return logits;
  };
  KvCache cache(f.model->config, 2, 64);
  Batch both;
  for (std::size_t i = 0; i < a.size(); ++i)
    both.add(a[i], static_cast<std::int32_t>(i), 0, i + 1 == a.size());
  for (std::size_t i = 0; i < b.size(); ++i)
    both.add(b[i], static_cast<std::int32_t>(i), 1, i + 1 == b.size());
  std::vector<float> logits;
  f.model->transformer->forward(both, cache, logits);
  const auto la = alone(a), lb = alone(b);
  for (std::int64_t v = 0; v < vocab; v += 101) {
    ASSERT_NEAR(logits[v], la[v], 1e-5);
    ASSERT_NEAR(logits[vocab + v], lb[v], 1e-5);
  }
}

TEST(ForwardErrors, OutOfRangeInputsAreRejected) {
  Fixture f = load_fixture("qwen2-tiny-f32");
  KvCache cache(f.model->config, 1, 8);
  std::vector<float> logits;
  Batch bad_token;
  bad_token.add(999999, 0, 0, true);
  EXPECT_THROW(f.model->transformer->forward(bad_token, cache, logits), Error);
  Batch bad_position;
  bad_position.add(1, 8, 0, true);
  EXPECT_THROW(f.model->transformer->forward(bad_position, cache, logits), Error);
  Batch bad_slot;
  bad_slot.add(1, 0, 3, true);
  EXPECT_THROW(f.model->transformer->forward(bad_slot, cache, logits), Error);
}

}  // namespace
}  // namespace r1::model
