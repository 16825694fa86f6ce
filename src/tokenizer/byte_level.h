// The GPT-2 byte-level alphabet: every byte maps to one printable code point (space -> U+0120 'Ġ').
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace r1::tok {

/// UTF-8 of the code point that stands for `byte` in byte-level vocabularies.
const std::string& byte_to_char(unsigned char byte);

/// Maps a vocabulary string in the byte-level alphabet back to raw bytes; nullopt when it
/// contains a character outside the alphabet.
std::optional<std::string> byte_level_decode(std::string_view text);

/// Maps raw bytes to the byte-level alphabet.
std::string byte_level_encode(std::string_view bytes);

}  // namespace r1::tok
