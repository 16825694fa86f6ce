#include "quant/quant_fixture.h"

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "test_paths.h"

namespace r1::quant::test {
namespace {

QuantFixture load() {
  const auto doc =
      nlohmann::json::parse(r1::test::read_file(r1::test::data_path("quant/cases.json")));
  QuantFixture fixture;
  for (const auto& [name, value] : doc.at("accuracy_normal").items()) {
    fixture.accuracy_normal[parse_quant_type(name)] = value.get<double>();
  }
  for (const auto& c : doc.at("cases")) {
    RowCase row;
    row.name = c.at("name").get<std::string>();
    row.note = c.at("note").get<std::string>();
    row.n = c.at("n").get<std::int64_t>();
    row.input = floats_from_bytes(decode_base64(c.at("input").get<std::string>()));
    for (const auto& [type_name, t] : c.at("types").items()) {
      TypeCase tc;
      tc.source = t.at("source").get<std::string>();
      tc.blocks = decode_base64(t.at("blocks").get<std::string>());
      tc.dequantized = floats_from_bytes(decode_base64(t.at("dequantized").get<std::string>()));
      tc.rel_rms_error = t.at("rel_rms_error").get<double>();
      row.types[parse_quant_type(type_name)] = std::move(tc);
    }
    fixture.rows.push_back(std::move(row));
  }
  for (const auto& d : doc.at("dots")) {
    DotCase dot;
    dot.weights = d.at("weights").get<std::string>();
    dot.activations = d.at("activations").get<std::string>();
    dot.weight_type = parse_quant_type(d.at("weight_type").get<std::string>());
    dot.activation_type = parse_quant_type(d.at("activation_type").get<std::string>());
    dot.scalar = d.at("scalar").get<float>();
    dot.ggml_vec_dot = d.at("ggml_vec_dot").get<float>();
    if (!d.at("ggml_generic").is_null()) dot.ggml_generic = d.at("ggml_generic").get<float>();
    dot.abs_scale = d.at("abs_scale").get<double>();
    fixture.dots.push_back(dot);
  }
  return fixture;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  throw std::runtime_error(std::string("bad base64 character '") + c + "'");
}

}  // namespace

const RowCase& QuantFixture::row(const std::string& name) const {
  for (const RowCase& r : rows) {
    if (r.name == name) return r;
  }
  throw std::runtime_error("no row case named " + name);
}

const QuantFixture& quant_fixture() {
  static const QuantFixture fixture = load();
  return fixture;
}

std::vector<std::uint8_t> decode_base64(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    acc = (acc << 6) | static_cast<std::uint32_t>(base64_value(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  return out;
}

std::vector<float> floats_from_bytes(const std::vector<std::uint8_t>& bytes) {
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));  // little-endian host
  return out;
}

}  // namespace r1::quant::test
