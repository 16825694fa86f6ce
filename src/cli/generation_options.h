// What `r1 run` and `r1 chat` share: the model/sampling options, loading the model with its
// tokenizer, template and generation defaults, and printing the thinking part and the stats.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "engine/generator.h"
#include "io/generation_config.h"
#include "model/loaded_model.h"
#include "r1/chat_template.h"
#include "r1/sampler.h"
#include "r1/tokenizer.h"

namespace r1::cli {

/// Adds --model, --max-tokens, --temperature, --top-p, --top-k, --min-p, --repeat-penalty,
/// --seed, --threads, --ctx-size.
void append_generation_options(std::vector<OptionSpec>& specs);

struct LoadedSession {
  std::filesystem::path folder;
  std::unique_ptr<model::LoadedModel> model;
  Tokenizer tokenizer;
  std::optional<ChatTemplate> chat_template;
  io::GenerationConfig generation_config;
  StopTokenIds stop_ids;
  std::unique_ptr<model::KvCache> cache;
  std::size_t weight_bytes = 0;  // bytes of weights read per decoded token

  /// The prompt the chat template renders (with generation prompt) for `inputs`.
  std::string render(ChatTemplateInputs inputs) const;
};

/// The tokenizer of a loaded model: its folder's tokenizer.json, or for a GGUF file its own
/// tokenizer metadata (a tokenizer.json beside the file wins).
Tokenizer load_tokenizer(const model::LoadedModel& model);

/// model::load_model, and with --device auto a line on stderr saying where it computes and why.
std::unique_ptr<model::LoadedModel> load_model_as_asked(const std::filesystem::path& path,
                                                        const model::LoadOptions& options);

/// Resolves --model (folder or Hugging Face repo id in the HF cache) and loads everything.
LoadedSession load_session(const Args& args);

/// --kv-type TYPE, and the type it selects for `model` (its default when absent).
OptionSpec kv_type_option();
DType kv_type(const Args& args, const model::LoadedModel& model);

/// --quant TYPE: quantize the matrices while loading.
OptionSpec quant_option();

/// --device cpu|cuda|cuda:N: where the model computes.
OptionSpec device_option();

/// The backend settings of --threads (unset: the physical cores) and --quant.
model::LoadOptions load_options(const Args& args);

/// Tells on stderr which tensors of the checkpoint the model does not use (not an error).
void report_unexpected_tensors(const model::LoadedModel& model);

/// Sampling settings: generation_config.json's defaults, overridden by the flags.
engine::GenerationRequest make_request(const Args& args, const LoadedSession& session);

/// Prints the thinking part dimmed (on a terminal) or not at all (--hide-thinking).
class ThinkingFilter {
 public:
  ThinkingFilter(const Tokenizer& tokenizer, const std::string& prompt, bool terminal, bool hide);
  std::string filter(std::string_view text, TokenId id);
  std::string finish();

 private:
  std::optional<TokenId> open_id_, close_id_;
  bool inside_ = false;
  bool terminal_ = false;
  bool hide_ = false;
  bool dimmed_ = false;
};

/// Token counts, TTFT, prefill and decode speed, GB/s of weights read and peak RSS, to stderr.
void print_stats(const engine::GenerationStats& stats, const LoadedSession& session);

}  // namespace r1::cli
