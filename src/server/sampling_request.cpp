// Parsing and range checks of the sampling fields, and their merge with the server's defaults.
#include "server/sampling_request.h"

#include <charconv>
#include <limits>
#include <string_view>

#include "r1/error.h"
#include "server/api_error.h"

namespace r1::server {

namespace {

[[noreturn]] void out_of_range(const std::string& param, const std::string& value,
                               const std::string& allowed) {
  throw invalid_request("Invalid value for '" + param + "': " + value + " is out of range; " +
                            allowed + ".",
                        param, "invalid_value");
}

std::string show(double value) {
  std::string text = nlohmann::json(value).dump();
  return text;
}

// A number field checked against [low, high] (open ends when the flags say so).
std::optional<float> number_in(const Json& body, const char* key, double low, bool low_open,
                               double high, bool high_open, const std::string& allowed) {
  const auto value = read_number(body, key, key);
  if (!value) return std::nullopt;
  const bool above_low = low_open ? *value > low : *value >= low;
  const bool below_high = high_open ? *value < high : *value <= high;
  if (!above_low || !below_high) out_of_range(key, show(*value), allowed);
  return static_cast<float>(*value);
}

std::optional<std::int32_t> integer_in(const Json& body, const char* key, std::int64_t low,
                                       std::int64_t high, const std::string& allowed) {
  const auto value = read_integer(body, key, key);
  if (!value) return std::nullopt;
  if (*value < low || *value > high) out_of_range(key, std::to_string(*value), allowed);
  return static_cast<std::int32_t>(*value);
}

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

[[noreturn]] void unsupported(const std::string& param, const std::string& what) {
  throw invalid_request(what, param, "unsupported_parameter");
}

void reject_unsupported_fields(const Json& body, Endpoint endpoint) {
  if (const Json* format = find_field(body, "response_format")) {
    if (!format->is_object()) {
      throw invalid_request("Invalid type for 'response_format': expected an object, but got " +
                                json_type_name(*format) + " instead.",
                            "response_format", "invalid_type");
    }
    const auto type = read_string(*format, "type", "response_format.type");
    if (type && *type != "text") {
      unsupported("response_format.type",
                  "response_format of type '" + *type +
                      "' is not supported by this server (no constrained decoding); use 'text'.");
    }
  }
  if (const auto best_of = read_integer(body, "best_of", "best_of"); best_of && *best_of != 1) {
    unsupported("best_of", "best_of other than 1 is not supported by this server.");
  }
  if (find_field(body, "audio") != nullptr) {
    unsupported("audio", "Audio output is not supported by this model.");
  }
  if (const Json* modalities = find_field(body, "modalities")) {
    if (!(modalities->is_array() && modalities->size() == 1 && (*modalities)[0] == "text")) {
      unsupported("modalities", "This model only produces text: modalities must be [\"text\"].");
    }
  }
  if (find_field(body, "prediction") != nullptr) {
    unsupported("prediction", "Predicted outputs ('prediction') are not supported by this server.");
  }
  if (endpoint == Endpoint::chat) {
    if (find_field(body, "functions") != nullptr || find_field(body, "function_call") != nullptr) {
      unsupported(find_field(body, "functions") != nullptr ? "functions" : "function_call",
                  "The legacy 'functions' / 'function_call' parameters are not supported; use "
                  "'tools'.");
    }
  }
}

std::vector<std::string> parse_stop(const Json& body, const RequestLimits& limits) {
  std::vector<std::string> stop;
  const Json* value = find_field(body, "stop");
  if (value == nullptr) return stop;
  auto add = [&](const Json& item, const std::string& param) {
    if (!item.is_string()) {
      throw invalid_request("Invalid type for '" + param + "': expected a string, but got " +
                                json_type_name(item) + " instead.",
                            param, "invalid_type");
    }
    std::string text = item.get<std::string>();
    if (text.empty()) {
      throw invalid_request("Invalid value for '" + param + "': a stop string must not be empty.",
                            param, "invalid_value");
    }
    if (text.size() > limits.max_stop_bytes) {
      throw invalid_request("Invalid value for '" + param + "': a stop string may have at most " +
                                std::to_string(limits.max_stop_bytes) + " bytes.",
                            param, "invalid_value");
    }
    stop.push_back(std::move(text));
  };
  if (value->is_string()) {
    add(*value, "stop");
  } else if (value->is_array()) {
    if (value->size() > limits.max_stop) {
      throw invalid_request("Invalid value for 'stop': at most " +
                                std::to_string(limits.max_stop) + " stop strings are allowed, got " +
                                std::to_string(value->size()) + ".",
                            "stop", "invalid_value");
    }
    for (std::size_t i = 0; i < value->size(); ++i) add((*value)[i], param_path("stop", i));
  } else {
    throw invalid_request("Invalid type for 'stop': expected a string or an array of strings, "
                          "but got " + json_type_name(*value) + " instead.",
                          "stop", "invalid_type");
  }
  return stop;
}

std::map<TokenId, float> parse_logit_bias(const Json& body, const RequestLimits& limits) {
  std::map<TokenId, float> bias;
  const Json* value = find_field(body, "logit_bias");
  if (value == nullptr) return bias;
  if (!value->is_object()) {
    throw invalid_request("Invalid type for 'logit_bias': expected an object mapping token ids to "
                          "biases, but got " + json_type_name(*value) + " instead.",
                          "logit_bias", "invalid_type");
  }
  if (value->size() > limits.max_logit_bias) {
    throw invalid_request("Invalid value for 'logit_bias': at most " +
                              std::to_string(limits.max_logit_bias) + " entries are allowed.",
                          "logit_bias", "invalid_value");
  }
  for (const auto& [key, entry] : value->items()) {
    const std::string param = "logit_bias." + key;
    TokenId id = -1;
    const char* first = key.data();
    const char* last = key.data() + key.size();
    const auto [end, error] = std::from_chars(first, last, id);
    if (key.empty() || error != std::errc() || end != last || id < 0 || key[0] == '-' ||
        key[0] == '+') {
      throw invalid_request("Invalid key in 'logit_bias': '" + key +
                                "' is not a token id (a non-negative integer written as a string).",
                            "logit_bias", "invalid_value");
    }
    if (!entry.is_number()) {
      throw invalid_request("Invalid type for '" + param + "': expected a number, but got " +
                                json_type_name(entry) + " instead.",
                            "logit_bias", "invalid_type");
    }
    const double number = entry.get<double>();
    if (!(number >= -100.0 && number <= 100.0)) {
      out_of_range("logit_bias", show(number) + " (token " + key + ")",
                   "use a bias in [-100, 100]");
    }
    bias[id] = static_cast<float>(number);
  }
  return bias;
}

}  // namespace

SamplingRequest parse_sampling_request(const Json& body, Endpoint endpoint,
                                       const RequestLimits& limits) {
  reject_unsupported_fields(body, endpoint);
  SamplingRequest request;
  request.model = read_string(body, "model", "model").value_or("");
  request.user = read_string(body, "user", "user").value_or("");

  request.temperature = number_in(body, "temperature", 0, false, 2, false, "use a number in [0, 2]");
  request.top_p = number_in(body, "top_p", 0, true, 1, false, "use a number in (0, 1]");
  request.min_p = number_in(body, "min_p", 0, false, 1, false, "use a number in [0, 1]");
  request.repetition_penalty =
      number_in(body, "repetition_penalty", 0, true, std::numeric_limits<float>::max(), false,
                "use a number > 0 (1 = off)");
  request.presence_penalty =
      number_in(body, "presence_penalty", -2, false, 2, false, "use a number in [-2, 2]");
  request.frequency_penalty =
      number_in(body, "frequency_penalty", -2, false, 2, false, "use a number in [-2, 2]");
  request.top_k = integer_in(body, "top_k", -1, kInt32Max, "use an integer >= 0 (0 or -1 = off)");
  if (request.top_k == -1) request.top_k = 0;

  request.max_tokens = integer_in(body, "max_tokens", 1, kInt32Max, "use an integer >= 1");
  if (auto max_completion =
          integer_in(body, "max_completion_tokens", 1, kInt32Max, "use an integer >= 1")) {
    request.max_tokens = max_completion;
  }
  request.max_reasoning_tokens =
      integer_in(body, "max_reasoning_tokens", 0, kInt32Max, "use an integer >= 0");

  if (const auto seed = read_integer(body, "seed", "seed")) {
    request.seed = static_cast<std::uint64_t>(*seed);  // two's complement for negative seeds
  }
  request.logit_bias = parse_logit_bias(body, limits);
  request.stop = parse_stop(body, limits);
  request.n = integer_in(body, "n", 1, limits.max_n,
                         "this server returns 1 to " + std::to_string(limits.max_n) + " choices")
                  .value_or(1);

  if (endpoint == Endpoint::chat) {
    request.logprobs = read_bool(body, "logprobs", "logprobs").value_or(false);
    request.top_logprobs =
        integer_in(body, "top_logprobs", 0, limits.max_top_logprobs,
                   "use an integer in [0, " + std::to_string(limits.max_top_logprobs) + "]");
    if (request.top_logprobs && !request.logprobs) {
      throw invalid_request("Invalid value for 'top_logprobs': 'logprobs' must be set to true "
                            "when 'top_logprobs' is given.",
                            "top_logprobs", "invalid_value");
    }
    if (const auto format = read_string(body, "reasoning_format", "reasoning_format")) {
      if (*format == "separate") {
        request.reasoning_format = ReasoningFormat::separate;
      } else if (*format == "raw") {
        request.reasoning_format = ReasoningFormat::raw;
      } else {
        throw invalid_request("Invalid value for 'reasoning_format': '" + *format +
                                  "'; use 'separate' (thinking in reasoning_content) or 'raw' "
                                  "(thinking left in content).",
                              "reasoning_format", "invalid_value");
      }
    }
  } else {
    // Completions: "logprobs" is the number of alternatives per position (0..5), or null.
    request.top_logprobs =
        integer_in(body, "logprobs", 0, limits.max_completion_logprobs,
                   "use an integer in [0, " + std::to_string(limits.max_completion_logprobs) + "]");
    request.logprobs = request.top_logprobs.has_value();
  }

  request.stream = read_bool(body, "stream", "stream").value_or(false);
  if (const Json* options = find_field(body, "stream_options")) {
    if (!request.stream) {
      throw invalid_request("The 'stream_options' parameter is only allowed when 'stream' is "
                            "enabled.",
                            "stream_options", "invalid_value");
    }
    if (!options->is_object()) {
      throw invalid_request("Invalid type for 'stream_options': expected an object, but got " +
                                json_type_name(*options) + " instead.",
                            "stream_options", "invalid_type");
    }
    request.include_usage =
        read_bool(*options, "include_usage", "stream_options.include_usage").value_or(false);
  }
  return request;
}

SamplingParams to_sampling_params(const SamplingRequest& request,
                                  const SamplingParams& server_defaults) {
  SamplingParams params = server_defaults;
  if (request.temperature) params.temperature = *request.temperature;
  if (request.top_k) params.top_k = *request.top_k;
  if (request.top_p) params.top_p = *request.top_p;
  if (request.min_p) params.min_p = *request.min_p;
  if (request.repetition_penalty) params.repetition_penalty = *request.repetition_penalty;
  if (request.presence_penalty) params.presence_penalty = *request.presence_penalty;
  if (request.frequency_penalty) params.frequency_penalty = *request.frequency_penalty;
  if (!request.logit_bias.empty()) params.logit_bias = request.logit_bias;
  if (request.seed) params.seed = request.seed;
  try {
    validate_sampling_params(params);
  } catch (const Error& error) {
    // "sampling parameter logit_bias[7] (token id) = ..." -> param "logit_bias".
    std::string_view message = error.what();
    constexpr std::string_view kPrefix = "sampling parameter ";
    std::string param;
    if (message.substr(0, kPrefix.size()) == kPrefix) {
      const std::string_view rest = message.substr(kPrefix.size());
      param = std::string(rest.substr(0, rest.find_first_of(" [")));
    }
    throw invalid_request(error.what(), param, "invalid_value");
  }
  return params;
}

}  // namespace r1::server
