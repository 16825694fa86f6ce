// libFuzzer target: feeds the input as a whole safetensors file to SafetensorsFile::parse (the
// in-memory entry point open() uses), and as text to the config.json and generation_config.json
// parsers. Any r1::Error is an expected outcome; crashes, sanitizer reports, timeouts and leaks are
// bugs. Seed corpus: fuzz/corpus/safetensors/.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "io/generation_config.h"
#include "io/hf_config.h"
#include "io/safetensors.h"
#include "r1/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    const r1::io::SafetensorsFile file = r1::io::SafetensorsFile::parse(bytes, "fuzz.safetensors");
    // Touch every byte of every view so ASan sees any view that escapes the input.
    static volatile unsigned sink = 0;
    unsigned checksum = 0;
    for (const r1::io::TensorView& view : file.tensors()) {
      for (std::size_t i = 0; i < view.nbytes; ++i)
        checksum += std::to_integer<unsigned>(view.data[i]);
    }
    sink = sink + checksum;
  } catch (const r1::Error&) {
    // Rejected files are fine.
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)r1::io::parse_model_config(text, "fuzz/config.json");
  } catch (const r1::Error&) {
  }
  try {
    (void)r1::io::parse_generation_config(text, "fuzz/generation_config.json");
  } catch (const r1::Error&) {
  }
  return 0;
}
