// Post-processors from tokenizer.json's "post_processor" field: add the model's special tokens
// (BOS, EOS, CLS/SEP) around an encoded single sequence when add_special_tokens is on.
// TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel (ids unchanged) and Sequence.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "r1/tokenizer.h"

namespace r1::tok {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  /// Adds the special tokens of the single-sequence template around `ids`.
  virtual void process_single(std::vector<TokenId>& ids) const = 0;
};

/// Builds the post-processor described by `spec`; nullptr for JSON null. Throws
/// Error(unsupported) naming an unknown "type" and `json_path`, Error(invalid_file) for a
/// malformed spec.
std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& spec,
                                                   const std::string& json_path);

/// A template that puts `before` in front of the sequence and `after` behind it (what
/// transformers builds from add_bos_token / add_eos_token).
std::unique_ptr<PostProcessor> make_surrounding_processor(std::vector<TokenId> before,
                                                          std::vector<TokenId> after);

}  // namespace r1::tok
