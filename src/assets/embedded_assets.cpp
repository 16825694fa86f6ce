#include "assets/embedded_assets.h"

#define R1_DECLARE_ASSET(symbol)          \
  extern "C" const char symbol##_begin[]; \
  extern "C" const char symbol##_end[];

R1_DECLARE_ASSET(r1_asset_config_json)
R1_DECLARE_ASSET(r1_asset_generation_config_json)
R1_DECLARE_ASSET(r1_asset_tokenizer_json)
R1_DECLARE_ASSET(r1_asset_tokenizer_config_json)

namespace r1::assets {
namespace {

std::string_view view(const char* begin, const char* end) {
  return std::string_view(begin, static_cast<std::size_t>(end - begin));
}

}  // namespace

const std::vector<std::string_view>& deepseek_file_names() {
  static const std::vector<std::string_view> names = {"config.json", "generation_config.json",
                                                      "tokenizer.json", "tokenizer_config.json"};
  return names;
}

std::string_view deepseek_file(std::string_view file_name) {
  if (file_name == "config.json") return view(r1_asset_config_json_begin, r1_asset_config_json_end);
  if (file_name == "generation_config.json") {
    return view(r1_asset_generation_config_json_begin, r1_asset_generation_config_json_end);
  }
  if (file_name == "tokenizer.json") {
    return view(r1_asset_tokenizer_json_begin, r1_asset_tokenizer_json_end);
  }
  if (file_name == "tokenizer_config.json") {
    return view(r1_asset_tokenizer_config_json_begin, r1_asset_tokenizer_config_json_end);
  }
  return {};
}

}  // namespace r1::assets
