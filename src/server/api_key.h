// API-key authentication (r1 serve --api-key-file): the "Authorization: Bearer KEY" check, in
// constant time over the key so response timing does not reveal how much of a guess was right.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace r1::server {

/// True when `authorization_header_value` is "Bearer <expected_key>" (the scheme is matched
/// case-insensitively, as RFC 7235 says; spaces around the key are ignored). The key bytes are
/// compared without early exit: the time depends only on the lengths, never on where a byte
/// differs. An empty expected key matches nothing.
bool api_key_matches(std::string_view authorization_header_value, std::string_view expected_key);

/// The key in a file, without surrounding whitespace (the trailing newline editors add). Throws
/// Error(not_found) when the file is missing, Error(invalid_argument) when it holds no key or a key
/// with whitespace or control characters inside.
std::string read_api_key_file(const std::filesystem::path& path);

}  // namespace r1::server
