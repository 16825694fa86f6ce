// UTF-8 validation and decoding, shared by the tokenizer, the templates and the server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace r1::utf8 {

inline constexpr char32_t kReplacement = 0xFFFD;

/// Byte offset of the first byte that does not start a valid UTF-8 sequence (overlong forms,
/// surrogates and code points above U+10FFFF are invalid), or nullopt if the text is valid.
std::optional<std::size_t> find_invalid(std::string_view text);

/// Throws Error(invalid_argument) naming `what` and the byte offset when text is not valid UTF-8.
void require_valid(std::string_view text, std::string_view what);

/// Length in bytes of the valid sequence starting at text[pos], or 0 if none starts there.
std::size_t valid_sequence_length(std::string_view text, std::size_t pos);

/// Decodes the valid sequence at text[pos] (caller checked validity) and advances pos.
char32_t decode_at(std::string_view text, std::size_t& pos);

/// Appends the UTF-8 encoding of cp.
void append(std::string& out, char32_t cp);

/// Converts arbitrary bytes to valid UTF-8 the way Rust's String::from_utf8_lossy does: each
/// maximal invalid subpart becomes one U+FFFD (the Unicode "substitution of maximal subparts").
std::string to_valid_lossy(std::string_view bytes);

/// Number of bytes at the end of `bytes` that form an incomplete but so far valid sequence
/// (0..3): a decoder streaming bytes should hold them back until more arrive.
std::size_t incomplete_tail_length(std::string_view bytes);

}  // namespace r1::utf8
