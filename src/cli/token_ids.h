// Token-id lists on the command line: "1,2,3", "1 2 3" or the JSON form "[1, 2, 3]".
#pragma once

#include <string>
#include <vector>

#include "r1/tokenizer.h"

namespace r1::cli {

/// Throws UsageError naming the bad entry and its character offset.
std::vector<TokenId> parse_token_ids(const std::string& text);

}  // namespace r1::cli
