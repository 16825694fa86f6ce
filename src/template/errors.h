// Error helpers shared by the template interpreter's files.
#pragma once

#include <string>

namespace r1::tmpl {

/// Throws Error(template_error) with the message (a failure of the template itself).
[[noreturn]] void fail(const std::string& message);
/// Throws Error(limit_exceeded) naming the sandbox limit that was hit.
[[noreturn]] void fail_limit(const std::string& message);

}  // namespace r1::tmpl
