// Giving back the resident pages of weights that were converted at load (quantized or repacked),
// so that a process holds each matrix once.
#pragma once

#include <cstddef>

namespace r1::model {

/// Drops the pages of a file mapping that lie wholly inside [data, data + bytes) from this
/// process's resident set; the file stays mapped and is read again if touched. Only for memory
/// mapped from a file (anonymous memory would read back as zeros).
void release_mapped_pages(const void* data, std::size_t bytes);

}  // namespace r1::model
