#include "cli/generation_options.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>

#include "cli/model_source.h"
#include "cli/tokenizer_export.h"
#include "core/file.h"
#include "engine/thinking_prompt.h"
#include "r1/error.h"

namespace r1::cli {
namespace {

constexpr const char* kDefaultModel = "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B";
constexpr std::int32_t kDefaultContext = 8192;

float float_option(const Args& args, const std::string& name, float fallback) {
  if (!args.has(name)) return fallback;
  const std::string text = args.get(name);
  try {
    std::size_t used = 0;
    const float value = std::stof(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw UsageError{"option '--" + name + "' expects a number, got '" + text + "'"};
}

std::vector<TokenId> to_token_ids(const std::vector<std::int64_t>& ids) {
  return std::vector<TokenId>(ids.begin(), ids.end());
}

}  // namespace

void append_generation_options(std::vector<OptionSpec>& specs) {
  const std::vector<OptionSpec> common = {
      value_option("model", "M",
                   "Model folder, .gguf file or Hugging Face repo id (in the HF cache)",
                   kDefaultModel),
      offline_option(),
      value_option("max-tokens", "N", "Most tokens to generate", "2048"),
      value_option("temperature", "T", "0 = greedy (default: generation_config.json, else 1)"),
      value_option("top-p", "P", "Nucleus sampling (default: generation_config.json, else 1)"),
      value_option("top-k", "K", "Keep the K most likely tokens; 0 = off"),
      value_option("min-p", "P", "Drop tokens below P times the top probability; 0 = off"),
      value_option("repeat-penalty", "R", "transformers' repetition_penalty; 1 = off"),
      value_option("seed", "N", "Seed of the sampler (same seed, same text)"),
      value_option("threads", "N", "CPU threads (default: the physical cores)"),
      quant_option(),
      device_option(),
      value_option("ctx-size", "N",
                   "KV cache size in tokens (default " + std::to_string(kDefaultContext) +
                       ", at most the model's max_position_embeddings)"),
      kv_type_option(),
      flag_option("truncate",
                  "Drop the oldest prompt tokens (keeping the BOS) when prompt + max tokens do "
                  "not fit the context, instead of refusing"),
  };
  specs.insert(specs.end(), common.begin(), common.end());
}

std::string LoadedSession::render(ChatTemplateInputs inputs) const {
  if (!chat_template) {
    throw Error(ErrorCode::not_found,
                (folder / "tokenizer_config.json").string() + " has no chat template; use --raw");
  }
  inputs.bos_token = tokenizer.bos_token();
  inputs.eos_token = tokenizer.eos_token();
  inputs.pad_token = tokenizer.pad_token();
  inputs.unk_token = tokenizer.unk_token();
  inputs.add_generation_prompt = true;
  return chat_template->render(inputs);
}

Tokenizer load_tokenizer(const model::LoadedModel& model) {
  if (!model.gguf) return Tokenizer::load(model.path);
  const io::HfTokenizerFiles files = tokenizer_files(model);
  return Tokenizer::from_json(files.tokenizer_json, files.tokenizer_config_json,
                              model.path.string());
}

std::unique_ptr<model::LoadedModel> load_model_as_asked(const std::filesystem::path& path,
                                                        const model::LoadOptions& options) {
  auto loaded = model::load_model(path, options);
  if (!loaded->backend_choice.empty())
    std::fprintf(stderr, "r1: --device auto: computing on %s\n", loaded->backend_choice.c_str());
  return loaded;
}

LoadedSession load_session(const Args& args) {
  const std::filesystem::path path = locate_model(args);
  auto loaded = load_model_as_asked(path, load_options(args));
  // Files that sit beside a GGUF file (generation_config.json) are read from its folder.
  const std::filesystem::path folder = loaded->gguf ? path.parent_path() : path;
  Tokenizer tokenizer = load_tokenizer(*loaded);
  LoadedSession session{
      folder, std::move(loaded), std::move(tokenizer), std::nullopt, {}, {}, nullptr, 0};
  if (const std::string source = session.tokenizer.chat_template(); !source.empty()) {
    session.chat_template = ChatTemplate::parse(source);
  }
  const auto generation_path = folder / "generation_config.json";
  if (std::filesystem::exists(generation_path)) {
    session.generation_config =
        io::parse_generation_config(read_text_file(generation_path), generation_path.string());
  }
  // transformers: generation_config's eos_token_id when it has one, else config.json's.
  session.stop_ids = StopTokenIds(to_token_ids(!session.generation_config.eos_token_ids.empty()
                                                   ? session.generation_config.eos_token_ids
                                                   : session.model->config.eos_token_ids));
  const std::int64_t max_context = session.model->config.max_position_embeddings;
  // The default context is capped by the model's; a --ctx-size beyond it is an error.
  const int ctx = args.has("ctx-size")
                      ? args.get_int("ctx-size")
                      : static_cast<int>(std::min<std::int64_t>(kDefaultContext, max_context));
  if (ctx <= 0 || ctx > max_context) {
    throw UsageError{"--ctx-size must be between 1 and the model's max_position_embeddings " +
                     std::to_string(max_context) + ", got " + std::to_string(ctx)};
  }
  session.cache =
      std::make_unique<model::KvCache>(session.model->config, 1, ctx, kv_type(args, *session.model),
                                       0, session.model->transformer->backend().memory());
  report_unexpected_tensors(*session.model);
  session.weight_bytes = session.model->transformer->weights().bytes_per_token();
  return session;
}

OptionSpec kv_type_option() {
  return value_option("kv-type", "TYPE",
                      "KV cache element type: f32, bf16 or f16 (default: the model's matrix type; "
                      "f16 for quantized models)");
}

DType kv_type(const Args& args, const model::LoadedModel& model) {
  if (!args.has("kv-type"))
    return model::default_kv_type(model.transformer->weights().lm_head.type);
  const std::string name = args.get("kv-type");
  for (DType type : {DType::f32, DType::bf16, DType::f16}) {
    if (name == dtype_cli_name(type)) return type;
  }
  throw UsageError{"--kv-type expects f32, bf16 or f16, got '" + name + "'"};
}

OptionSpec quant_option() {
  return value_option("quant", "TYPE",
                      "Quantize the matrices while loading: q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, "
                      "q5_k, q6_k (default: compute with the weights as stored)");
}

OptionSpec device_option() {
  return value_option("device", "D",
                      "Where to compute: cpu, cuda / cuda:N for an NVIDIA GPU "
                      "(f32/f16/bf16/q8_0 weights; not yet run on a GPU, see README \"CUDA\"), "
                      "or auto: the GPU where one is usable for the model, else the CPU",
                      "cpu");
}

model::LoadOptions load_options(const Args& args) {
  model::LoadOptions options;
  if (args.has("quant")) {
    const std::string name = args.get("quant");
    for (DType type : all_dtypes) {
      if (name == dtype_cli_name(type) && is_quantized(type)) options.quantize = type;
    }
    if (!options.quantize) {
      throw UsageError{"--quant expects q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k or q6_k, got '" +
                       name + "'"};
    }
  }
  if (args.has("device")) {
    const std::string device = args.get("device");
    if (device == "cuda" || device.rfind("cuda:", 0) == 0) {
      options.backend = model::BackendKind::cuda;
      if (device != "cuda") {
        const std::string index = device.substr(5);
        if (index.empty() || index.size() > 3 ||
            index.find_first_not_of("0123456789") != std::string::npos) {
          throw UsageError{"--device cuda:N expects a GPU number, got '" + device + "'"};
        }
        options.cuda_device = std::stoi(index);
      }
    } else if (device == "auto") {
      options.backend = model::BackendKind::automatic;
    } else if (device != "cpu") {
      throw UsageError{"--device expects cpu, cuda, cuda:N or auto, got '" + device + "'"};
    }
  }
  if (args.has("threads") && args.get("threads").find(',') == std::string::npos) {
    options.cpu.n_threads = args.get_int("threads");
    if (options.cpu.n_threads <= 0 || options.cpu.n_threads > 1024) {
      throw UsageError{"--threads must be between 1 and 1024, got " + args.get("threads")};
    }
  }
  return options;
}

void report_unexpected_tensors(const model::LoadedModel& model) {
  const auto& unused = model.transformer->weights().unexpected_tensors;
  if (unused.empty()) return;
  std::fprintf(stderr, "[r1] note: %zu tensor(s) in the checkpoint are not used by this %s model:",
               unused.size(), io::architecture_name(model.config.architecture));
  for (std::size_t i = 0; i < unused.size() && i < 8; ++i)
    std::fprintf(stderr, " %s", unused[i].c_str());
  std::fprintf(stderr, unused.size() > 8 ? " ...\n" : "\n");
}

engine::GenerationRequest make_request(const Args& args, const LoadedSession& session) {
  const io::GenerationConfig& defaults = session.generation_config;
  engine::GenerationRequest request;
  SamplingParams& p = request.sampling;
  const bool sampling = defaults.do_sample.value_or(true);
  p.temperature =
      float_option(args, "temperature",
                   sampling ? static_cast<float>(defaults.temperature.value_or(1.0)) : 0.0f);
  p.top_p = float_option(args, "top-p", static_cast<float>(defaults.top_p.value_or(1.0)));
  p.top_k = args.has("top-k") ? args.get_int("top-k")
                              : static_cast<std::int32_t>(defaults.top_k.value_or(0));
  p.min_p = float_option(args, "min-p", 0.0f);
  p.repetition_penalty = float_option(
      args, "repeat-penalty", static_cast<float>(defaults.repetition_penalty.value_or(1.0)));
  if (args.has("seed")) p.seed = static_cast<std::uint64_t>(std::stoull(args.get("seed")));
  // Padding rows of the embedding (ids the tokenizer never produces) are never sampled.
  p.n_vocab_valid = static_cast<std::size_t>(
      std::min<std::int64_t>(session.tokenizer.vocab_size(), session.model->config.vocab_size));
  request.max_tokens = args.get_int("max-tokens");
  if (args.flag("truncate")) request.overflow = engine::PromptOverflow::truncate_start;
  if (request.max_tokens <= 0) throw UsageError{"--max-tokens must be positive"};
  validate_sampling_params(p);
  return request;
}

ThinkingFilter::ThinkingFilter(const Tokenizer& tokenizer, const std::string& prompt, bool terminal,
                               bool hide)
    : open_id_(tokenizer.token_to_id("<think>")),
      close_id_(tokenizer.token_to_id("</think>")),
      terminal_(terminal),
      hide_(hide) {
  inside_ = open_id_.has_value() && engine::prompt_opens_thinking(prompt);
}

std::string ThinkingFilter::filter(std::string_view text, TokenId id) {
  std::string out;
  if (open_id_ && id == *open_id_) inside_ = true;
  if (inside_) {
    if (!hide_) {
      if (terminal_ && !dimmed_) {
        out += "\x1b[2m";
        dimmed_ = true;
      }
      out += text;
    }
  } else {
    out += text;
  }
  if (close_id_ && id == *close_id_) {
    inside_ = false;
    if (dimmed_) {
      out += "\x1b[0m";
      dimmed_ = false;
    }
  }
  return out;
}

std::string ThinkingFilter::finish() {
  return dimmed_ ? "\x1b[0m" : "";
}

void print_stats(const engine::GenerationStats& stats, const LoadedSession& session) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
  const double prefill_tps =
      stats.prefill_seconds > 0
          ? static_cast<double>(stats.n_prompt - stats.n_reused) / stats.prefill_seconds
          : 0.0;
  const double decode_steps =
      stats.n_generated > 1 ? static_cast<double>(stats.n_generated - 1) : 0.0;
  const double decode_tps = stats.decode_seconds > 0 ? decode_steps / stats.decode_seconds : 0.0;
  const double gbps = decode_tps * static_cast<double>(session.weight_bytes) / 1e9;
  std::fprintf(stderr,
               "\n[r1] prompt %zu tokens (%zu cached%s), generated %zu (%s) | TTFT %.2f s | "
               "prefill %.1f tok/s | decode %.2f tok/s, %.1f GB/s of weights | peak RSS %.0f MB\n",
               stats.n_prompt, stats.n_reused,
               stats.n_truncated > 0
                   ? (", " + std::to_string(stats.n_truncated) + " truncated").c_str()
                   : "",
               stats.n_generated, engine::finish_reason_name(stats.finish_reason),
               stats.first_token_seconds, prefill_tps, decode_tps, gbps, peak_rss_mb);
}

}  // namespace r1::cli
