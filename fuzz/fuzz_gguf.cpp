// libFuzzer target: feeds the input as a whole GGUF file to GgufFile::parse (the in-memory entry
// point open() uses), then exercises every metadata getter on every key, every value accessor
// (recursively through nested arrays) and every tensor view, touching every byte a view points
// at so ASan sees any view that escapes the input. Any r1::Error is an expected outcome; crashes,
// sanitizer reports, timeouts and leaks are bugs. Seed corpus: fuzz/corpus/gguf/; dictionary:
// fuzz/gguf.dict (pass -dict=fuzz/gguf.dict for longer runs).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "io/gguf.h"
#include "r1/error.h"

namespace {

volatile std::uint64_t sink = 0;

void touch(std::span<const std::byte> bytes) {
  std::uint64_t sum = 0;
  for (std::byte b : bytes) sum += std::to_integer<unsigned>(b);
  sink = sink + sum;
}

void touch(std::string_view text) {
  touch(std::span(reinterpret_cast<const std::byte*>(text.data()), text.size()));
}

void exercise(const r1::io::GgufValue& value) {
  sink = sink + value.type_text().size() + value.offset() + value.bits();
  if (const auto v = value.to_uint()) sink = sink + *v;
  if (const auto v = value.to_int()) sink = sink + static_cast<std::uint64_t>(*v);
  if (const auto v = value.to_float()) sink = sink + static_cast<std::uint64_t>(*v == 0.0);
  if (const auto v = value.to_bool()) sink = sink + *v;
  if (const auto v = value.to_string()) touch(*v);
  if (value.type() != r1::io::GgufValueType::array) return;
  touch(value.raw_elements());
  for (std::string_view text : value.strings()) touch(text);
  for (const r1::io::GgufValue& item : value.items()) exercise(item);
  for (std::uint64_t i = 0; i <= value.size() && i < 4096; ++i) {
    if (const auto element = value.element(i)) sink = sink + element->bits();
  }
}

template <typename Get>
void try_get(Get&& get) {
  try {
    get();
  } catch (const r1::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    const r1::io::GgufFile file = r1::io::GgufFile::parse(bytes, "fuzz.gguf");
    const r1::io::GgufMetadata& m = file.metadata();
    sink = sink + file.version() + file.alignment() + file.data_offset();
    try_get([&] { touch(file.architecture()); });
    for (const r1::io::GgufKeyValue& entry : m.entries()) {
      touch(entry.key);
      exercise(entry.value);
      const std::string_view key = entry.key;
      if (m.find(key) == nullptr) __builtin_trap();  // every listed key must be found
      try_get([&] { sink = sink + m.get_uint(key); });
      try_get([&] { sink = sink + static_cast<std::uint64_t>(m.get_int(key)); });
      try_get([&] { sink = sink + static_cast<std::uint64_t>(m.get_float(key) > 0); });
      try_get([&] { sink = sink + m.get_bool(key); });
      try_get([&] { touch(m.get_string(key)); });
      try_get([&] { sink = sink + m.get_string_array(key).size(); });
      try_get([&] { sink = sink + m.get_float_array(key).size(); });
      try_get([&] { sink = sink + m.get_int_array(key).size(); });
    }
    try_get([&] { (void)m.get_uint("no.such.key"); });
    for (const r1::io::GgufTensorView& view : file.tensors()) {
      touch(std::span(view.data, view.nbytes));
      sink = sink + view.ne().size() + view.element_count + view.offset;
      if (&file.at(view.name) != &view) __builtin_trap();  // names are unique
    }
    try_get([&] { (void)file.at("no.such.tensor"); });
  } catch (const r1::Error&) {
    // Rejected files are fine.
  }
  return 0;
}
