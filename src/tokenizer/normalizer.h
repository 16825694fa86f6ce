// Normalizers from tokenizer.json's "normalizer" field (NFC, NFKC, NFD, NFKD, Lowercase, Replace,
// Prepend, Strip, Sequence, ...), applied to text between added tokens before pre-tokenization.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace r1::tok {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  /// Returns the normalized text. Input is valid UTF-8; output is valid UTF-8.
  virtual std::string normalize(std::string_view text) const = 0;
};

/// Builds the normalizer described by `spec` (a tokenizer.json "normalizer" object); returns
/// nullptr for JSON null. Throws Error(unsupported) naming an unknown "type" and `json_path`, or
/// Error(invalid_file) for a malformed spec.
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& spec,
                                            const std::string& json_path);

}  // namespace r1::tok
