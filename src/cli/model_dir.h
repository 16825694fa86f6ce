// Where a --model argument points: a folder, a GGUF file, or a Hugging Face repo id resolved in
// the local Hugging Face cache (io/model_locator.h), downloaded first when missing
// (cli/model_source.h); and its tokenizer, for the commands that need nothing else of the model.
#pragma once

#include <string>

#include "cli/args.h"
#include "r1/tokenizer.h"

namespace r1::cli {

/// The tokenizer of --model (located as cli/model_source.h says, so a missing repo id is downloaded
/// unless --offline) without loading its weights: a folder's tokenizer.json and
/// tokenizer_config.json, or for a .gguf file the tokenizer files beside it when there are any,
/// else the one its tokenizer.ggml.* metadata describes (chat template included), as `r1 run`
/// uses it. Throws Error(not_found) naming the places searched or the missing file.
Tokenizer load_model_tokenizer(const Args& args);

}  // namespace r1::cli
