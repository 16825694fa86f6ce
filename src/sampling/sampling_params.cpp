// Range checks of SamplingParams: each message names the field, the value and the allowed range.
#include <cmath>
#include <limits>
#include <string>

#include "r1/error.h"
#include "r1/sampler.h"

namespace r1 {
namespace {

[[noreturn]] void reject(const std::string& field, double value, const std::string& allowed) {
  throw Error(ErrorCode::invalid_argument, "sampling parameter " + field + " = " +
                                               std::to_string(value) +
                                               " is out of range: " + allowed);
}

void require_range(const char* field, float value, double low, double high,
                   const std::string& allowed) {
  if (!(value >= low && value <= high)) reject(field, value, allowed);
}

}  // namespace

void validate_sampling_params(const SamplingParams& params) {
  require_range("temperature", params.temperature, 0.0, 100.0,
                "use a number in [0, 100] (0 = greedy)");
  if (params.top_k < 0) reject("top_k", params.top_k, "use an integer >= 0 (0 = off)");
  if (!(params.top_p > 0.0f && params.top_p <= 1.0f)) {
    reject("top_p", params.top_p, "use a number in (0, 1] (1 = off)");
  }
  require_range("min_p", params.min_p, 0.0, 1.0, "use a number in [0, 1] (0 = off)");
  if (!(params.repetition_penalty > 0.0f && std::isfinite(params.repetition_penalty))) {
    reject("repetition_penalty", params.repetition_penalty,
           "use a finite number > 0 (1 = off, > 1 discourages repeats)");
  }
  require_range("presence_penalty", params.presence_penalty, -2.0, 2.0,
                "use a number in [-2, 2] (0 = off)");
  require_range("frequency_penalty", params.frequency_penalty, -2.0, 2.0,
                "use a number in [-2, 2] (0 = off)");
  for (const auto& [id, bias] : params.logit_bias) {
    const std::string field = "logit_bias[" + std::to_string(id) + "]";
    if (id < 0 ||
        (params.n_vocab_valid != 0 && static_cast<std::size_t>(id) >= params.n_vocab_valid)) {
      reject(field + " (token id)", id,
             "use a token id in [0, " +
                 (params.n_vocab_valid != 0 ? std::to_string(params.n_vocab_valid) : "vocab size") +
                 ")");
    }
    const bool ban = bias == -std::numeric_limits<float>::infinity();
    if (!ban && !(bias >= -100.0f && bias <= 100.0f)) {
      reject(field, bias, "use a bias in [-100, 100], or -inf to ban the token");
    }
  }
}

}  // namespace r1
